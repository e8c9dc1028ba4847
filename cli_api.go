package contactphoto

import (
	"strings"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/people"
)

// StatusUpdated is the status recorded on an object whose photo was set;
// a failure is recorded as StatusFailedPrefix followed by its reason.
const (
	StatusUpdated      = statusUpdated
	StatusFailedPrefix = statusFailedPrefix
)

// ObjectPlan is what UpdateObject would do with an object, as far as its
// listed attributes tell.
type ObjectPlan struct {
	// Recorded is the outcome recorded for the object's generation
	// (StatusUpdated, or StatusFailedPrefix and a reason); UpdateObject
	// skips such a generation. Empty when none is recorded.
	Recorded string
	// Contact and Account are what the object's metadata (or name) names.
	Contact people.ContactRef
	Account string
}

// PlanObject says what UpdateObject would do with obj without reading or
// changing anything, for dry runs and for tools that skip recorded
// generations straight from a listing. When UpdateObject would fail for good
// before any download (too large, no or bad contact metadata), PlanObject
// returns that permanent error; FailureReason gives its reason.
func (c *Config) PlanObject(obj *gcs.Object) (*ObjectPlan, error) {
	p := &Pipeline{cfg: c}
	if p.alreadyDone(obj) != "" {
		return &ObjectPlan{Recorded: obj.Metadata[StatusKey]}, nil
	}
	if obj.Size > c.MaxObjectBytes {
		return nil, permanentf("too large", "object is %d bytes, over MAX_OBJECT_BYTES (%d)", obj.Size, c.MaxObjectBytes)
	}
	ref, err := p.contactOf(obj.Name, obj.Metadata)
	if err != nil {
		return nil, err
	}
	account, _, err := lookupMetadata(obj.Metadata, AccountMetadataKey)
	if err != nil {
		return nil, err
	}
	return &ObjectPlan{Contact: ref, Account: account}, nil
}

// RecordedFailure returns the reason of a recorded failure status, and
// whether status is one.
func RecordedFailure(status string) (reason string, failed bool) {
	if reason, failed = strings.CutPrefix(status, StatusFailedPrefix); !failed {
		return "", false
	}
	return reason, true
}
