package contactphoto

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/imaging"
	"github.com/contactphoto/contactphoto/people"
	"github.com/contactphoto/contactphoto/tokens"
)

// kindsOf lists an adapter's kinds from first to last, stopping where
// String says a value is no kind.
func kindsOf[K ~int](first K, name func(K) string) []K {
	var ks []K
	for k := first; !strings.HasPrefix(name(k), "Kind("); k++ {
		ks = append(ks, k)
	}
	return ks
}

// TestOutcomeForEveryKind checks that every kind of every adapter has its
// own row, and that the row agrees with the adapter on retrying: a new
// kind cannot be added without saying what it means to users.
func TestOutcomeForEveryKind(t *testing.T) {
	var errs []error
	for _, k := range kindsOf(people.InvalidContact, people.Kind.String) {
		errs = append(errs, &people.Error{Kind: k, Op: "update photo"})
	}
	for _, k := range kindsOf(tokens.Unavailable, tokens.Kind.String) {
		errs = append(errs, &tokens.Error{Kind: k})
	}
	for _, k := range []gcs.Kind{gcs.Unavailable, gcs.NotFound, gcs.TooLarge, gcs.PermissionDenied, gcs.Conflict} {
		errs = append(errs, &gcs.Error{Kind: k, Op: "read"})
	}
	errs = append(errs,
		&imaging.FormatError{Format: "jpeg", Err: errors.New("truncated")},
		imagingError(t, []byte("hello"), nil),
		imagingError(t, pngOf(t, 64, 64), &imaging.Options{MaxPixels: 100}),
		permanentf(ErrNoContact, "no contact metadata"),
		permanentf(ErrConflictingMetadata, "two keys"),
		permanentf(ErrObjectTooLarge, "too big"),
		permanentf(ErrBadEvent, "no bucket"),
		permanentf(ErrTooLargeForMemory, "needs 2 GiB"),
	)
	used := map[*Outcome]error{}
	for _, err := range errs {
		o := OutcomeOf(err)
		if o == &unknownPermanent || o == &unknownTransient {
			t.Errorf("%T %v has no row in the table of outcomes", err, err)
			continue
		}
		if prev, ok := used[o]; ok && o.Reason != "object too large" { // gcs.TooLarge: it grew while read
			t.Errorf("%v and %v share the row %q", prev, err, o.Reason)
		}
		used[o] = err
		if o.Retry == IsPermanent(err) {
			t.Errorf("%v: the row says retry=%t, the adapter says permanent=%t", err, o.Retry, IsPermanent(err))
		}
	}
	if len(used) != len(outcomes) {
		t.Errorf("%d rows are used by the adapters' kinds, the table has %d: remove the rows no kind reaches", len(used), len(outcomes))
	}
}

// imagingError is what Process says about data.
func imagingError(t *testing.T, data []byte, opt *imaging.Options) error {
	t.Helper()
	_, err := imaging.Process(bytes.NewReader(data), opt)
	if err == nil {
		t.Fatal("Process accepted what it must refuse")
	}
	return err
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOutcomeRows checks that every row says something a user can act on,
// that the stable reasons of recorded failures tell rows apart, and that
// the webhook's statuses follow the actor.
func TestOutcomeRows(t *testing.T) {
	recorded := map[string]Actor{}
	for _, o := range outcomes {
		if o.Reason == "" || o.Code == "" || o.Cause == "" || o.Fix == "" || o.HTTPStatus == 0 {
			t.Errorf("row %q is incomplete: %+v", o.Reason, o)
		}
		if o.Reason == "" || o.Reason[:1] != strings.ToLower(o.Reason[:1]) || strings.ContainsAny(o.Reason, ":_") {
			t.Errorf("reason %q: want words in lower case but for names, without colons", o.Reason)
		}
		switch {
		case o.Retry && (o.Actor == Sender || o.HTTPStatus < 500):
			t.Errorf("%q is retried but blames the sender or answers %d", o.Reason, o.HTTPStatus)
		case !o.Retry && o.Actor == Nobody:
			t.Errorf("%q is permanent but nobody is to act", o.Reason)
		case !o.Retry && o.Actor == Sender && o.HTTPStatus >= 500:
			t.Errorf("%q is the sender's to fix but answers %d", o.Reason, o.HTTPStatus)
		}
		if o.Retry {
			continue
		}
		if a, ok := recorded[o.Reason]; ok && a != o.Actor {
			t.Errorf("reason %q is recorded for failures of different actors", o.Reason)
		}
		recorded[o.Reason] = o.Actor
		if got, ok := LookupOutcome(o.Reason); !ok || got.Reason != o.Reason || got.Fix == "" {
			t.Errorf("LookupOutcome(%q) = %+v, %t", o.Reason, got, ok)
		}
	}
}

func TestOwnFailuresMatchTheirSentinels(t *testing.T) {
	err := fmt.Errorf("plan: %w", permanentf(ErrNoContact, "object %q has no contact", "a.jpg"))
	if !errors.Is(err, ErrNoContact) || errors.Is(err, ErrObjectTooLarge) {
		t.Errorf("errors.Is does not tell the sentinels apart: %v", err)
	}
	if !IsPermanent(err) || FailureReason(err) != "no contact" || !strings.Contains(err.Error(), `"a.jpg"`) {
		t.Errorf("permanent=%t reason=%q message=%q", IsPermanent(err), FailureReason(err), err.Error())
	}
	if got := FailureReason(errors.New("boom")); got != "failed" {
		t.Errorf("an unclassified error's reason is %q, want failed", got)
	}
}
