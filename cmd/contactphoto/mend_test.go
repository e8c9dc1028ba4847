package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/internal/localstack"
)

// outcomesOf runs backfill in the built binary and returns each photo's
// outcome and reason, by name.
func outcomesOf(t *testing.T, wantCode int, args ...string) (map[string]string, line) {
	t.Helper()
	r := runBinary(t, nil, append([]string{"backfill"}, args...)...)
	if r.code != wantCode {
		t.Fatalf("backfill %v exited %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, wantCode, r.stdout, r.stderr)
	}
	_, items, sum := parseLines(t, r.stdout)
	got := map[string]string{}
	for _, l := range items {
		got[l.Name] = strings.TrimSuffix(l.Outcome+": "+l.Reason, ": ")
	}
	return got, sum
}

func wantOutcome(t *testing.T, got map[string]string, name, want string) {
	t.Helper()
	if got[name] != want {
		t.Errorf("%s: %q, want %q (all: %v)", name, got[name], want, got)
	}
}

// TestBackfillBucketMend: a failure stays skipped until its metadata
// changes or --retry-failed asks for it.
func TestBackfillBucketMend(t *testing.T) {
	stack := startStack(t, nil)
	stack.People.AddContact("", "people/c1")
	put := func(name string, md map[string]string) {
		t.Helper()
		if _, err := stack.Storage.Put(localstack.Bucket, name, "image/jpeg", testPhoto(t, len(name)), md); err != nil {
			t.Fatal(err)
		}
	}
	put("m/typo.jpg", map[string]string{"resourceName": "people/c11"})
	put("m/later.jpg", map[string]string{"resourceName": "people/c2"})
	target := "gs://" + localstack.Bucket + "/m/"
	obj := func(name string) string { return target + name }

	got, _ := outcomesOf(t, 1, target)
	wantOutcome(t, got, obj("typo.jpg"), "failed: contact not found")
	wantOutcome(t, got, obj("later.jpg"), "failed: contact not found")

	got, _ = outcomesOf(t, 0, target)
	wantOutcome(t, got, obj("typo.jpg"), "skipped: failed before: contact not found")

	// The user fixes the typo: the next run tries that object again, and
	// only that one.
	if err := stack.Storage.UpdateMetadata(context.Background(), localstack.Bucket, "m/typo.jpg", map[string]string{"resourceName": "people/c1"}); err != nil {
		t.Fatal(err)
	}
	stack.People.AddContact("", "people/c2") // the contact appears; the metadata is unchanged
	got, _ = outcomesOf(t, 0, target)
	wantOutcome(t, got, obj("typo.jpg"), "updated")
	wantOutcome(t, got, obj("later.jpg"), "skipped: failed before: contact not found")

	got, _ = outcomesOf(t, 0, "--retry-failed", target)
	wantOutcome(t, got, obj("later.jpg"), "updated")
	wantOutcome(t, got, obj("typo.jpg"), "skipped: already updated")
	if n := len(stack.People.Updates()); n != 2 {
		t.Errorf("the People API stored %d photos, want 2", n)
	}
}

// journalLines counts the lines of a folder's journal.
func journalLines(t *testing.T, dir string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, stateFileName))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte("\n"))
}

// TestBackfillDirMend: a misnamed file is reported once and not recorded
// again; a missing contact is looked up again on every run and the photo
// sent once it exists; a changed or touched file is tried again.
func TestBackfillDirMend(t *testing.T) {
	stack := startStack(t, nil)
	stack.People.AddContact("", "people/c1")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Bob Smith.jpg"), testPhoto(t, 1))
	writeFile(t, filepath.Join(dir, "c404.jpg"), testPhoto(t, 2))
	writeFile(t, filepath.Join(dir, "c1.jpg"), []byte("not a photo yet"))

	got, _ := outcomesOf(t, 1, dir)
	wantOutcome(t, got, "Bob Smith.jpg", "failed: invalid contact")
	wantOutcome(t, got, "c404.jpg", "failed: contact not found")
	wantOutcome(t, got, "c1.jpg", "failed: unsupported image format")
	lines := journalLines(t, dir)

	for run := 2; run <= 3; run++ {
		got, _ = outcomesOf(t, 0, dir)
		wantOutcome(t, got, "Bob Smith.jpg", "skipped: failed before: invalid contact")
		wantOutcome(t, got, "c404.jpg", "skipped: failed before: contact not found (looked up again)")
		wantOutcome(t, got, "c1.jpg", "skipped: failed before: unsupported image format")
		if n := journalLines(t, dir); n != lines {
			t.Errorf("run %d: the journal has %d lines, after the first run %d: failures are recorded again", run, n, lines)
		}
	}

	// The contact appears; the file is fixed; the misnamed one is renamed.
	stack.People.AddContact("", "people/c404")
	writeFile(t, filepath.Join(dir, "c1.jpg"), testPhoto(t, 3))
	if err := os.Rename(filepath.Join(dir, "Bob Smith.jpg"), filepath.Join(dir, "c1-again.jpg")); err != nil {
		t.Fatal(err)
	}
	got, _ = outcomesOf(t, 1, dir)
	wantOutcome(t, got, "c404.jpg", "updated")
	wantOutcome(t, got, "c1.jpg", "updated")
	wantOutcome(t, got, "c1-again.jpg", "failed: invalid contact")

	// Touching a failed file asks for it to be tried again.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(dir, "c1-again.jpg"), later, later); err != nil {
		t.Fatal(err)
	}
	got, _ = outcomesOf(t, 1, dir)
	wantOutcome(t, got, "c1-again.jpg", "failed: invalid contact")
	wantOutcome(t, got, "c1.jpg", "skipped: already updated")
}

// TestBackfillDryRunChecks: a dry run reads every photo and looks every
// contact up, and says which photos name one contact, writing nothing.
func TestBackfillDryRunChecks(t *testing.T) {
	stack := startStack(t, nil)
	stack.People.AddContact("", "people/c1")
	stack.People.AddContact("", "people/c2", "bob@example.com")
	stack.People.AddContact("", "people/c3", "bob@example.com")
	stack.People.AddContact("", "people/c4", "carol@example.com")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c555.jpg"), []byte("hello, I am text"))
	writeFile(t, filepath.Join(dir, "c556.heic"), append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...))
	writeFile(t, filepath.Join(dir, "c557.jpg"), testPhoto(t, 1))
	writeFile(t, filepath.Join(dir, "bob@example.com.jpg"), testPhoto(t, 2))
	writeFile(t, filepath.Join(dir, "c1.jpg"), testPhoto(t, 3))
	writeFile(t, filepath.Join(dir, "sub", "c1.png.jpg"), testPhoto(t, 4))
	writeFile(t, filepath.Join(dir, "carol@example.com.jpg"), testPhoto(t, 5))
	writeFile(t, filepath.Join(dir, "c4.jpg"), testPhoto(t, 6))
	before := stack.People.Stats()

	r := runBinary(t, nil, "backfill", "--dry-run", dir)
	if r.code != 1 {
		t.Fatalf("dry run exited %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	_, items, sum := parseLines(t, r.stdout)
	got := map[string]string{}
	for _, l := range items {
		got[l.Name] = strings.TrimSuffix(l.Outcome+": "+l.Reason, ": ")
	}
	for name, want := range map[string]string{
		"c555.jpg":              "would fail: unsupported image format",
		"c557.jpg":              "would fail: contact not found",
		"bob@example.com.jpg":   "would fail: ambiguous contact",
		"c1.jpg":                "would update",
		"sub/c1.png.jpg":        "would fail: invalid contact",
		"carol@example.com.jpg": "would update",
		"c4.jpg":                "would update",
	} {
		wantOutcome(t, got, name, want)
	}
	// A HEIC header with no image in it: refused whether or not HEIC is
	// read.
	if o := got["c556.heic"]; o != "would fail: unsupported image format" && o != "would fail: corrupt image" {
		t.Errorf("c556.heic: %q, want it to fail", o)
	}
	if len(sum.Same) != 1 || sum.Same[0].Contact != "people/c4" || len(sum.Same[0].Names) != 2 {
		t.Errorf("same_contact %+v, want carol@example.com.jpg and c4.jpg for people/c4", sum.Same)
	}
	if !strings.Contains(r.stderr, "2 photos name people/c4") {
		t.Errorf("stderr does not warn about two photos for one contact:\n%s", r.stderr)
	}
	after := stack.People.Stats()
	if after.Updates != before.Updates || after.Deletes != before.Deletes {
		t.Errorf("the dry run wrote to the People API")
	}
	if after.Gets == before.Gets || after.Searches == before.Searches {
		t.Errorf("the dry run did not look the contacts up: %+v", after)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFileName)); !os.IsNotExist(err) {
		t.Errorf("the dry run left a journal (%v)", err)
	}

	// A bucket: the objects are read and their contacts looked up too.
	for name, md := range map[string]map[string]string{
		"dry/text.jpg":    {"resourceName": "people/c1"},
		"dry/unknown.jpg": {"resourceName": "people/c557"},
		"dry/ok.jpg":      {"resourceName": "people/c1"},
	} {
		data := testPhoto(t, len(name))
		if name == "dry/text.jpg" {
			data = []byte("hello, I am text")
		}
		if _, err := stack.Storage.Put(localstack.Bucket, name, "image/jpeg", data, md); err != nil {
			t.Fatal(err)
		}
	}
	bucketTarget := "gs://" + localstack.Bucket + "/dry/"
	got, _ = outcomesOf(t, 1, "--dry-run", bucketTarget)
	wantOutcome(t, got, bucketTarget+"text.jpg", "would fail: unsupported image format")
	wantOutcome(t, got, bucketTarget+"unknown.jpg", "would fail: contact not found")
	wantOutcome(t, got, bucketTarget+"ok.jpg", "would update")
	if attrs, err := stack.Storage.Attrs(localstack.Bucket, "dry/unknown.jpg"); err != nil || attrs.Metadata["contactphoto-status"] != "" {
		t.Errorf("the dry run recorded a status on an object (%v)", err)
	}

	// Without credentials, the photos are still checked.
	t.Setenv("TOKEN_SECRET", "")
	r = runBinary(t, nil, "backfill", "--dry-run", dir)
	_, items, _ = parseLines(t, r.stdout)
	for _, l := range items {
		if l.Name == "c557.jpg" && (l.Outcome != "would update" || !strings.Contains(l.Note, "no credentials")) {
			t.Errorf("without credentials c557.jpg: %+v, want would update with a note", l)
		}
		if l.Name == "c555.jpg" && l.Outcome != "would fail" {
			t.Errorf("without credentials the text file: %+v", l)
		}
	}
}

// TestStatus lists each photo's outcome from a bucket and from a folder.
func TestStatus(t *testing.T) {
	stack := startStack(t, nil)
	stack.People.AddContact("", "people/c1")
	for name, md := range map[string]map[string]string{
		"s/ok.jpg":      {"resourceName": "people/c1"},
		"s/nobody.jpg":  nil,
		"s/missing.jpg": {"resourceName": "people/c9"},
	} {
		if _, err := stack.Storage.Put(localstack.Bucket, name, "image/jpeg", testPhoto(t, len(name)), md); err != nil {
			t.Fatal(err)
		}
	}
	target := "gs://" + localstack.Bucket + "/s/"
	outcomesOf(t, 1, target)
	if _, err := stack.Storage.Put(localstack.Bucket, "s/new.jpg", "image/jpeg", testPhoto(t, 9), nil); err != nil {
		t.Fatal(err)
	}
	if err := stack.Storage.UpdateMetadata(context.Background(), localstack.Bucket, "s/missing.jpg", map[string]string{"resourceName": "people/c1"}); err != nil {
		t.Fatal(err)
	}

	r := runBinary(t, nil, "status", "--json", target)
	if r.code != 0 {
		t.Fatalf("status exited %d\n%s", r.code, r.stderr)
	}
	type entry struct {
		Type, Name, State, Reason, Contact, Fix string
		Changed                                 bool
		Total, Updated, Failed                  int
		Pending                                 int `json:"not_yet_handled"`
	}
	var got []entry
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	for dec.More() {
		var e entry
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	want := map[string]string{
		target + "ok.jpg":      "updated  people/c1 false",
		target + "nobody.jpg":  "failed no contact  false",
		target + "missing.jpg": "failed contact not found  true",
		target + "new.jpg":     "not yet handled   false",
	}
	for _, e := range got[:len(got)-1] {
		if s := fmt.Sprintf("%s %s %s %t", e.State, e.Reason, e.Contact, e.Changed); s != want[e.Name] {
			t.Errorf("%s: %q, want %q", e.Name, s, want[e.Name])
		}
		if e.State == "failed" && e.Fix == "" {
			t.Errorf("%s: no fix given for %q", e.Name, e.Reason)
		}
	}
	if s := got[len(got)-1]; s.Type != "summary" || s.Total != 4 || s.Updated != 1 || s.Failed != 2 || s.Pending != 1 {
		t.Errorf("summary %+v", s)
	}
	r = runBinary(t, nil, "status", target)
	if r.code != 0 || !strings.Contains(r.stdout, "4 photos: 1 updated, 2 failed, 1 not yet handled") || !strings.Contains(r.stdout, "What to do:") {
		t.Errorf("human status:\n%s", r.stdout)
	}

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c1.jpg"), testPhoto(t, 1))
	writeFile(t, filepath.Join(dir, "Bob.jpg"), testPhoto(t, 2))
	outcomesOf(t, 1, dir)
	writeFile(t, filepath.Join(dir, "c2.jpg"), testPhoto(t, 3))
	r = runBinary(t, nil, "status", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "3 photos: 1 updated, 1 failed, 1 not yet handled") {
		t.Errorf("status of a folder:\n%s\n%s", r.stdout, r.stderr)
	}
}

// TestBackupAndUndo: backfill --backup keeps the photos it replaces, in a
// folder that a backfill puts back; get saves photos; delete removes them.
func TestBackupAndUndo(t *testing.T) {
	stack := startStack(t, nil)
	stack.People.AddContact("", "people/c1")
	stack.People.AddContact("", "people/c2")
	dir, backupDir := t.TempDir(), filepath.Join(t.TempDir(), "before")
	old := filepath.Join(t.TempDir(), "old.jpg")
	writeFile(t, old, testPhoto(t, 40))
	if r := runBinary(t, nil, "set", "people/c1", old); r.code != 0 {
		t.Fatalf("set: %d\n%s", r.code, r.stderr)
	}
	first, _ := stack.People.Photo("", "people/c1")

	writeFile(t, filepath.Join(dir, "c1.jpg"), testPhoto(t, 1))
	writeFile(t, filepath.Join(dir, "c2.jpg"), testPhoto(t, 2))
	got, _ := outcomesOf(t, 0, "--backup", backupDir, dir)
	wantOutcome(t, got, "c1.jpg", "updated")
	saved, err := os.ReadFile(filepath.Join(backupDir, "c1.jpg"))
	if err != nil || !bytes.Equal(saved, first.Photo) {
		t.Fatalf("the backup of c1 (%v) is not the photo it had", err)
	}
	noPhoto, err := os.ReadFile(filepath.Join(backupDir, noPhotoFile))
	if err != nil || strings.TrimSpace(string(noPhoto)) != "people/c2" {
		t.Fatalf("%s: %q, %v; want people/c2, which had no photo", noPhotoFile, noPhoto, err)
	}

	// Undo: the backup goes back through a backfill, and the contact that
	// had no photo loses the new one.
	got, _ = outcomesOf(t, 0, backupDir)
	wantOutcome(t, got, "c1.jpg", "updated")
	now, _ := stack.People.Photo("", "people/c1")
	if m, _, err := image.Decode(bytes.NewReader(now.Photo)); err != nil || m.Bounds() != image.Rect(0, 0, first.Width, first.Height) {
		t.Errorf("after the undo c1 has a %dx%d photo (%v), want the %dx%d it had", now.Width, now.Height, err, first.Width, first.Height)
	}
	if r := runBinary(t, nil, "delete", strings.Fields(string(noPhoto))[0]); r.code != 0 || !strings.Contains(r.stdout, "Deleted the photo of people/c2") {
		t.Fatalf("delete: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, ok := stack.People.Photo("", "people/c2"); ok {
		t.Error("people/c2 still has a photo after delete")
	}

	out := filepath.Join(t.TempDir(), "all")
	r := runBinary(t, nil, "get", "--out", out, "--all")
	if r.code != 0 || !strings.Contains(r.stdout, "Saved 1 photos") {
		t.Fatalf("get --all: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if data, err := os.ReadFile(filepath.Join(out, "c1.jpg")); err != nil || !bytes.Equal(data, now.Photo) {
		t.Errorf("get --all did not save c1's photo: %v", err)
	}
	if r := runBinary(t, nil, "get", "--out", out, "people/c404"); r.code != 1 || !strings.Contains(r.stderr, "people/c404") {
		t.Errorf("get of an unknown contact: %d\n%s", r.code, r.stderr)
	}
}
