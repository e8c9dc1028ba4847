package contactphoto

import (
	"context"
	"fmt"
	"testing"

	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/internal/localstack"
)

// metadataEvents plays Cloud Storage's part for one object: after every
// change the stand-in applied to its metadata, the function's own status
// writes included, it delivers a metadataUpdated event with the object as
// it is then. It stops when no change is left, and fails the test if
// changes keep coming, which would mean that the function starts itself.
type metadataEvents struct {
	t    *testing.T
	name string
	seen int // metadata updates already delivered, of every object
	sent int // events delivered for this object
}

func newMetadataEvents(t *testing.T, name string) *metadataEvents {
	return &metadataEvents{t: t, name: name, seen: len(stack.Storage.MetadataUpdates(0))}
}

// drain delivers the pending events and returns how many it delivered.
func (m *metadataEvents) drain() int {
	m.t.Helper()
	n := 0
	for round := 0; ; round++ {
		updates := stack.Storage.MetadataUpdates(m.seen)
		if len(updates) == 0 {
			return n
		}
		if round == 10 {
			m.t.Fatalf("metadata events for %s keep coming after %d rounds: the function's status writes start runs", m.name, round)
		}
		m.seen += len(updates)
		for _, u := range updates {
			if u.Name != m.name {
				continue
			}
			attrs, err := stack.Storage.Attrs(u.Bucket, u.Name)
			if err != nil {
				m.t.Fatal(err)
			}
			m.sent++
			n++
			ev, err := eventarc.MetadataUpdatedEvent(fmt.Sprintf("md-%s-%d", u.Name, u.Metageneration), eventarc.Object{
				Bucket: u.Bucket, Name: u.Name, Generation: u.Generation, Metageneration: u.Metageneration,
				Size: attrs.Size, ContentType: attrs.ContentType, Metadata: attrs.Metadata,
			})
			if err != nil {
				m.t.Fatal(err)
			}
			status, err := delivery.Deliver(context.Background(), baseURL+"/UpdateContactPhoto", ev)
			if err != nil || status/100 != 2 {
				m.t.Fatalf("metadataUpdated event: HTTP %d, %v", status, err)
			}
		}
	}
}

// setMetadata changes the object's metadata as a user does with gcloud
// storage objects update.
func setMetadata(t *testing.T, name string, md map[string]string) {
	t.Helper()
	if err := stack.Storage.UpdateMetadata(context.Background(), localstack.Bucket, name, md); err != nil {
		t.Fatal(err)
	}
}

// TestFailureMendedByMetadata follows a user who uploads a photo without a
// contact, then with a typo, then fixes it: each fix runs the object again,
// and nothing else does, the function's own status writes least of all.
func TestFailureMendedByMetadata(t *testing.T) {
	contact := newContact("")
	obj := upload(t, "mend/portrait.jpg", testJPEG(t, 600, 500), nil)
	events := newMetadataEvents(t, obj.Name)
	if status := deliverBinary(t, obj); status/100 != 2 {
		t.Fatalf("finalized event: HTTP %d", status)
	}
	requests := func() int { return stack.People.Stats().Requests }
	wantStatus := func(step, want string) {
		t.Helper()
		if got := metadataOf(t, obj.Name)[StatusKey]; got != want {
			t.Fatalf("%s: status %q, want %q", step, got, want)
		}
	}
	wantStatus("upload without a contact", "failed: no contact")

	// The status write fires an event, which must not start a run.
	before := requests()
	if n := events.drain(); n != 1 {
		t.Errorf("the status write fired %d events, want 1", n)
	}
	if requests() != before {
		t.Errorf("the function's own status write made %d People API requests", requests()-before)
	}

	// A change of unrelated metadata does not retry an unchanged failure.
	setMetadata(t, obj.Name, map[string]string{"note": "holiday"})
	if n := events.drain(); n != 1 || requests() != before {
		t.Errorf("an unrelated change: %d events, %d People API requests; want 1 event and none", n, requests()-before)
	}
	wantStatus("unrelated change", "failed: no contact")

	// A typo: the object runs again and fails for the new reason; its
	// status write fires one more event, which starts nothing.
	setMetadata(t, obj.Name, map[string]string{"resourceName": "people/c404404"})
	if n := events.drain(); n != 2 {
		t.Errorf("a contact with a typo: %d events, want 2 (the user's change and the status write)", n)
	}
	wantStatus("contact with a typo", "failed: contact not found")
	if len(updatesFor(contact)) != 0 {
		t.Fatal("a photo was sent to the right contact before it was named")
	}

	// The fix: the photo is sent once.
	setMetadata(t, obj.Name, map[string]string{"resourceName": contact})
	events.drain()
	wantStatus("contact fixed", StatusUpdated)
	if n := len(updatesFor(contact)); n != 1 {
		t.Errorf("the fixed object sent %d photos, want 1", n)
	}

	// After a success, metadata changes start nothing, even of the contact.
	before = requests()
	setMetadata(t, obj.Name, map[string]string{"resourceName": newContact("")})
	events.drain()
	if requests() != before {
		t.Errorf("a contact change after a success made %d People API requests", requests()-before)
	}
	wantStatus("after success", StatusUpdated)
	if events.sent < 6 {
		t.Errorf("%d metadataUpdated events delivered in all; the steps above make at least 6", events.sent)
	}
}

// TestMetadataEventWithoutOutcome leaves an object whose upload's own event
// is still on its way to that event.
func TestMetadataEventWithoutOutcome(t *testing.T) {
	contact := newContact("")
	obj := upload(t, "mend/early.jpg", testJPEG(t, 300, 300), map[string]string{"resourceName": "people/c1"})
	events := newMetadataEvents(t, obj.Name)
	setMetadata(t, obj.Name, map[string]string{"resourceName": contact})
	before := stack.People.Stats().Requests
	if n := events.drain(); n != 1 || stack.People.Stats().Requests != before {
		t.Errorf("a metadata change before any outcome: %d events, %d People API requests; want 1 and none", n, stack.People.Stats().Requests-before)
	}
	if got := metadataOf(t, obj.Name)[StatusKey]; got != "" {
		t.Errorf("status %q recorded by a metadata event; the upload's event records it", got)
	}
}
