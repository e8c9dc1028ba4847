package gcs_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/gcs/gcstest"
)

func newClient(t *testing.T) (*gcs.Client, *gcstest.Server) {
	t.Helper()
	srv, err := gcstest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
	c := gcs.New()
	t.Cleanup(func() { c.Close() })
	return c, srv
}

func TestAttrsAndRead(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("photo"), 1000)
	gen, err := srv.Put("b", "dir/a.jpg", "image/jpeg", data, map[string]string{"resourceName": "people/c1"})
	if err != nil {
		t.Fatal(err)
	}

	got, err := c.Attrs(ctx, "b", "dir/a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	want := &gcs.Object{Bucket: "b", Name: "dir/a.jpg", Generation: gen, Metageneration: 1, Size: int64(len(data)),
		ContentType: "image/jpeg", Metadata: map[string]string{"resourceName": "people/c1"}}
	if diff := cmp.Diff(want, got, cmpIgnoreUpdated); diff != "" {
		t.Errorf("Attrs (-want +got):\n%s", diff)
	}

	b, err := c.Read(ctx, "b", "dir/a.jpg", gen, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, data) {
		t.Errorf("Read returned %d bytes, want the %d stored", len(b), len(data))
	}
}

var cmpIgnoreUpdated = cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Updated" }, cmp.Ignore())

func TestErrors(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	data := make([]byte, 2048)
	gen, err := srv.Put("b", "big.jpg", "image/jpeg", data, nil)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		call      func() error
		kind      gcs.Kind
		permanent bool
	}{
		{"missing object", func() error { _, err := c.Attrs(ctx, "b", "nope.jpg"); return err }, gcs.NotFound, true},
		{"missing bucket", func() error { _, err := c.Attrs(ctx, "nobucket", "a.jpg"); return err }, gcs.NotFound, true},
		{"gone generation", func() error { _, err := c.Read(ctx, "b", "big.jpg", gen+1, 1<<20); return err }, gcs.NotFound, true},
		{"over the limit", func() error { _, err := c.Read(ctx, "b", "big.jpg", gen, 2047); return err }, gcs.TooLarge, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var ge *gcs.Error
			if !errors.As(err, &ge) {
				t.Fatalf("error %v is not a *gcs.Error", err)
			}
			if ge.Kind != tt.kind || ge.Permanent() != tt.permanent {
				t.Errorf("got kind %v permanent %v, want %v %v (%v)", ge.Kind, ge.Permanent(), tt.kind, tt.permanent, err)
			}
		})
	}
}

func TestReadExactlyAtLimit(t *testing.T) {
	c, srv := newClient(t)
	data := make([]byte, 4096)
	gen, err := srv.Put("b", "exact.png", "image/png", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(context.Background(), "b", "exact.png", gen, 4096); err != nil {
		t.Errorf("an object exactly at the limit was refused: %v", err)
	}
}

func TestUnavailableIsTransient(t *testing.T) {
	srv, err := gcstest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	host := srv.Host
	srv.Close() // nothing listens there any more
	t.Setenv("STORAGE_EMULATOR_HOST", host)
	c := gcs.New()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.Attrs(ctx, "b", "a.jpg")
	var ge *gcs.Error
	if !errors.As(err, &ge) || ge.Permanent() {
		t.Fatalf("connection refused gave %v, want a transient *gcs.Error", err)
	}
}

func TestUpdateMetadataPrecondition(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	if _, err := srv.Put("b", "m.jpg", "image/jpeg", []byte("x"), map[string]string{"resourceName": "people/c1"}); err != nil {
		t.Fatal(err)
	}
	obj, err := c.Attrs(ctx, "b", "m.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if obj.Metageneration != 1 {
		t.Fatalf("new object has metageneration %d, want 1", obj.Metageneration)
	}
	updated, err := c.UpdateMetadata(ctx, obj, map[string]string{"contactphoto-status": "updated"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"resourceName": "people/c1", "contactphoto-status": "updated"}
	if diff := cmp.Diff(want, updated.Metadata); diff != "" {
		t.Errorf("metadata after update (-want +got):\n%s", diff)
	}
	if updated.Metageneration != 2 {
		t.Errorf("metageneration after one update is %d, want 2", updated.Metageneration)
	}
	again, err := c.Attrs(ctx, "b", "m.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if again.Metageneration != 2 {
		t.Errorf("re-read metageneration is %d, want 2", again.Metageneration)
	}

	// A second writer holding the old metageneration loses the race.
	_, err = c.UpdateMetadata(ctx, obj, map[string]string{"contactphoto-status": "failed: stale"})
	var ge *gcs.Error
	if !errors.As(err, &ge) || ge.Kind != gcs.Conflict || ge.Permanent() {
		t.Fatalf("update with a stale metageneration gave %v, want a transient Conflict", err)
	}
	final, err := c.Attrs(ctx, "b", "m.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if final.Metadata["contactphoto-status"] != "updated" {
		t.Errorf("stale writer overwrote the status: %q", final.Metadata["contactphoto-status"])
	}
}
