package people

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/contactphoto/contactphoto/people/peopletest"
)

// TestEmailThroughSearchCache sets photos by email the way the real search
// cache allows: on a fresh instance, and for a contact created after the
// instance's warm-up. The stand-in's cache refreshes a few seconds after a
// warm-up, by a fake clock that the client's waits advance.
func TestEmailThroughSearchCache(t *testing.T) {
	srv := newServer(t, nil)
	clock := srv.Clock()
	srv.AddContact("", "people/c1", "alice@example.com")
	c := newClient(t, srv, nil, nil)
	ctx := context.Background()
	jpg := testJPEG(t, 16, 16)

	lookup := func(email, want string) {
		t.Helper()
		start := clock.Now()
		photo, err := c.UpdatePhotoByRef(ctx, "", ContactRef{Email: email}, "", jpg)
		if err != nil {
			t.Fatalf("photo for %s: %v", email, err)
		}
		if photo.ResourceName != want {
			t.Errorf("photo for %s went to %s, want %s", email, photo.ResourceName, want)
		}
		if p, ok := srv.Photo("", want); !ok || string(p.Photo) != string(jpg) {
			t.Errorf("%s has no photo", want)
		}
		if took := clock.Now().Sub(start); took > DefaultLookupBudget {
			t.Errorf("the lookup of %s took %v of the clock, over the %v budget", email, took, DefaultLookupBudget)
		}
	}
	// A fresh instance: the warm-up, then the search after the delay.
	lookup("alice@example.com", "people/c1")
	// A contact created after that warm-up is not in the cache: the first
	// search misses it, the client refreshes the cache and finds it.
	clock.Advance(time.Minute)
	srv.AddContact("", "people/c2", "bob@example.com")
	lookup("bob@example.com", "people/c2")
	if st := srv.Stats(); st.StaleSearches != 1 || st.WarmUps != 2 {
		t.Errorf("stats %+v, want one search that missed bob and two warm-ups", st)
	}

	// No such contact: permanent, once the budget is spent.
	start := clock.Now()
	_, err := c.Resolve(ctx, "", ContactRef{Email: "nobody@example.com"})
	if e, ok := errors.AsType[*Error](err); !ok || e.Kind != ContactNotFound || !e.Permanent() {
		t.Fatalf("Resolve of a missing email = %v, want ContactNotFound", err)
	}
	if took := clock.Now().Sub(start); took > DefaultLookupBudget || took < DefaultLookupBudget-DefaultSearchDelay {
		t.Errorf("gave up after %v of the clock, want about %v", took, DefaultLookupBudget)
	}
}

// TestLookupBeforeDeadline: a deadline too close for the cache's delay is
// a transient failure, not a missing contact.
func TestLookupBeforeDeadline(t *testing.T) {
	srv := newServer(t, nil)
	srv.AddContact("", "people/c1", "alice@example.com")
	c := newClient(t, srv, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := c.Resolve(ctx, "", ContactRef{Email: "alice@example.com"})
	if e, ok := errors.AsType[*Error](err); !ok || e.Kind != Unavailable || e.Permanent() {
		t.Fatalf("Resolve with a 1 s deadline = %v, want a transient Unavailable", err)
	}
}

// TestOverlappingInstancesRetry: two instances (two Clients) write for one
// account at once; the API refuses the overlapping writes with 400
// FAILED_PRECONDITION, and the client retries them until every photo lands.
func TestOverlappingInstancesRetry(t *testing.T) {
	srv := newServer(t, &peopletest.Options{Latency: 20 * time.Millisecond, WriteQuota: -1})
	const n = 6
	for i := range n {
		srv.AddContact("", fmt.Sprintf("people/c%d", i))
	}
	instances := []*Client{newClient(t, srv, nil, nil), newClient(t, srv, nil, nil)}
	for _, c := range instances {
		// Backoff on the scale of a write, as in production (500 ms to
		// 16 s against writes of a few hundred ms).
		c.backoffBase, c.backoffMax = 40*time.Millisecond, 400*time.Millisecond
	}
	jpg := testJPEG(t, 8, 8)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = instances[i%2].UpdatePhoto(context.Background(), "", fmt.Sprintf("people/c%d", i), jpg)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("photo %d: %v", i, err)
		}
	}
	st := srv.Stats()
	if st.Overlaps == 0 {
		t.Fatal("the two instances never overlapped: the test proved nothing")
	}
	if st.Updates != n || len(srv.Updates()) != n {
		t.Errorf("%d photos stored, want %d", st.Updates, n)
	}
	t.Logf("%d overlapping writes refused with FAILED_PRECONDITION and retried", st.Overlaps)
}

// renewingTokens issues access tokens "token-<generation>" for the default
// account, caching one as the tokens package does, and drops it on
// InvalidateToken.
type renewingTokens struct {
	mu          sync.Mutex
	generation  int
	invalidated []string
}

func (r *renewingTokens) TokenSource(context.Context, string) (oauth2.TokenSource, error) {
	return r, nil
}

func (r *renewingTokens) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &oauth2.Token{AccessToken: fmt.Sprintf("token-%d", r.generation), Expiry: time.Now().Add(time.Hour)}, nil
}

func (r *renewingTokens) InvalidateToken(tok string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invalidated = append(r.invalidated, tok)
	if tok == fmt.Sprintf("token-%d", r.generation) {
		r.generation++
	}
}

var _ TokenInvalidator = (*renewingTokens)(nil)

// TestExpiredAccessTokenRenewed: the API answers 401 ACCESS_TOKEN_EXPIRED
// to a token the client still holds; the client drops it, fetches a new one
// and the photo lands, with one retry.
func TestExpiredAccessTokenRenewed(t *testing.T) {
	srv := peopletest.NewServer(&peopletest.Options{
		Validate: func(tok string) (string, bool) { return "", tok != "token-0" },
		Expired:  func(tok string) bool { return tok == "token-0" },
	})
	t.Cleanup(srv.Close)
	srv.AddContact("", "people/c1")
	tokens := &renewingTokens{}
	c := newClient(t, srv, tokens, nil)
	if _, err := c.UpdatePhoto(context.Background(), "", "people/c1", testJPEG(t, 8, 8)); err != nil {
		t.Fatalf("UpdatePhoto: %v", err)
	}
	if _, ok := srv.Photo("", "people/c1"); !ok {
		t.Error("the photo did not land")
	}
	if st := srv.Stats(); st.Requests != 2 || st.Updates != 1 {
		t.Errorf("stats %+v, want the refused request and one retry", st)
	}
	if len(tokens.invalidated) != 1 || tokens.invalidated[0] != "token-0" {
		t.Errorf("invalidated %v, want token-0 once", tokens.invalidated)
	}
}

// TestWrongEndpointIsMisconfigured: an HTML 404 page, as Google's front end
// serves for a path that is no API, is a misconfiguration, not a missing
// contact.
func TestWrongEndpointIsMisconfigured(t *testing.T) {
	page := peopletest.NewWrongEndpoint()
	t.Cleanup(page.Close)
	c, err := New(&testTokens{}, &Options{Endpoint: page.URL + "/wrong/", Logger: slog.New(slog.DiscardHandler), Clock: peopletest.NewFakeClock(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	_, uerr := c.UpdatePhoto(context.Background(), "", "people/c1", testJPEG(t, 8, 8))
	_, rerr := c.Resolve(context.Background(), "", ContactRef{Email: "alice@example.com"})
	for _, err := range []error{uerr, rerr} {
		e, ok := errors.AsType[*Error](err)
		if !ok || e.Kind != Misconfigured || !e.Permanent() || !strings.Contains(err.Error(), "PEOPLE_API_ENDPOINT") {
			t.Errorf("got %v, want a permanent Misconfigured naming PEOPLE_API_ENDPOINT", err)
		}
	}
}
