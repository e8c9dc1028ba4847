package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDirState(t *testing.T) {
	dir := t.TempDir()
	s, err := openDirState(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.Local)
	a := fileRecord{File: "a/c1.jpg", Size: 10, ModTime: mtime, SHA256: strings.Repeat("ab", 32), Outcome: "updated", Contact: "people/c1", Time: mtime.UTC()}
	b := fileRecord{File: "c2.jpg", Size: 20, ModTime: mtime, Outcome: "failed: invalid contact", Time: mtime.UTC()}
	for _, r := range []fileRecord{a, b, {File: "c2.jpg", Outcome: "superseded"}} {
		if err := s.record(r); err != nil {
			t.Fatal(err)
		}
	}
	b.Outcome = "updated"
	if err := s.record(b); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, stateFileName)
	raw, _ := os.ReadFile(path)
	if lines := strings.Count(string(raw), "\n"); lines != 5 {
		t.Errorf("the journal has %d lines, want a header and 4 records appended", lines)
	}

	// A process killed while appending leaves a torn last line.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"file":"c3.jpg","size":3`)
	f.Close()

	s, err = openDirState(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	for _, want := range []fileRecord{a, b} {
		got, ok := s.lookup(want.File)
		if !ok {
			t.Errorf("%s lost", want.File)
			continue
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })); diff != "" {
			t.Errorf("record read back (-want +got):\n%s", diff)
		}
	}
	if _, ok := s.lookup("c3.jpg"); ok {
		t.Error("the torn line was read as a record")
	}
	raw, _ = os.ReadFile(path)
	if lines := strings.Count(string(raw), "\n"); lines != 3 {
		t.Errorf("the compacted journal has %d lines, want a header and 2 records:\n%s", lines, raw)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("compaction left %d files behind", len(entries)-1)
	}
}

func TestDirStateRefusesOtherFiles(t *testing.T) {
	tests := []struct{ name, content string }{
		{"not a journal", "hello\n"},
		{"another format", `{"format":"contactphoto-backfill/9"}` + "\n"},
		{"a bad line in the middle", `{"format":"contactphoto-backfill/1"}` + "\nnonsense\n" + `{"file":"a.jpg","outcome":"updated"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, stateFileName), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := openDirState(dir, true)
			if err == nil || !strings.Contains(err.Error(), "move the file away") {
				t.Errorf("got %v, want an error saying how to start over", err)
			}
		})
	}
}
