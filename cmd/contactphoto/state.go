package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// stateFileName is the backfill journal kept inside a photo folder. The
// leading dot keeps it out of the folder's photos.
const stateFileName = ".contactphoto-backfill.jsonl"

// stateFormat is the first line of a journal; a journal written by another
// format is refused rather than misread.
const stateFormat = "contactphoto-backfill/1"

// fileRecord is the outcome of one photo file, as the journal keeps it. A
// file counts as done while its size and modification time, or failing
// those its SHA-256, match.
type fileRecord struct {
	File    string    `json:"file"` // slash-separated, relative to the folder
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	SHA256  string    `json:"sha256,omitempty"` // hex; empty when the file was not read
	Account string    `json:"account,omitempty"`
	Outcome string    `json:"outcome"` // "updated", or "failed: " and a reason
	Contact string    `json:"contact,omitempty"`
	Time    time.Time `json:"time"`
}

// dirState is a folder's journal: one JSON line per outcome, appended as
// each photo finishes, so that an interruption loses nothing but the photos
// in flight. Later lines win. Opening it rewrites it compacted, atomically.
type dirState struct {
	path string

	mu      sync.Mutex
	records map[string]fileRecord
	f       *os.File // nil when read-only
}

type stateHeader struct {
	Format string `json:"format"`
}

// maxJournalBytes bounds the journal a run reads: some 200 bytes a photo,
// for hundreds of thousands of photos.
const maxJournalBytes = 64 << 20

// openDirState reads dir's journal, if any. Unless readOnly, it rewrites
// the journal compacted and keeps it open for appending.
func openDirState(dir string, readOnly bool) (*dirState, error) {
	s := &dirState{path: filepath.Join(dir, stateFileName), records: map[string]fileRecord{}}
	data, err := readJournal(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := s.load(data); err != nil {
			return nil, err
		}
	}
	if readOnly {
		return s, nil
	}
	if err := s.compact(); err != nil {
		return nil, err
	}
	if s.f, err = os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

// readJournal reads the journal only when it is a regular file of at most
// maxJournalBytes: a symbolic link (to /dev/zero, say) or a FIFO would
// make the run read forever or hang before it starts. It checks the file
// it opened is the one it looked at.
func readJournal(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	notJournal := func(why string) error {
		return fmt.Errorf("the journal %s %s; move it away to start over (photos already set will be set again)", path, why)
	}
	switch {
	case !fi.Mode().IsRegular():
		return nil, notJournal(fmt.Sprintf("is not a regular file (%s)", fi.Mode().Type()))
	case fi.Size() > maxJournalBytes:
		return nil, notJournal(fmt.Sprintf("is %d bytes, over the limit of %d", fi.Size(), maxJournalBytes))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if ofi, err := f.Stat(); err != nil {
		return nil, err
	} else if !os.SameFile(fi, ofi) {
		return nil, notJournal("changed while it was being opened")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxJournalBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJournalBytes {
		return nil, notJournal(fmt.Sprintf("grew over the limit of %d bytes while it was read", maxJournalBytes))
	}
	return data, nil
}

// load reads the journal's lines. A torn last line, from a process killed
// while appending, is dropped: its photo is done again.
func (s *dirState) load(data []byte) error {
	lines := bytes.Split(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	corrupt := func(n int, why string) error {
		return fmt.Errorf("%s line %d: %s; move the file away to start over (photos already set will be set again)", s.path, n, why)
	}
	for i, line := range lines {
		if i == 0 {
			var h stateHeader
			if err := json.Unmarshal(line, &h); err != nil || h.Format != stateFormat {
				return corrupt(1, "not a "+stateFormat+" journal")
			}
			continue
		}
		var r fileRecord
		if err := json.Unmarshal(line, &r); err != nil || r.File == "" || r.Outcome == "" {
			if i == len(lines)-1 {
				break
			}
			return corrupt(i+1, "not a record")
		}
		s.records[r.File] = r
	}
	return nil
}

// compact rewrites the journal with one line per file, through a
// temporary file and a rename, so that it is never seen half-written.
func (s *dirState) compact() error {
	tmp, err := os.CreateTemp(filepath.Dir(s.path), stateFileName+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	enc.Encode(stateHeader{Format: stateFormat})
	for _, name := range slices.Sorted(maps.Keys(s.records)) {
		enc.Encode(s.records[name])
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path)
}

func (s *dirState) lookup(file string) (fileRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[file]
	return r, ok
}

// record appends r with one write, so that concurrent records never
// interleave within a line.
func (s *dirState) record(r fileRecord) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[r.File] = r
	if s.f == nil {
		return nil
	}
	if _, err := s.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("record in %s: %w", s.path, err)
	}
	return nil
}

func (s *dirState) close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
