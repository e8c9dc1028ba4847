package contactphoto

import (
	"strings"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/people"
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
	if c.alreadyDone(obj) != "" {
		return &ObjectPlan{Recorded: obj.Metadata[StatusKey]}, nil
	}
	t, err := c.targetOf(obj, 0)
	if err != nil {
		return nil, err
	}
	return &ObjectPlan{Contact: t.ref, Account: t.account}, nil
}

// RecordedFailure returns the reason of a recorded failure status, and
// whether status is one.
func RecordedFailure(status string) (reason string, failed bool) {
	if reason, failed = strings.CutPrefix(status, StatusFailedPrefix); !failed {
		return "", false
	}
	return reason, true
}
