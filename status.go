package contactphoto

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/contactphoto/contactphoto/gcs"
)

// The object metadata keys in which the function records what it did with
// each generation. Writing metadata fires metadataUpdated, not finalized, so
// it does not trigger the function again.
const (
	StatusKey           = "contactphoto-status"     // "updated" or "failed: <reason>"
	StatusGenerationKey = "contactphoto-generation" // the generation the status is about
	StatusUpdatedKey    = "contactphoto-updated"    // RFC 3339 time of the outcome
	StatusContactKey    = "contactphoto-contact"    // the contact's resource name
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
}

// alreadyDone reports the recorded outcome when attrs' generation has one.
func (c *Config) alreadyDone(attrs *gcs.Object) string {
	if !c.StatusWriteback {
		return ""
	}
	st := attrs.Metadata[StatusKey]
	if st == "" || attrs.Metadata[StatusGenerationKey] != strconv.FormatInt(attrs.Generation, 10) {
		return ""
	}
	return "generation already processed (" + StatusKey + ": " + st + ")"
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
