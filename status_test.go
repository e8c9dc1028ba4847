package contactphoto

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/internal/localstack"
)

func metadataOf(t testing.TB, name string) map[string]string {
	t.Helper()
	attrs, err := stack.Storage.Attrs(localstack.Bucket, name)
	if err != nil {
		t.Fatal(err)
	}
	return attrs.Metadata
}

func TestStatusRecordedAndDuplicateSkipped(t *testing.T) {
	contact := newContact("")
	obj := upload(t, "status/dup.jpg", testJPEG(t, 900, 700), map[string]string{"resourceName": contact})
	for i := 0; i < 3; i++ {
		if status := deliverBinary(t, obj); status/100 != 2 {
			t.Fatalf("delivery %d: HTTP %d", i+1, status)
		}
	}
	if n := len(updatesFor(contact)); n != 1 {
		t.Errorf("three deliveries of one event sent %d photos, want 1", n)
	}
	md := metadataOf(t, obj.Name)
	if md[StatusKey] != "updated" || md[StatusGenerationKey] != strconv.FormatInt(obj.Generation, 10) || md[StatusContactKey] != contact {
		t.Errorf("status metadata = %v", md)
	}
	if _, err := time.Parse(time.RFC3339, md[StatusUpdatedKey]); err != nil {
		t.Errorf("%s = %q is not RFC 3339: %v", StatusUpdatedKey, md[StatusUpdatedKey], err)
	}
	if md["resourceName"] != contact {
		t.Errorf("the user's metadata was lost: %v", md)
	}
	skips := 0
	for _, e := range logFor(t, obj.Name) {
		if e.str("severity") == "INFO" && bytes.HasPrefix([]byte(e.str("message")), []byte("skipped: generation already processed")) {
			skips++
		}
	}
	if skips != 2 {
		t.Errorf("logged %d skips at INFO for the two duplicates, want 2", skips)
	}
}

func TestConcurrentDuplicatesSendOnce(t *testing.T) {
	contact := newContact("")
	obj := upload(t, "status/concurrent.jpg", testJPEG(t, 900, 700), map[string]string{"resourceName": contact})
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Go(func() {
			if status := deliverBinary(t, obj); status/100 != 2 {
				t.Errorf("HTTP %d", status)
			}
		})
	}
	wg.Wait()
	if n := len(updatesFor(contact)); n != 1 {
		t.Errorf("six concurrent deliveries sent %d photos, want 1", n)
	}
}

func TestStaleEventSkipped(t *testing.T) {
	contact := newContact("")
	old := upload(t, "status/overwritten.jpg", testJPEG(t, 400, 400), map[string]string{"resourceName": contact})
	time.Sleep(2 * time.Millisecond) // distinct generations
	latest := upload(t, "status/overwritten.jpg", testJPEG(t, 800, 800), map[string]string{"resourceName": contact})
	if status := deliverBinary(t, old); status/100 != 2 {
		t.Fatalf("stale event: HTTP %d", status)
	}
	if n := len(updatesFor(contact)); n != 0 {
		t.Fatalf("a stale event sent %d photos; it must never send an old photo", n)
	}
	if status := deliverBinary(t, latest); status/100 != 2 {
		t.Fatalf("latest event: HTTP %d", status)
	}
	if n := len(updatesFor(contact)); n != 1 {
		t.Fatalf("the latest generation sent %d photos, want 1", n)
	}

	gone := eventarc.Object{Bucket: localstack.Bucket, Name: "status/never-existed.jpg", Generation: 42, Size: 10}
	before := stack.People.Stats().Requests
	if status := deliverBinary(t, gone); status/100 != 2 {
		t.Fatalf("event for a deleted object: HTTP %d, want it acknowledged", status)
	}
	if stack.People.Stats().Requests != before {
		t.Error("an event for a deleted object called the People API")
	}
}

func TestPermanentFailureRecordedOnObject(t *testing.T) {
	obj := upload(t, "status/bad-contact.jpg", testJPEG(t, 300, 300), map[string]string{"resourceName": "people/me"})
	if status := deliverBinary(t, obj); status/100 != 2 {
		t.Fatalf("HTTP %d", status)
	}
	md := metadataOf(t, obj.Name)
	if md[StatusKey] != "failed: invalid contact" || md[StatusGenerationKey] != strconv.FormatInt(obj.Generation, 10) {
		t.Errorf("status metadata = %v, want failed: invalid contact for this generation", md)
	}
	var errorLine logEntry
	for _, e := range logFor(t, obj.Name) {
		if e.str("severity") == "ERROR" {
			errorLine = e
		}
	}
	if errorLine.str("@type") != cloudlog.ReportedErrorEventType {
		t.Errorf("the ERROR line lacks the Error Reporting type: %v", errorLine)
	}
	sc, _ := errorLine["serviceContext"].(map[string]any)
	if sc["service"] == "" || sc["service"] == nil {
		t.Errorf("the ERROR line lacks serviceContext.service: %v", errorLine)
	}
	ctx, _ := errorLine["context"].(map[string]any)
	if loc, _ := ctx["reportLocation"].(map[string]any); loc["functionName"] == nil {
		t.Errorf("the ERROR line lacks context.reportLocation: %v", errorLine)
	}
}

func TestOldEventAcknowledged(t *testing.T) {
	contact := newContact("")
	obj := upload(t, "status/old-event.jpg", testJPEG(t, 300, 300), map[string]string{"resourceName": contact})
	obj.Updated = time.Now().Add(-25 * time.Hour)
	if status := deliverBinary(t, obj); status/100 != 2 {
		t.Fatalf("HTTP %d; an event older than MAX_EVENT_AGE must be acknowledged", status)
	}
	if n := len(updatesFor(contact)); n != 0 {
		t.Errorf("an event older than MAX_EVENT_AGE sent %d photos", n)
	}
}

// TestWithoutStatusWriteback runs a pipeline of its own with
// STATUS_WRITEBACK=false: nothing is written on the object, and duplicates
// are still recognised within the instance.
func TestWithoutStatusWriteback(t *testing.T) {
	env := stack.Env()
	env[EnvStatusWriteback] = "false"
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	p, err := NewPipeline(context.Background(), cfg, &PipelineOptions{Logger: cloudlog.New(&logs, slog.LevelInfo)})
	if err != nil {
		t.Fatal(err)
	}
	contact := newContact("")
	obj := upload(t, "status/no-writeback.jpg", testJPEG(t, 300, 300), map[string]string{"resourceName": contact})
	ev, err := eventarc.FinalizedEvent("no-writeback-1", obj)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := p.HandleEvent(context.Background(), ev); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	if n := len(updatesFor(contact)); n != 1 {
		t.Errorf("two deliveries sent %d photos, want 1", n)
	}
	if md := metadataOf(t, obj.Name); md[StatusKey] != "" {
		t.Errorf("status written with STATUS_WRITEBACK=false: %v", md)
	}
	if testing.Verbose() {
		fmt.Fprint(os.Stderr, logs.String())
	}
}
