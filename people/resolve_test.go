package people

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/people/peopletest"
	gocmp "github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name      string
		ref       ContactRef
		want      string
		wantKind  Kind
		wantCands []string
		wantMsg   string
	}{
		{name: "resource name", ref: ContactRef{ResourceName: "people/c7"}, want: "people/c7"},
		{name: "bare id", ref: ContactRef{ResourceName: "c7"}, want: "people/c7"},
		{name: "exact email", ref: ContactRef{Email: "alice@example.com"}, want: "people/c1"},
		{name: "case-insensitive", ref: ContactRef{Email: "Alice@Example.COM"}, want: "people/c1"},
		{name: "second email of a contact", ref: ContactRef{Email: "bob@work.example"}, want: "people/c2"},
		{name: "no match", ref: ContactRef{Email: "nobody@example.com"}, wantKind: ContactNotFound, wantMsg: "nobody@example.com"},
		// "al@example.co" is a prefix of others' addresses only: the search
		// returns them, but they are not the contact asked for.
		{name: "prefix only", ref: ContactRef{Email: "al@example.co"}, wantKind: ContactNotFound, wantMsg: "al@example.co"},
		{name: "several", ref: ContactRef{Email: "team@example.com"}, wantKind: AmbiguousContact,
			wantCands: []string{"people/c3", "people/c4"}, wantMsg: "people/c3, people/c4"},
		{name: "both set", ref: ContactRef{ResourceName: "people/c1", Email: "alice@example.com"}, wantKind: InvalidContact},
		{name: "empty", ref: ContactRef{}, wantKind: InvalidContact},
		{name: "bad email", ref: ContactRef{Email: "alice@example.com\r\n"}, wantKind: InvalidContact},
		{name: "bad resource name", ref: ContactRef{ResourceName: "people/../c1"}, wantKind: InvalidContact},
	}
	srv := newServer(t, nil)
	srv.AddContact("", "people/c1", "alice@example.com")
	srv.AddContact("", "people/c2", "bob@home.example", "BOB@work.example")
	srv.AddContact("", "people/c3", "team@example.com")
	srv.AddContact("", "people/c4", "Team@Example.com", "al@example.com")
	srv.AddContact("", "people/c5", "al@example.com.au")
	srv.AddContact("other", "people/c6", "nobody@example.com")
	c := newClient(t, srv, nil, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Resolve(context.Background(), "", tt.ref)
			if tt.wantKind == 0 {
				if err != nil || got != tt.want {
					t.Fatalf("Resolve(%+v) = %q, %v; want %q", tt.ref, got, err, tt.want)
				}
				return
			}
			e, ok := errors.AsType[*Error](err)
			if !ok || e.Kind != tt.wantKind || !e.Permanent() {
				t.Fatalf("Resolve(%+v) = %q, %v; want permanent %v", tt.ref, got, err, tt.wantKind)
			}
			if diff := gocmp.Diff(tt.wantCands, e.Candidates); diff != "" {
				t.Errorf("candidates mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message %q does not mention %q", err, tt.wantMsg)
			}
		})
	}
	// One warm-up serves every lookup that finds its contact; each of the
	// two lookups that find none refreshes the cache three more times
	// within its 15 s budget before giving up.
	if st := srv.Stats(); st.WarmUps != 1+2*3 {
		t.Errorf("sent %d warm-up searches, want 7 for the account", st.WarmUps)
	}
}

func TestResolveWarmsUpAndCaches(t *testing.T) {
	srv := newServer(t, nil)
	srv.AddContact("", "people/c1", "alice@example.com")
	srv.AddContact("b", "people/c2", "alice@example.com")
	ctx := context.Background()
	c := newClient(t, srv, nil, nil)
	c.resolveTTL = 200 * time.Millisecond
	for range 3 {
		if got, err := c.Resolve(ctx, "", ContactRef{Email: "alice@example.com"}); err != nil || got != "people/c1" {
			t.Fatalf("Resolve = %q, %v", got, err)
		}
	}
	if got, err := c.Resolve(ctx, "b", ContactRef{Email: "ALICE@example.com"}); err != nil || got != "people/c2" {
		t.Fatalf("Resolve for account b = %q, %v", got, err)
	}
	if st := srv.Stats(); st.WarmUps != 2 || st.Searches != 2 {
		t.Errorf("stats %+v; want one warm-up and one search per account", st)
	}
	time.Sleep(250 * time.Millisecond)
	if _, err := c.Resolve(ctx, "", ContactRef{Email: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.WarmUps != 2 || st.Searches != 3 {
		t.Errorf("stats %+v; an expired resolution must be searched again, without a new warm-up", st)
	}
}

func TestResolveWithoutWarmUpFindsNothing(t *testing.T) {
	// The stand-in, like the API, returns nothing until the warm-up: a
	// client that skipped it would report existing contacts as missing.
	srv := newServer(t, nil)
	srv.AddContact("", "people/c1", "alice@example.com")
	c := newClient(t, srv, nil, nil)
	svc, err := c.service(context.Background(), c.account(""))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := svc.People.SearchContacts().Query("alice@example.com").ReadMask("emailAddresses").Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 0 {
		t.Fatalf("search before warm-up returned %d results", len(resp.Results))
	}
	if got, err := c.Resolve(context.Background(), "", ContactRef{Email: "alice@example.com"}); err != nil || got != "people/c1" {
		t.Errorf("Resolve = %q, %v", got, err)
	}
}

func TestResolveRetriesAndWarmUpFailure(t *testing.T) {
	srv := newServer(t, nil)
	srv.AddContact("", "people/c1", "alice@example.com")
	c := newClient(t, srv, nil, nil)
	ctx := context.Background()
	srv.FailNext(1, peopletest.Fault{Status: http.StatusForbidden})
	_, err := c.Resolve(ctx, "", ContactRef{Email: "alice@example.com"})
	if e, ok := errors.AsType[*Error](err); !ok || e.Kind != PermissionDenied {
		t.Fatalf("Resolve with a failing warm-up = %v, want PermissionDenied", err)
	}
	srv.FailNext(2, peopletest.Fault{Status: http.StatusServiceUnavailable})
	if got, err := c.Resolve(ctx, "", ContactRef{Email: "alice@example.com"}); err != nil || got != "people/c1" {
		t.Fatalf("Resolve after 503s = %q, %v", got, err)
	}
	if st := srv.Stats(); st.WarmUps != 1 {
		t.Errorf("sent %d successful warm-ups, want 1", st.WarmUps)
	}
}

// TestResolveWaitsFromTheRetriedWarmUp checks that the wait for the search
// cache runs from the warm-up that took effect: when the first attempt
// fails and the retry comes seconds later (here, the clock moved on by
// other lookups while this one backed off), the search must not come a few
// seconds after the failed attempt, before the cache has refreshed.
func TestResolveWaitsFromTheRetriedWarmUp(t *testing.T) {
	srv := newServer(t, nil)
	clock := srv.Clock()
	srv.AddContact("", "people/c1", "alice@example.com")
	failed := false
	transport := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := srv.Client().Transport.RoundTrip(req)
		if err == nil && resp.StatusCode == http.StatusServiceUnavailable && !failed {
			failed = true
			clock.Advance(10 * time.Second)
		}
		return resp, err
	})
	c := newClient(t, srv, nil, &Options{HTTPClient: &http.Client{Transport: transport}})
	srv.FailNext(1, peopletest.Fault{Status: http.StatusServiceUnavailable})
	if got, err := c.Resolve(context.Background(), "", ContactRef{Email: "alice@example.com"}); err != nil || got != "people/c1" {
		t.Fatalf("Resolve = %q, %v", got, err)
	}
	if !failed {
		t.Fatal("the warm-up did not fail first: the test no longer tests the retry")
	}
	if st := srv.Stats(); st.WarmUps != 1 || st.Searches != 1 || st.StaleSearches != 0 {
		t.Errorf("stats %+v, want one warm-up and one search that found alice", st)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func TestUpdatePhotoByRef(t *testing.T) {
	photo := testJPEG(t, 8, 8)
	tests := []struct {
		name     string
		ref      ContactRef
		email    string
		rename   bool // the contact's resource name changes before the update
		want     string
		wantKind Kind
	}{
		{name: "resource name", ref: ContactRef{ResourceName: "people/c1"}, want: "people/c1"},
		{name: "email", ref: ContactRef{Email: "alice@example.com"}, want: "people/c1"},
		{name: "renamed, email metadata", ref: ContactRef{ResourceName: "people/c1"}, email: "alice@example.com", rename: true, want: "people/c100"},
		{name: "renamed, cached email", ref: ContactRef{Email: "alice@example.com"}, rename: true, want: "people/c100"},
		{name: "renamed, no email", ref: ContactRef{ResourceName: "people/c1"}, rename: true, wantKind: ContactNotFound},
		{name: "gone, email of nobody", ref: ContactRef{ResourceName: "people/c9"}, email: "nobody@example.com", wantKind: ContactNotFound},
		{name: "gone, email of another contact", ref: ContactRef{ResourceName: "people/c9"}, email: "alice@example.com", want: "people/c1"},
		{name: "bad fallback email", ref: ContactRef{ResourceName: "people/c1"}, email: "not an email", wantKind: InvalidContact},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, nil)
			srv.AddContact("", "people/c1", "alice@example.com")
			c := newClient(t, srv, nil, nil)
			ctx := context.Background()
			// Warm the resolution cache so a rename makes it stale.
			if _, err := c.Resolve(ctx, "", ContactRef{Email: "alice@example.com"}); err != nil {
				t.Fatal(err)
			}
			if tt.rename {
				srv.RenameContact("", "people/c1", "people/c100")
			}
			got, err := c.UpdatePhotoByRef(ctx, "", tt.ref, tt.email, photo)
			if tt.wantKind != 0 {
				if e, ok := errors.AsType[*Error](err); !ok || e.Kind != tt.wantKind {
					t.Fatalf("UpdatePhotoByRef = %v, %v; want %v", got, err, tt.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatalf("UpdatePhotoByRef: %v", err)
			}
			if diff := gocmp.Diff(&Photo{ResourceName: tt.want}, got); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
			if _, ok := srv.Photo("", tt.want); !ok {
				t.Errorf("no photo stored for %s", tt.want)
			}
		})
	}
}

// TestLogsHoldNoSecrets retries through faults with a debug logger and
// checks that neither the access token nor the photo shows up.
func TestLogsHoldNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	srv := newServer(t, nil)
	srv.AddContact("", "people/c1", "alice@example.com")
	srv.FailNext(2, peopletest.Fault{Status: http.StatusServiceUnavailable})
	srv.FailNext(1, peopletest.Fault{Reset: true})
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, srv, nil, &Options{Logger: logger})
	photo := testJPEG(t, 16, 16)
	if _, err := c.UpdatePhotoByRef(context.Background(), "", ContactRef{Email: "alice@example.com"}, "", photo); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Fatalf("no retry was logged; the check below would prove nothing:\n%s", logs.String())
	}
	for _, secret := range []string{"token-", base64.StdEncoding.EncodeToString(photo)[:40], string(photo[:40])} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
	}
}
