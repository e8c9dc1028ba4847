package gcstest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"

	"github.com/contactphoto/contactphoto/gcs/gcstest"
)

// newServer starts a stand-in with a bucket "b" and a client of it.
func newServer(t *testing.T) (*gcstest.Server, *storage.Client) {
	t.Helper()
	srv, err := gcstest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.CreateBucket("b")
	client, err := srv.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return srv, client
}

// TestMetadataUpdateRacesOverwrite checks that a metadata update guarded by
// the old generation never brings that generation back when a new one is
// written meanwhile: the update either lands before the overwrite or fails,
// with 412 or 404.
func TestMetadataUpdateRacesOverwrite(t *testing.T) {
	srv, client := newServer(t)
	ctx := context.Background()
	for i := range 40 {
		name := fmt.Sprintf("race-%d", i)
		old, err := srv.Put("b", name, "text/plain", []byte("old"), nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var newGen int64
		wg.Go(func() {
			h := client.Bucket("b").Object(name).Generation(old).If(storage.Conditions{GenerationMatch: old, MetagenerationMatch: 1})
			_, err := h.Update(ctx, storage.ObjectAttrsToUpdate{Metadata: map[string]string{"k": "v"}})
			var gerr *googleapi.Error
			if err != nil && !(errors.As(err, &gerr) && (gerr.Code == 412 || gerr.Code == 404)) {
				t.Errorf("update: %v", err)
			}
		})
		wg.Go(func() {
			g, err := srv.Put("b", name, "text/plain", []byte("new"), nil)
			if err != nil {
				t.Error(err)
			}
			newGen = g
		})
		wg.Wait()
		attrs, err := srv.Attrs("b", name)
		if err != nil {
			t.Fatal(err)
		}
		if attrs.Generation != newGen {
			t.Fatalf("round %d: live generation %d after overwriting %d with %d", i, attrs.Generation, old, newGen)
		}
	}
}

// TestMetadataUpdateOfOverwrittenGeneration checks that updating a
// generation that is no longer live answers 404, as Cloud Storage does for
// a bucket without object versioning, and leaves the live one alone.
func TestMetadataUpdateOfOverwrittenGeneration(t *testing.T) {
	srv, client := newServer(t)
	ctx := context.Background()
	old, err := srv.Put("b", "x", "text/plain", []byte("old"), map[string]string{"gen": "old"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Put("b", "x", "text/plain", []byte("new"), map[string]string{"gen": "new"}); err != nil {
		t.Fatal(err)
	}
	_, err = client.Bucket("b").Object("x").Generation(old).Update(ctx, storage.ObjectAttrsToUpdate{Metadata: map[string]string{"gen": "old, updated"}})
	if !errors.Is(err, storage.ErrObjectNotExist) {
		t.Errorf("update of the overwritten generation: %v, want %v", err, storage.ErrObjectNotExist)
	}
	attrs, err := srv.Attrs("b", "x")
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Metadata["gen"] != "new" {
		t.Errorf("live generation's metadata = %v, want it untouched", attrs.Metadata)
	}
}
