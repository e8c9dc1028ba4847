package contactphoto

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactphoto/contactphoto/gcs"
)

// The object metadata keys in which the function records what it did with
// each generation. Writing them fires a metadataUpdated event, which starts
// no run: StatusInputsKey shows that the inputs did not change.
const (
	StatusKey           = "contactphoto-status"     // "updated" or "failed: <reason>"
	StatusGenerationKey = "contactphoto-generation" // the generation the status is about
	StatusUpdatedKey    = "contactphoto-updated"    // RFC 3339 time of the outcome
	StatusContactKey    = "contactphoto-contact"    // the contact's resource name
	// StatusInputsKey holds a digest of the metadata the attempt used (the
	// contact, account and email keys), so that a change of them can be
	// told from any other metadata change.
	StatusInputsKey = "contactphoto-inputs"
)

// StatusUpdated is the status recorded on an object whose photo was set;
// a failure is recorded as StatusFailedPrefix followed by its reason.
const (
	StatusUpdated      = "updated"
	StatusFailedPrefix = "failed: "
)

// status is the outcome of one object generation.
type status struct {
	status  string
	contact string
	inputs  string // inputsOf the attributes the attempt used
}

// Recorded is what an object's metadata says about its live generation.
type Recorded struct {
	// Status is StatusUpdated, StatusFailedPrefix and a reason, or "" when
	// no outcome is recorded for this generation.
	Status string
	// Contact is the contact whose photo was set.
	Contact string
	// InputsChanged reports that the contact, account or email metadata
	// changed since the outcome was recorded. Outcomes recorded before the
	// digest was kept report false.
	InputsChanged bool
	// Time is when the outcome was recorded.
	Time time.Time
}

// RecordedStatus reads the outcome recorded for attrs' generation.
func (c *Config) RecordedStatus(attrs *gcs.Object) Recorded {
	md := attrs.Metadata
	if md[StatusKey] == "" || md[StatusGenerationKey] != strconv.FormatInt(attrs.Generation, 10) {
		return Recorded{}
	}
	r := Recorded{Status: md[StatusKey], Contact: md[StatusContactKey]}
	r.Time, _ = time.Parse(time.RFC3339, md[StatusUpdatedKey])
	if was := md[StatusInputsKey]; was != "" {
		r.InputsChanged = was != c.inputsOf(attrs)
	}
	return r
}

// inputsOf digests the metadata that decides an attempt's target: the
// contact, account and email keys in any case. Other metadata, such as
// the status keys, does not change it.
func (c *Config) inputsOf(attrs *gcs.Object) string {
	var kv []string
	for k, v := range attrs.Metadata {
		for _, key := range []string{c.ContactMetadataKey, AccountMetadataKey, EmailMetadataKey} {
			if strings.EqualFold(k, key) {
				kv = append(kv, k+"\x00"+v)
			}
		}
	}
	slices.Sort(kv)
	sum := sha256.Sum256([]byte(strings.Join(kv, "\x00\x00")))
	return hex.EncodeToString(sum[:8])
}

// skipRecorded says why mode skips attrs' generation, given its recorded
// outcome, or "" to run it.
func (c *Config) skipRecorded(attrs *gcs.Object, mode runMode) string {
	if mode == runForced {
		return ""
	}
	if !c.StatusWriteback {
		if mode == runChanged {
			return "STATUS_WRITEBACK is off, so a change of the contact metadata cannot be told from other changes"
		}
		return ""
	}
	rec := c.RecordedStatus(attrs)
	_, failed := RecordedFailure(rec.Status)
	switch {
	case rec.Status == "" && mode == runChanged:
		return "no outcome is recorded yet; the upload's own event sets the photo"
	case rec.Status == "":
		return ""
	case mode == runUpload || !failed:
		return "generation already processed (" + StatusKey + ": " + rec.Status + ")"
	case mode == runRetryFailed:
		return ""
	case rec.InputsChanged:
		return ""
	case mode == runChanged && attrs.Metadata[StatusInputsKey] == "":
		// Recorded by an earlier version, which kept no digest: run once
		// more, and this time record one.
		return ""
	}
	return "failed before (" + rec.Status + ") and its contact and account metadata have not changed since"
}

// maxStatusAttempts bounds the rounds of re-reading the object when someone
// else changes its metadata while the status is being written.
const maxStatusAttempts = 3

// recordStatus writes st on the object generation in attrs, guarded by its
// metageneration so that no concurrent metadata change is lost.
func (p *Pipeline) recordStatus(ctx context.Context, log *slog.Logger, attrs *gcs.Object, st status) error {
	if !p.cfg.StatusWriteback {
		return nil
	}
	md := map[string]string{
		StatusKey:           st.status,
		StatusGenerationKey: strconv.FormatInt(attrs.Generation, 10),
		StatusUpdatedKey:    p.now().UTC().Format(time.RFC3339),
	}
	if st.contact != "" {
		md[StatusContactKey] = st.contact
	}
	if st.inputs != "" {
		md[StatusInputsKey] = st.inputs
	}
	obj := attrs
	for attempt := 1; ; attempt++ {
		_, err := p.objects.UpdateMetadata(ctx, obj, md)
		var ge *gcs.Error
		if err == nil || !errors.As(err, &ge) {
			return err
		}
		switch {
		case ge.Kind == gcs.NotFound:
			log.Info("the object was deleted or overwritten before its status could be recorded")
			return nil
		case ge.Kind != gcs.Conflict || attempt == maxStatusAttempts:
			return err
		}
		fresh, err := p.objects.Attrs(ctx, obj.Bucket, obj.Name)
		if err != nil {
			return err
		}
		if fresh.Generation != attrs.Generation {
			log.Info("the object was overwritten before its status could be recorded; the new generation records its own")
			return nil
		}
		obj = fresh
	}
}

// objectKey names one object generation.
func objectKey(bucket, name string, generation int64) string {
	return bucket + "/" + name + "#" + strconv.FormatInt(generation, 10)
}

// keyedMutex holds one lock per key, created on demand and dropped when
// nobody holds or waits for it.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	ch   chan struct{} // holds a token while locked
	refs int
}

// lock waits for key's lock or for ctx to end.
func (k *keyedMutex) lock(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyedLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{ch: make(chan struct{}, 1)}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()

	release := func() {
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// recentOutcomes remembers the outcomes of the last generations this
// instance finished, so that a redelivery whose status could not be written
// is not processed twice. It also dedupes when status write-back is off.
type recentOutcomes struct {
	mu    sync.Mutex
	m     map[string]status
	order []string // ring of keys, oldest at next
	next  int
}

const recentCapacity = 4096

func (r *recentOutcomes) get(key string) (status, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.m[key]
	return st, ok
}

func (r *recentOutcomes) add(key string, st status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[string]status, recentCapacity)
		r.order = make([]string, recentCapacity)
	}
	if _, ok := r.m[key]; !ok {
		delete(r.m, r.order[r.next])
		r.order[r.next] = key
		r.next = (r.next + 1) % recentCapacity
	}
	r.m[key] = st
}
