// Package gcs reads photos and their metadata from Cloud Storage for the
// contact photo function, over cloud.google.com/go/storage.
//
// # Errors
//
// Every error returned by this package is an *Error. Its Permanent method
// says whether retrying the same event can help: a missing object or
// generation and an object over the size limit are permanent; throttling,
// server errors, network failures and permission problems (which an operator
// can fix while Eventarc retries) are transient.
package gcs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// Object is what the function needs to know about a stored object.
type Object struct {
	Bucket          string
	Name            string
	Generation      int64
	Metageneration  int64
	Size            int64
	ContentType     string
	ContentEncoding string
	Metadata        map[string]string
	Updated         time.Time
}

// Client wraps a storage.Client, created on first use so that callers that
// never touch Cloud Storage need no credentials for it.
type Client struct {
	client func() (*storage.Client, error)
}

// New returns a Client. Against an emulator (STORAGE_EMULATOR_HOST) the
// storage library disables authentication itself; JSON reads are used
// everywhere because the emulators only serve those faithfully.
func New(opts ...option.ClientOption) *Client {
	return &Client{client: sync.OnceValues(func() (*storage.Client, error) {
		sc, err := storage.NewClient(context.Background(), append([]option.ClientOption{storage.WithJSONReads()}, opts...)...)
		if err != nil {
			return nil, fmt.Errorf("create Cloud Storage client: %w", err)
		}
		return sc, nil
	})}
}

// Close releases the client's connections.
func (c *Client) Close() error {
	if sc, err := c.client(); err == nil {
		return sc.Close()
	}
	return nil
}

// bucket returns a handle, or an error classified like any other failure
// (missing credentials can be fixed while events are retried).
func (c *Client) bucket(op, bucket, name string) (*storage.BucketHandle, error) {
	sc, err := c.client()
	if err != nil {
		return nil, &Error{Kind: Unavailable, Op: op, Bucket: bucket, Name: name, Err: err}
	}
	return sc.Bucket(bucket), nil
}

// Attrs returns the current (latest) generation's attributes of an object.
func (c *Client) Attrs(ctx context.Context, bucket, name string) (*Object, error) {
	b, err := c.bucket("read attributes of", bucket, name)
	if err != nil {
		return nil, err
	}
	a, err := b.Object(name).Attrs(ctx)
	if err != nil {
		return nil, classify("read attributes of", bucket, name, err)
	}
	return fromAttrs(a), nil
}

func fromAttrs(a *storage.ObjectAttrs) *Object {
	return &Object{
		Bucket:          a.Bucket,
		Name:            a.Name,
		Generation:      a.Generation,
		Metageneration:  a.Metageneration,
		Size:            a.Size,
		ContentType:     a.ContentType,
		ContentEncoding: a.ContentEncoding,
		Metadata:        a.Metadata,
		Updated:         a.Updated,
	}
}

// Read downloads one generation of an object (0 means the latest) into
// memory, refusing it when it holds more than maxBytes. The limit is checked
// against the stored size first and enforced on the bytes read too, because
// decompressive transcoding of gzip-encoded objects can deliver more than
// the stored size.
func (c *Client) Read(ctx context.Context, bucket, name string, generation, maxBytes int64) ([]byte, error) {
	b, err := c.bucket("read", bucket, name)
	if err != nil {
		return nil, err
	}
	o := b.Object(name)
	if generation > 0 {
		o = o.Generation(generation)
	}
	r, err := o.NewReader(ctx)
	if err != nil {
		return nil, classify("open", bucket, name, err)
	}
	defer r.Close()
	if size := r.Attrs.Size; size > maxBytes {
		return nil, &Error{Kind: TooLarge, Op: "read", Bucket: bucket, Name: name,
			Err: fmt.Errorf("object is %d bytes, over the limit of %d bytes", size, maxBytes)}
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(max(r.Attrs.Size, 0), maxBytes)+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(r, maxBytes+1)); err != nil {
		return nil, classify("read", bucket, name, err)
	}
	if int64(buf.Len()) > maxBytes {
		return nil, &Error{Kind: TooLarge, Op: "read", Bucket: bucket, Name: name,
			Err: fmt.Errorf("object delivers more than the limit of %d bytes", maxBytes)}
	}
	return buf.Bytes(), nil
}

// UpdateMetadata sets metadata keys on one generation of an object, keeping
// its other keys, provided nobody has changed the object's metadata since
// metageneration was read. A lost race returns an *Error of Kind Conflict;
// the caller reads the attributes again and decides.
func (c *Client) UpdateMetadata(ctx context.Context, obj *Object, set map[string]string) (*Object, error) {
	merged := make(map[string]string, len(obj.Metadata)+len(set))
	for k, v := range obj.Metadata {
		merged[k] = v
	}
	for k, v := range set {
		merged[k] = v
	}
	// The whole map is sent, not just the new keys: JSON PATCH merges keys on
	// Cloud Storage, while emulators replace the map, and the precondition
	// makes the full map safe.
	b, err := c.bucket("update metadata of", obj.Bucket, obj.Name)
	if err != nil {
		return nil, err
	}
	h := b.Object(obj.Name).Generation(obj.Generation).If(storage.Conditions{
		GenerationMatch:     obj.Generation,
		MetagenerationMatch: obj.Metageneration,
	})
	a, err := h.Update(ctx, storage.ObjectAttrsToUpdate{Metadata: merged})
	if err != nil {
		return nil, classify("update metadata of", obj.Bucket, obj.Name, err)
	}
	return fromAttrs(a), nil
}

// Kind is the closed set of failures the function tells apart.
type Kind int

const (
	// Unavailable: throttling, server errors, network failures. Transient.
	Unavailable Kind = iota
	// NotFound: the object or the requested generation does not exist.
	// Permanent.
	NotFound
	// TooLarge: the object is over the size limit. Permanent.
	TooLarge
	// PermissionDenied: the function's service account lacks access.
	// Transient, because an operator can grant it while the event is retried.
	PermissionDenied
	// Conflict: a generation or metageneration precondition failed because
	// the object changed meanwhile. Transient: read it again.
	Conflict
)

func (k Kind) String() string {
	switch k {
	case NotFound:
		return "not found"
	case TooLarge:
		return "too large"
	case PermissionDenied:
		return "permission denied"
	case Conflict:
		return "changed meanwhile"
	default:
		return "unavailable"
	}
}

// Error is a classified Cloud Storage failure.
type Error struct {
	Kind   Kind
	Op     string
	Bucket string
	Name   string
	Err    error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s gs://%s/%s: %v", e.Op, e.Bucket, e.Name, e.Err)
	if e.Kind == PermissionDenied {
		msg += " (grant the function's service account read access on the bucket)"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether retrying cannot help.
func (e *Error) Permanent() bool { return e.Kind == NotFound || e.Kind == TooLarge }

// classify is the one place that decides what a storage failure means.
func classify(op, bucket, name string, err error) error {
	e := &Error{Kind: Unavailable, Op: op, Bucket: bucket, Name: name, Err: err}
	var gerr *googleapi.Error
	var nerr net.Error
	switch {
	case errors.Is(err, storage.ErrObjectNotExist), errors.Is(err, storage.ErrBucketNotExist):
		e.Kind = NotFound
	case errors.As(err, &gerr):
		switch gerr.Code {
		case http.StatusNotFound:
			e.Kind = NotFound
		case http.StatusForbidden, http.StatusUnauthorized:
			e.Kind = PermissionDenied
		case http.StatusPreconditionFailed:
			e.Kind = Conflict
		}
	case errors.As(err, &nerr), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		e.Kind = Unavailable
	}
	return e
}
