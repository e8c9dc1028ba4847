package membudget

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLeaseRefusesWhatNeverFits(t *testing.T) {
	b := New(100, 1000)
	l := b.Lease(context.Background())
	defer l.Close()
	err := l.AcquireInput(101, "the request body")
	var e *Error
	if !errors.As(err, &e) || !e.Permanent() || e.Pool != "input" {
		t.Fatalf("AcquireInput(101) of 100 = %v, want a permanent *Error of the input pool", err)
	}
	if !strings.HasPrefix(err.Error(), "the request body needs 0.0 MiB of memory, more than the instance's input budget") {
		t.Errorf("message %q", err)
	}
	// What the request holds counts against what it can ever get.
	if err := l.Acquire(600); err != nil {
		t.Fatal(err)
	}
	if err := l.Acquire(500); err == nil || !err.(*Error).Permanent() {
		t.Fatalf("Acquire(500) holding 600 of 1000 = %v, want a permanent error", err)
	}
	if b.InUse() != 600 {
		t.Errorf("in use %d after a refusal, want 600", b.InUse())
	}
}

func TestLeaseWaitsThenFailsTransient(t *testing.T) {
	b := New(100, 100)
	busy := b.Lease(context.Background())
	if err := busy.Acquire(80); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	l := b.Lease(ctx)
	err := l.Acquire(30)
	var e *Error
	if !errors.As(err, &e) || e.Permanent() || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire(30) with 80 of 100 taken = %v, want a transient *Error wrapping the deadline", err)
	}
	if l.Held() != 0 || b.InUse() != 80 {
		t.Errorf("held %d, in use %d; want 0 and 80", l.Held(), b.InUse())
	}
	busy.Close()
	if b.InUse() != 0 {
		t.Errorf("in use %d after Close, want 0", b.InUse())
	}
}

// A request that holds bytes of a pool never waits for more of it, and
// never waits for inputs while it holds work: two requests can then never
// each hold what the other waits for.
func TestLeaseNeverWaitsWhileHolding(t *testing.T) {
	b := New(100, 100)
	other := b.Lease(context.Background())
	if err := other.AcquireInput(60, "other"); err != nil {
		t.Fatal(err)
	}
	if err := other.Acquire(60); err != nil {
		t.Fatal(err)
	}
	l := b.Lease(context.Background()) // no deadline: a wait would hang the test
	if err := l.AcquireInput(30, "body"); err != nil {
		t.Fatal(err)
	}
	err := l.AcquireInput(30, "more body")
	var e *Error
	if !errors.As(err, &e) || e.Permanent() || !errors.Is(err, errHolding) {
		t.Fatalf("growing the input share = %v, want a transient refusal without waiting", err)
	}
	if err := l.Acquire(30); err != nil {
		t.Fatal(err)
	}
	if err := l.Acquire(30); !errors.Is(err, errHolding) {
		t.Fatalf("growing the work share = %v, want a refusal without waiting", err)
	}
	l.ReleaseInput(30)
	if err := l.AcquireInput(50, "input after work"); !errors.Is(err, errHolding) {
		t.Fatalf("inputs while holding work = %v, want a refusal without waiting", err)
	}
	// Holding inputs, a request may wait for work: work holders never
	// wait, so the wait ends.
	l.Close()
	if err := l.AcquireInput(30, "body"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Acquire(70) }()
	time.Sleep(20 * time.Millisecond)
	other.Close()
	if err := <-done; err != nil {
		t.Fatalf("the wait for work did not end when the work was released: %v", err)
	}
	l.Close()
}

func TestBudgetHoldsConcurrentLeasesWithinCapacity(t *testing.T) {
	const inputs, work = 500, 1000
	b := New(inputs, work)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 20 {
				l := b.Lease(context.Background())
				in, w := int64(10+(i*31+j*7)%200), int64(50+(i*37+j*11)%300)
				if err := l.AcquireInput(in, "body"); err != nil {
					t.Error(err)
				}
				if err := l.Acquire(w); err != nil {
					t.Error(err)
				}
				if u := b.InUse(); u > inputs+work {
					t.Errorf("in use %d, over the capacity", u)
				}
				l.Close()
			}
		})
	}
	wg.Wait()
	if hw := b.HighWater(); hw > b.Capacity() || hw < 349 { // 349 is the largest single work step
		t.Errorf("high-water mark %d, want within [349, %d]", hw, b.Capacity())
	}
	if b.InUse() != 0 {
		t.Errorf("in use %d after every lease closed", b.InUse())
	}
}

func TestReleaseNeverGivesBackMoreThanHeld(t *testing.T) {
	b := New(100, 100)
	l := b.Lease(context.Background())
	if err := l.Acquire(10); err != nil {
		t.Fatal(err)
	}
	l.Release(50)
	l.ReleaseInput(5)
	if b.InUse() != 0 || l.Held() != 0 {
		t.Fatalf("in use %d, held %d; want 0 and 0", b.InUse(), l.Held())
	}
	// The semaphore is whole again: the full capacity can be taken.
	if err := b.Lease(context.Background()).Acquire(100); err != nil {
		t.Fatal(err)
	}
}
