package people

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/people/peopletest"
)

// updateAll sends n concurrent updates for one account, one per contact
// people/c0 ... people/c<n-1>, and returns the errors.
func updateAll(t *testing.T, c *Client, account string, n int, timeout time.Duration) []error {
	t.Helper()
	photo := testJPEG(t, 16, 16)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			_, errs[i] = c.UpdatePhoto(ctx, account, fmt.Sprintf("people/c%d", i), photo)
		})
	}
	wg.Wait()
	return errs
}

func addContacts(srv *peopletest.Server, account string, n int) {
	for i := range n {
		srv.AddContact(account, fmt.Sprintf("people/c%d", i))
	}
}

func TestConcurrentUpdatesAreSequential(t *testing.T) {
	srv := newServer(t, &peopletest.Options{Latency: 5 * time.Millisecond, WriteQuota: -1})
	addContacts(srv, "", 40)
	addContacts(srv, "other", 40)
	c := newClient(t, srv, nil, &Options{WritesPerMinute: 100_000})

	var wg sync.WaitGroup
	var errs, otherErrs []error
	wg.Go(func() { errs = updateAll(t, c, "", 40, 10*time.Second) })
	wg.Go(func() { otherErrs = updateAll(t, c, "other", 40, 10*time.Second) })
	wg.Wait()
	for i, err := range append(errs, otherErrs...) {
		if err != nil {
			t.Errorf("update %d: %v", i, err)
		}
	}
	st := srv.Stats()
	if st.Overlaps != 0 {
		t.Errorf("the stand-in saw %d overlapping writes for one account", st.Overlaps)
	}
	got := map[string]int{}
	for _, u := range srv.Updates() {
		got[u.Account]++
	}
	if got[""] != 40 || got["other"] != 40 {
		t.Errorf("recorded updates per account = %v, want 40 each", got)
	}
}

// TestBurstIsPaced sends more writes than the server's quota allows in one
// window, all at once. Under the default WritesPerMinute none may reach the
// server over quota. The period is shrunk from a minute to a second on both
// sides so the test runs in about a second and a half.
func TestBurstIsPaced(t *testing.T) {
	tests := []struct {
		name           string
		writes         int
		wantRejections bool
	}{
		{name: "default limit", writes: 0, wantRejections: false},
		// Without effective pacing the same burst does run into the quota;
		// the retries then still get every photo through.
		{name: "limit above quota", writes: 10_000, wantRejections: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 75 // more than the quota of 60 per window
			srv := newServer(t, &peopletest.Options{QuotaWindow: time.Second})
			addContacts(srv, "", n)
			c := newClient(t, srv, nil, &Options{WritesPerMinute: tt.writes})
			c.ratePeriod = time.Second
			c.backoffBase, c.backoffMax = 50*time.Millisecond, 400*time.Millisecond
			c.maxAttempts = 100
			for i, err := range updateAll(t, c, "", n, 20*time.Second) {
				if err != nil {
					t.Errorf("update %d: %v", i, err)
				}
			}
			st := srv.Stats()
			if st.Updates != n {
				t.Errorf("server stored %d updates, want %d", st.Updates, n)
			}
			if got := st.QuotaRejections > 0; got != tt.wantRejections {
				t.Errorf("server answered %d quota rejections; want some: %v", st.QuotaRejections, tt.wantRejections)
			}
		})
	}
}

func TestLimiterFailsEarlyBeforeDeadline(t *testing.T) {
	srv := newServer(t, nil)
	addContacts(srv, "", 3)
	c := newClient(t, srv, nil, &Options{WritesPerMinute: 1})
	c.ratePeriod = time.Minute // one write a minute
	photo := testJPEG(t, 8, 8)
	if _, err := c.UpdatePhoto(context.Background(), "", "people/c0", photo); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.UpdatePhoto(ctx, "", "people/c1", photo)
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Kind != QuotaExhausted || e.Permanent() {
		t.Fatalf("second write = %v, want transient QuotaExhausted", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("failed after %v; it should fail at once when the deadline cannot be met", d)
	}
	if srv.Stats().Requests != 1 {
		t.Errorf("server saw %d requests, want only the first", srv.Stats().Requests)
	}
}

func TestQueueFailsEarlyBeforeDeadline(t *testing.T) {
	srv := newServer(t, &peopletest.Options{WriteQuota: -1})
	addContacts(srv, "", 20)
	c := newClient(t, srv, nil, &Options{WritesPerMinute: 60})
	c.ratePeriod = 6 * time.Second // 100 ms between writes
	photo := testJPEG(t, 8, 8)
	// Ten writes queue up with plenty of time.
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			if _, err := c.UpdatePhoto(context.Background(), "", fmt.Sprintf("people/c%d", i), photo); err != nil {
				t.Errorf("queued write %d: %v", i, err)
			}
		})
	}
	// Wait until most are queued: the first may already be done.
	for deadline := time.Now().Add(5 * time.Second); c.account("").queued.Load() < 8; {
		if time.Now().After(deadline) {
			t.Fatal("the writes never queued up")
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.UpdatePhoto(ctx, "", "people/c19", photo)
	if e, ok := errors.AsType[*Error](err); !ok || e.Kind != QuotaExhausted || e.Permanent() {
		t.Errorf("write behind a long queue = %v, want transient QuotaExhausted", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("failed after %v; it should fail at once", d)
	}
	wg.Wait()
}

func TestDeadlineWhileQueued(t *testing.T) {
	srv := newServer(t, &peopletest.Options{Latency: 300 * time.Millisecond})
	addContacts(srv, "", 2)
	c := newClient(t, srv, nil, nil)
	photo := testJPEG(t, 8, 8)
	done := make(chan error)
	go func() {
		_, err := c.UpdatePhoto(context.Background(), "", "people/c0", photo)
		done <- err
	}()
	for c.account("").queued.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.UpdatePhoto(ctx, "", "people/c1", photo)
	if e, ok := errors.AsType[*Error](err); !ok || e.Kind != Unavailable || e.Permanent() {
		t.Errorf("write whose deadline passes in the queue = %v, want transient Unavailable", err)
	}
	if err := <-done; err != nil {
		t.Errorf("first write: %v", err)
	}
	if got := len(srv.Updates()); got != 1 {
		t.Errorf("server stored %d updates, want 1", got)
	}
}
