package gcs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/contactphoto/contactphoto/gcs"
)

func TestList(t *testing.T) {
	c, srv := newClient(t)
	ctx := context.Background()
	gens := map[string]int64{}
	for _, name := range []string{"team/c2.jpg", "team/c1.jpg", "other/c3.jpg", "teamster.jpg"} {
		gen, err := srv.Put("b", name, "image/jpeg", []byte(name), map[string]string{"resourceName": "people/" + name})
		if err != nil {
			t.Fatal(err)
		}
		gens[name] = gen
	}
	obj := func(name string) *gcs.Object {
		return &gcs.Object{Bucket: "b", Name: name, Generation: gens[name], Metageneration: 1, Size: int64(len(name)),
			ContentType: "image/jpeg", Metadata: map[string]string{"resourceName": "people/" + name}}
	}

	tests := []struct {
		prefix string
		want   []*gcs.Object
	}{
		{"", []*gcs.Object{obj("other/c3.jpg"), obj("team/c1.jpg"), obj("team/c2.jpg"), obj("teamster.jpg")}},
		{"team/", []*gcs.Object{obj("team/c1.jpg"), obj("team/c2.jpg")}},
		{"team", []*gcs.Object{obj("team/c1.jpg"), obj("team/c2.jpg"), obj("teamster.jpg")}},
		{"nothing/", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("prefix %q", tt.prefix), func(t *testing.T) {
			var got []*gcs.Object
			for o, err := range c.List(ctx, "b", tt.prefix) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, o)
			}
			if diff := cmp.Diff(tt.want, got, cmpIgnoreUpdated); diff != "" {
				t.Errorf("List (-want +got):\n%s", diff)
			}
		})
	}
}

// A listing longer than one page is fetched page by page, and stopping the
// loop early stops it.
func TestListPages(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a thousand objects")
	}
	c, srv := newClient(t)
	const n = 1003 // the JSON API returns at most 1000 objects a page
	for i := range n {
		if _, err := srv.Put("b", fmt.Sprintf("p/%04d.jpg", i), "image/jpeg", []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	count := 0
	for o, err := range c.List(context.Background(), "b", "p/") {
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("p/%04d.jpg", count); o.Name != want {
			t.Fatalf("object %d is %s, want %s", count, o.Name, want)
		}
		count++
	}
	if count != n {
		t.Errorf("listed %d objects, want %d", count, n)
	}
	seen := 0
	for _, err := range c.List(context.Background(), "b", "p/") {
		if err != nil {
			t.Fatal(err)
		}
		if seen++; seen == 3 {
			break
		}
	}
	if seen != 3 {
		t.Errorf("the loop ran %d times after break at 3", seen)
	}
}

func TestListErrors(t *testing.T) {
	c, _ := newClient(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		bucket    string
		kind      gcs.Kind
		permanent bool
	}{
		{"missing bucket", context.Background(), "nobucket", gcs.NotFound, true},
		{"canceled", canceled, "b", gcs.Unavailable, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			var err error
			for o, e := range c.List(tt.ctx, tt.bucket, "x/") {
				n++
				if e == nil {
					t.Fatalf("listed %v, want an error", o)
				}
				err = e
			}
			var ge *gcs.Error
			if n != 1 || !errors.As(err, &ge) {
				t.Fatalf("got %d results, last error %v; want one *gcs.Error", n, err)
			}
			if ge.Kind != tt.kind || ge.Permanent() != tt.permanent || ge.Op != "list" || ge.Name != "x/" {
				t.Errorf("got %+v (permanent %v), want kind %v permanent %v op list name x/", ge, ge.Permanent(), tt.kind, tt.permanent)
			}
		})
	}
}
