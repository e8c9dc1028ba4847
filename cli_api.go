package contactphoto

import (
	"context"
	"strings"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/people"
)

// ObjectPlan is what UpdateObject would do with an object, as far as its
// listed attributes tell.
type ObjectPlan struct {
	// Recorded is the outcome recorded for the object's generation.
	Recorded Recorded
	// Skip says why UpdateObject would skip the generation, because of its
	// recorded outcome; "" when it would run it.
	Skip string
	// Contact and Account are what the object's metadata (or name) names,
	// when it would run.
	Contact people.ContactRef
	Account string
}

// PlanObject says what UpdateObject(…, retryFailed) would do with obj
// without reading or changing anything, for dry runs and for tools that skip
// recorded generations straight from a listing. When UpdateObject would fail
// for good before any download (too large, no or bad contact metadata),
// PlanObject returns that permanent error; FailureReason gives its reason.
func (c *Config) PlanObject(obj *gcs.Object, retryFailed bool) (*ObjectPlan, error) {
	mode := runBackfill
	if retryFailed {
		mode = runRetryFailed
	}
	plan := &ObjectPlan{Recorded: c.RecordedStatus(obj), Skip: c.skipRecorded(obj, mode)}
	if plan.Skip != "" {
		return plan, nil
	}
	t, err := c.targetOf(obj, 0)
	if err != nil {
		return plan, err
	}
	plan.Contact, plan.Account = t.ref, t.account
	return plan, nil
}

// RecordedFailure returns the reason of a recorded failure status, and
// whether status is one.
func RecordedFailure(status string) (reason string, failed bool) {
	if reason, failed = strings.CutPrefix(status, StatusFailedPrefix); !failed {
		return "", false
	}
	return reason, true
}

// FindContact checks that ref names one contact of account, with read calls
// only, and returns its resource name: what a dry run can know without
// writing. A credentials problem is reported as for an update.
func (p *Pipeline) FindContact(ctx context.Context, account string, ref people.ContactRef) (string, error) {
	if err := p.checkToken(ctx, account); err != nil {
		return "", err
	}
	return p.people.Find(ctx, account, ref)
}

// ReadObject reads an object generation, refusing one over
// MAX_OBJECT_BYTES, for tools that check a photo without sending it.
func (p *Pipeline) ReadObject(ctx context.Context, obj *gcs.Object) ([]byte, error) {
	if obj.Size > p.cfg.MaxObjectBytes {
		return nil, permanentf(ErrObjectTooLarge, "object is %d bytes, over MAX_OBJECT_BYTES (%d)", obj.Size, p.cfg.MaxObjectBytes)
	}
	return p.objects.Read(ctx, obj.Bucket, obj.Name, obj.Generation, p.cfg.MaxObjectBytes)
}

// CurrentPhoto returns the photo ref shows now (nil for the default
// picture) and its resource name, for backups.
func (p *Pipeline) CurrentPhoto(ctx context.Context, account string, ref people.ContactRef) (string, []byte, error) {
	if err := p.checkToken(ctx, account); err != nil {
		return "", nil, err
	}
	return p.people.CurrentPhoto(ctx, account, ref)
}

// DeletePhoto removes ref's photo, so that it shows the default picture,
// and returns its resource name.
func (p *Pipeline) DeletePhoto(ctx context.Context, account string, ref people.ContactRef) (string, error) {
	if err := p.checkToken(ctx, account); err != nil {
		return "", err
	}
	name, err := p.people.Resolve(ctx, account, ref)
	if err != nil {
		return "", err
	}
	if err := p.people.DeletePhoto(ctx, account, name); err != nil {
		return "", err
	}
	p.log.Info("contact photo deleted", "contact", name, "account", account)
	return name, nil
}

// ListContacts returns the resource names of all the account's contacts.
func (p *Pipeline) ListContacts(ctx context.Context, account string) ([]string, error) {
	if err := p.checkToken(ctx, account); err != nil {
		return nil, err
	}
	return p.people.ListContacts(ctx, account)
}
