package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/contactphoto/contactphoto"
	"github.com/contactphoto/contactphoto/internal/localstack"
	"github.com/contactphoto/contactphoto/people/peopletest"
)

// cancelAfter cancels the returned context once the People stand-in has
// stored n photos.
func cancelAfter(t *testing.T, s *peopletest.Server, n int) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if s.Stats().Updates >= n {
					cancel()
					return
				}
			}
		}
	}()
	return ctx
}

func TestBackfillBucketInterruptedAndResumed(t *testing.T) {
	stack := startStack(t, nil)
	const n = 300
	want := map[string]int{}
	for i := range n {
		contact := fmt.Sprintf("people/c%d", 5000+i)
		stack.People.AddContact("", contact)
		want["/"+contact] = 1
		if _, err := stack.Storage.Put(localstack.Bucket, fmt.Sprintf("team/%03d.jpg", i), "image/jpeg", testPhoto(t, i),
			map[string]string{"ResourceName": contact}); err != nil {
			t.Fatal(err)
		}
	}
	// Outside the prefix: left alone.
	if _, err := stack.Storage.Put(localstack.Bucket, "other/x.jpg", "image/jpeg", testPhoto(t, 1), map[string]string{"resourceName": "people/c1"}); err != nil {
		t.Fatal(err)
	}
	target := "gs://" + localstack.Bucket + "/team/"

	code, out1, errOut := runCLI(cancelAfter(t, stack.People, n/3), "backfill", target)
	if code != 1 || !strings.Contains(errOut, "interrupted") {
		t.Fatalf("interrupted run exited %d, want 1 and a word about the interruption\nstderr:\n%s", code, errOut)
	}
	start1, items1, sum1 := parseLines(t, out1)
	if start1.Total != n || start1.Target != target {
		t.Errorf("start line %+v, want %d photos of %s", start1, n, target)
	}
	if sum1.Stopped != "interrupted" || sum1.NotStarted == 0 || sum1.Failed != 0 {
		t.Errorf("interrupted run's summary %+v, want interrupted with photos not started and none failed", sum1)
	}
	stored := len(stack.People.Updates())
	if sum1.Updated != stored || countOutcomes(items1)["updated"] != stored {
		t.Errorf("first run reports %d updates, the People API stored %d", sum1.Updated, stored)
	}

	code, out2, errOut := runCLI(context.Background(), "backfill", target)
	if code != 0 {
		t.Fatalf("resumed run exited %d\nstderr:\n%s", code, errOut)
	}
	_, items2, sum2 := parseLines(t, out2)
	if sum2.Updated+sum1.Updated != n || sum2.Skipped != sum1.Updated || sum2.Failed != 0 || sum2.NotStarted != 0 {
		t.Errorf("resumed run's summary %+v after a first run with %d updates; want the rest of %d updated", sum2, sum1.Updated, n)
	}
	for _, l := range items2 {
		if l.Outcome == "skipped" && l.Reason != "already updated" {
			t.Errorf("%s skipped because %q", l.Name, l.Reason)
		}
	}
	if diff := cmp.Diff(want, updatesPerContact(stack.People)); diff != "" {
		t.Errorf("photos set per contact over both runs (-want +got):\n%s", diff)
	}
	attrs, err := stack.Storage.Attrs(localstack.Bucket, "team/299.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if got := attrs.Metadata[contactphoto.StatusKey]; got != contactphoto.StatusUpdated {
		t.Errorf("status of the last object is %q, want %q", got, contactphoto.StatusUpdated)
	}
	if !strings.Contains(errOut, "300 photos: 200") && !strings.Contains(errOut, "Backfill of "+target) {
		t.Errorf("no human summary on stderr:\n%s", errOut)
	}
}

func TestBackfillBucketFailures(t *testing.T) {
	stack := startStack(t, &localstack.Options{Accounts: []string{"work"}, People: peopletest.Options{WriteQuota: -1}})
	put := func(name string, data []byte, md map[string]string) {
		t.Helper()
		if _, err := stack.Storage.Put(localstack.Bucket, name, "image/jpeg", data, md); err != nil {
			t.Fatal(err)
		}
	}
	stack.People.AddContact("", "people/c1")
	stack.People.AddContact("work", "people/c2")
	put("in/ok.jpg", testPhoto(t, 1), map[string]string{"resourceName": "people/c1"})
	put("in/work.jpg", testPhoto(t, 2), map[string]string{"resourceName": "people/c2", "account": "work"})
	put("in/no-contact.jpg", testPhoto(t, 3), nil)
	put("in/not-a-photo.jpg", []byte("hello"), map[string]string{"resourceName": "people/c1"})
	put("in/unknown.jpg", testPhoto(t, 4), map[string]string{"resourceName": "people/c404"})
	put("in/nobody.jpg", testPhoto(t, 5), map[string]string{"resourceName": "people/c1", "account": "nobody"})
	put("in/folder/", nil, nil)

	code, out, errOut := runCLI(context.Background(), "backfill", "--workers", "2", "gs://"+localstack.Bucket+"/in/")
	if code != 1 {
		t.Fatalf("exit %d, want 1 for failures\n%s", code, errOut)
	}
	_, items, sum := parseLines(t, out)
	got := map[string]string{}
	for _, l := range items {
		got[strings.TrimPrefix(l.Name, "gs://"+localstack.Bucket+"/in/")] = fmt.Sprintf("%s: %s final=%t", l.Outcome, l.Reason, l.Final)
	}
	want := map[string]string{
		"ok.jpg":          "updated:  final=false",
		"work.jpg":        "updated:  final=false",
		"no-contact.jpg":  "failed: no contact final=true",
		"not-a-photo.jpg": "failed: unsupported image format final=true",
		"unknown.jpg":     "failed: contact not found final=true",
		"nobody.jpg":      "failed: no credentials final=false",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if sum.Failed != 4 || len(sum.Failures) != 4 {
		t.Errorf("summary %+v, want 4 failures in 4 groups", sum)
	}
	if !strings.Contains(errOut, "Failures by reason:") || !strings.Contains(errOut, "contact not found: 1, recorded") {
		t.Errorf("human summary does not group failures by reason:\n%s", errOut)
	}

	// The recorded failures are skipped; the one for want of credentials
	// is tried again, and fails again.
	code, out, _ = runCLI(context.Background(), "backfill", "gs://"+localstack.Bucket+"/in/")
	_, _, sum = parseLines(t, out)
	if code != 1 || sum.Updated != 0 || sum.Skipped != 5 || sum.Failed != 1 {
		t.Errorf("second run exited %d with %+v; want 5 skipped, 1 failed", code, sum)
	}
	if n := len(stack.People.Updates()); n != 2 {
		t.Errorf("the People API stored %d photos, want 2", n)
	}
}

// A failure that every further photo would repeat stops the run instead
// of marking the whole bucket as failed.
func TestBackfillStopsOnSystemicFailure(t *testing.T) {
	stack := startStack(t, nil)
	for i := range 30 {
		contact := fmt.Sprintf("people/c%d", 100+i)
		stack.People.AddContact("", contact)
		if _, err := stack.Storage.Put(localstack.Bucket, fmt.Sprintf("s/%02d.jpg", i), "image/jpeg", testPhoto(t, i), map[string]string{"resourceName": contact}); err != nil {
			t.Fatal(err)
		}
	}
	stack.People.SetServiceDisabled(true)
	code, out, errOut := runCLI(context.Background(), "backfill", "--workers", "2", "gs://"+localstack.Bucket+"/s/")
	if code != 1 || !strings.Contains(errOut, "every further photo would repeat") {
		t.Fatalf("exit %d, want 1 with the reason for stopping\n%s", code, errOut)
	}
	_, items, sum := parseLines(t, out)
	if len(items) > 4 || sum.NotStarted < 26 || sum.Stopped == "" {
		t.Errorf("%d photos tried, %d not started (%+v); want the run stopped after the first failures", len(items), sum.NotStarted, sum)
	}
}

// Bad credentials stop the run before any photo is touched.
func TestBackfillChecksCredentialsFirst(t *testing.T) {
	stack := startStack(t, nil)
	stack.People.AddContact("", "people/c1")
	if _, err := stack.Storage.Put(localstack.Bucket, "r/c1.jpg", "image/jpeg", testPhoto(t, 1), map[string]string{"resourceName": "people/c1"}); err != nil {
		t.Fatal(err)
	}
	stack.OAuth.Revoke(stack.RefreshTokens[""])
	code, out, errOut := runCLI(context.Background(), "backfill", "gs://"+localstack.Bucket+"/r/")
	if code != 1 || !strings.Contains(errOut, "contactphoto authorize") {
		t.Fatalf("exit %d, want 1 and how to authorize again\n%s", code, errOut)
	}
	_, _, sum := parseLines(t, out)
	if sum.NotStarted != 1 || sum.Done != 0 {
		t.Errorf("summary %+v, want the photo not started", sum)
	}
	attrs, err := stack.Storage.Attrs(localstack.Bucket, "r/c1.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := attrs.Metadata[contactphoto.StatusKey]; ok {
		t.Errorf("the object got a status %q though no photo was tried", st)
	}
}

func TestBackfillDirInterruptedAndResumed(t *testing.T) {
	stack := startStack(t, nil)
	dir := t.TempDir()
	const n = 40
	want := map[string]int{}
	for i := range n {
		contact := fmt.Sprintf("people/c%d", 7000+i)
		stack.People.AddContact("", contact)
		want["/"+contact] = 1
		name := fmt.Sprintf("c%d.jpg", 7000+i)
		if i%2 == 1 {
			name = filepath.Join("sub", name)
		}
		writeFile(t, filepath.Join(dir, name), testPhoto(t, i))
	}
	stack.People.AddContact("", "people/c9999", "alice@example.com")
	want["/people/c9999"] = 1
	writeFile(t, filepath.Join(dir, "alice@example.com.PNG.jpg"), testPhoto(t, 99)) // no such contact: fails
	writeFile(t, filepath.Join(dir, "alice@example.com.jpg"), testPhoto(t, 98))
	writeFile(t, filepath.Join(dir, "README.txt"), []byte("not a photo"))
	writeFile(t, filepath.Join(dir, ".hidden", "c1.jpg"), testPhoto(t, 1))

	code, out1, errOut := runCLI(cancelAfter(t, stack.People, 15), "backfill", dir)
	if code != 1 {
		t.Fatalf("interrupted run exited %d, want 1\n%s", code, errOut)
	}
	start, _, sum1 := parseLines(t, out1)
	if start.Total != n+2 {
		t.Errorf("listed %d photos, want %d (no text file, nothing hidden)", start.Total, n+2)
	}
	if sum1.Updated != len(stack.People.Updates()) {
		t.Errorf("first run reports %d updates, the People API stored %d", sum1.Updated, len(stack.People.Updates()))
	}

	code, out2, errOut := runCLI(context.Background(), "backfill", dir)
	_, _, sum2 := parseLines(t, out2)
	if wantCode := min(sum2.Failed, 1); code != wantCode {
		t.Fatalf("second run exited %d with %d failed, want %d\n%s", code, sum2.Failed, wantCode, errOut)
	}
	if sum1.Updated+sum2.Updated != n+1 || sum1.Failed+sum2.Failed != 1 {
		t.Errorf("updated %d then %d, failed %d then %d; want %d updated and 1 failed in all",
			sum1.Updated, sum2.Updated, sum1.Failed, sum2.Failed, n+1)
	}
	if diff := cmp.Diff(want, updatesPerContact(stack.People)); diff != "" {
		t.Errorf("photos set per contact (-want +got):\n%s", diff)
	}

	// A third run has nothing to do: the failure is recorded. Touching a
	// file keeps it done (same content); changing one sends it again.
	now := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(dir, "c7000.jpg"), now, now); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "sub", "c7001.jpg"), testPhoto(t, 77))
	code, out3, errOut := runCLI(context.Background(), "backfill", dir)
	if code != 0 {
		t.Fatalf("third run exited %d\n%s", code, errOut)
	}
	_, items3, sum3 := parseLines(t, out3)
	if sum3.Updated != 1 || sum3.Skipped != n+1 {
		t.Errorf("third run %+v, want only the changed file updated", sum3)
	}
	for _, l := range items3 {
		if l.Outcome == "updated" && l.Name != "sub/c7001.jpg" {
			t.Errorf("%s was sent again", l.Name)
		}
	}
	if got := updatesPerContact(stack.People)["/people/c7001"]; got != 2 {
		t.Errorf("the changed photo was set %d times in all, want 2", got)
	}

	st, err := openDirState(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	rec, ok := st.lookup("alice@example.com.PNG.jpg")
	if !ok || rec.Outcome != "failed: contact not found" {
		t.Errorf("journal has %+v for the badly named file, want its failure", rec)
	}
	rec, ok = st.lookup("alice@example.com.jpg")
	if !ok || rec.Outcome != "updated" || rec.Contact != "people/c9999" || len(rec.SHA256) != 64 {
		t.Errorf("journal has %+v for alice's photo", rec)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBackfillDryRunChangesNothing(t *testing.T) {
	stack := startStack(t, nil)
	stack.People.AddContact("", "people/c1")
	put := func(name string, md map[string]string) {
		t.Helper()
		if _, err := stack.Storage.Put(localstack.Bucket, name, "image/jpeg", testPhoto(t, 1), md); err != nil {
			t.Fatal(err)
		}
	}
	put("d/c1.jpg", map[string]string{"resourceName": "people/c1"})
	put("d/none.jpg", nil)
	put("d/done.jpg", map[string]string{"resourceName": "people/c1"})
	// Record an outcome for done.jpg the way a run would.
	if code, _, errOut := runCLI(context.Background(), "backfill", "gs://"+localstack.Bucket+"/d/done"); code != 0 {
		t.Fatalf("setup run exited %d\n%s", code, errOut)
	}
	before := map[string]map[string]string{}
	for _, name := range []string{"d/c1.jpg", "d/none.jpg", "d/done.jpg"} {
		a, err := stack.Storage.Attrs(localstack.Bucket, name)
		if err != nil {
			t.Fatal(err)
		}
		before[name] = a.Metadata
	}
	writes := stack.People.Stats()

	code, out, errOut := runCLI(context.Background(), "backfill", "--dry-run", "gs://"+localstack.Bucket+"/d/")
	if code != 1 {
		t.Fatalf("dry run exited %d, want 1 for the photo that would fail\n%s", code, errOut)
	}
	_, items, sum := parseLines(t, out)
	got := map[string]string{}
	for _, l := range items {
		got[l.Name] = l.Outcome + ": " + l.Reason
	}
	want := map[string]string{
		"gs://" + localstack.Bucket + "/d/c1.jpg":   "would update: ",
		"gs://" + localstack.Bucket + "/d/none.jpg": "would fail: no contact",
		"gs://" + localstack.Bucket + "/d/done.jpg": "skipped: already updated",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dry run outcomes (-want +got):\n%s", diff)
	}
	if !sum.DryRun || !strings.Contains(errOut, "Nothing was changed") {
		t.Errorf("summary %+v / %q does not say it was a dry run", sum, errOut)
	}
	if w := stack.People.Stats(); w.Updates != writes.Updates || w.Deletes != writes.Deletes {
		t.Errorf("the dry run wrote to the People API: %+v, before %+v", w, writes)
	}
	for name, md := range before {
		a, err := stack.Storage.Attrs(localstack.Bucket, name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(md, a.Metadata); diff != "" {
			t.Errorf("dry run changed the metadata of %s (-before +after):\n%s", name, diff)
		}
	}

	// A folder: no journal appears.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c1.jpg"), testPhoto(t, 1))
	code, out, errOut = runCLI(context.Background(), "backfill", "--dry-run", dir)
	if code != 0 {
		t.Fatalf("dry run of a folder exited %d\n%s", code, errOut)
	}
	if _, _, sum := parseLines(t, out); sum.WouldUpdate != 1 {
		t.Errorf("dry run of a folder: %+v, want 1 would update", sum)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFileName)); !os.IsNotExist(err) {
		t.Errorf("the dry run left a journal (%v)", err)
	}
	if n := stack.People.Stats().Updates; n != writes.Updates {
		t.Errorf("the dry run of a folder set %d photos", n-writes.Updates)
	}
}

// A second interrupt abandons the photos in flight: the run ends without
// waiting for their turn (a photo that waited would be updated), and they
// are not recorded as done.
func TestBackfillAbandon(t *testing.T) {
	stack := startStack(t, nil)
	t.Setenv("PEOPLE_WRITES_PER_MINUTE", "60") // a write a second: photos queue up
	dir := t.TempDir()
	const n = 8
	for i := range n {
		stack.People.AddContact("", fmt.Sprintf("people/c%d", 300+i))
		writeFile(t, filepath.Join(dir, fmt.Sprintf("c%d.jpg", 300+i)), testPhoto(t, i))
	}
	now := func(<-chan struct{}) <-chan struct{} {
		c := make(chan struct{})
		close(c)
		return c
	}
	ctx := cancelAfter(t, stack.People, 1)
	var stdout, stderr strings.Builder
	err := backfillCommand(ctx, []string{"--workers", "3", dir}, &stdout, &stderr, now)
	if err == nil || !strings.Contains(stderr.String(), "Abandoning") {
		t.Fatalf("abandoned run returned %v\n%s", err, stderr.String())
	}
	_, items, sum := parseLines(t, stdout.String())
	abandoned := map[string]bool{}
	for _, l := range items {
		if l.Outcome == "failed" && l.Reason == "abandoned" && !l.Final {
			abandoned["/"+l.Contact] = true
		}
	}
	if len(abandoned) == 0 || sum.Updated+len(abandoned) != len(items) {
		t.Errorf("%d abandoned, %d updated of %d items; want every unfinished photo abandoned", len(abandoned), sum.Updated, len(items))
	}
	st, err := openDirState(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range items {
		if rec, ok := st.lookup(l.Name); ok != (l.Outcome == "updated") {
			t.Errorf("%s (%s) has journal record %+v", l.Name, l.Outcome, rec)
		}
	}

	t.Setenv("PEOPLE_WRITES_PER_MINUTE", "6000")
	if code, _, errOut := runCLI(context.Background(), "backfill", dir); code != 0 {
		t.Fatalf("rerun exited %d\n%s", code, errOut)
	}
	// A photo abandoned while its request was on the wire may have been set
	// already; it is set again, as it was not recorded. Others are set once.
	for c, k := range updatesPerContact(stack.People) {
		if k != 1 && !(abandoned[c] && k == 2) {
			t.Errorf("%s set %d times (abandoned: %t)", c, k, abandoned[c])
		}
	}
	if got := len(updatesPerContact(stack.People)); got != n {
		t.Errorf("%d contacts have a photo, want %d", got, n)
	}
}

// Without a default account, objects that fail before any account is used
// don't stop the run for want of one.
func TestBackfillWithoutDefaultAccount(t *testing.T) {
	stack := startStack(t, &localstack.Options{Accounts: []string{"work"}, People: peopletest.Options{WriteQuota: -1}})
	t.Setenv("TOKEN_SECRET", "")
	stack.People.AddContact("work", "people/c2")
	for name, md := range map[string]map[string]string{
		"w/work.jpg":       {"resourceName": "people/c2", "account": "work"},
		"w/no-contact.jpg": nil,
	} {
		if _, err := stack.Storage.Put(localstack.Bucket, name, "image/jpeg", testPhoto(t, 2), md); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runCLI(context.Background(), "backfill", "gs://"+localstack.Bucket+"/w/")
	_, _, sum := parseLines(t, out)
	if code != 1 || sum.Updated != 1 || sum.Failed != 1 || len(sum.Failures) != 1 || sum.Failures[0].Reason != "no contact" {
		t.Errorf("exit %d, %+v; want the work photo updated and the other failed for want of a contact\n%s", code, sum, errOut)
	}
}

// iPhones export photos as IMG_0042.HEIC; a folder of them is backfilled
// like one of JPEGs, whatever the case of the extension.
func TestBackfillDirHEIC(t *testing.T) {
	stack := startStack(t, nil)
	dir := t.TempDir()
	heic, err := os.ReadFile("../../imaging/internal/heif/testdata/iphone-1000x700-irot3.heic")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"c8000.HEIC", "c8001.heif", "c8002.HIF"} {
		stack.People.AddContact("", "people/"+strings.TrimSuffix(name, filepath.Ext(name)))
		writeFile(t, filepath.Join(dir, name), heic)
	}
	code, out, errOut := runCLI(context.Background(), "backfill", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if _, _, sum := parseLines(t, out); sum.Updated != 3 {
		t.Errorf("summary %+v, want every HEIC updated", sum)
	}
	if diff := cmp.Diff(map[string]int{"/people/c8000": 1, "/people/c8001": 1, "/people/c8002": 1}, updatesPerContact(stack.People)); diff != "" {
		t.Errorf("photos set per contact (-want +got):\n%s", diff)
	}
}

// A journal that is not a regular file, or is too large, stops the run at
// once with a clear error, instead of reading /dev/zero forever or hanging
// on a FIFO.
func TestBackfillRefusesAJournalThatIsNotAFile(t *testing.T) {
	startStack(t, nil)
	tests := map[string]func(path string) error{
		"symlink to /dev/zero": func(p string) error { return os.Symlink("/dev/zero", p) },
		"FIFO":                 func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"too large": func(p string) error {
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(maxJournalBytes + 1)
		},
	}
	for name, mk := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "c1.jpg"), testPhoto(t, 1))
			if err := mk(filepath.Join(dir, stateFileName)); err != nil {
				t.Skipf("cannot make the journal: %v", err)
			}
			for _, args := range [][]string{{"backfill", dir}, {"backfill", "--dry-run", dir}} {
				done := make(chan struct{})
				var code int
				var errOut string
				go func() {
					defer close(done)
					code, _, errOut = runCLI(context.Background(), args...)
				}()
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					t.Fatalf("%v still running: the journal was read as if it were a file", args)
				}
				if code == 0 || !strings.Contains(errOut, "journal") || !strings.Contains(errOut, "move it away") {
					t.Errorf("%v exited %d, want an error about the journal\n%s", args, code, errOut)
				}
			}
		})
	}
}

// A symbolic link to a photo that is gone is reported and skipped; the
// other photos are set.
func TestBackfillSkipsADanglingSymlink(t *testing.T) {
	stack := startStack(t, nil)
	stack.People.AddContact("", "people/c1")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c1.jpg"), testPhoto(t, 1))
	if err := os.Symlink(filepath.Join(dir, "gone.jpg"), filepath.Join(dir, "c2.jpg")); err != nil {
		t.Skipf("cannot make a symbolic link: %v", err)
	}
	code, out, errOut := runCLI(context.Background(), "backfill", dir)
	if code != 0 {
		t.Fatalf("exited %d\n%s", code, errOut)
	}
	_, items, sum := parseLines(t, out)
	got := map[string]string{}
	for _, l := range items {
		got[l.Name] = l.Outcome + ": " + l.Reason
	}
	want := map[string]string{"c1.jpg": "updated: ", "c2.jpg": "skipped: broken symbolic link"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if sum.Updated != 1 || sum.Skipped != 1 {
		t.Errorf("summary %+v, want 1 updated and 1 skipped", sum)
	}
}
