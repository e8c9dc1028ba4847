package membudget

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestLeaseRefusesWhatNeverFits(t *testing.T) {
	b := New(100)
	l := b.Lease(context.Background())
	defer l.Close()
	err := l.AcquireFor(101, "the photo")
	var e *Error
	if !errors.As(err, &e) || !e.Permanent() {
		t.Fatalf("Acquire(101) of 100 = %v, want a permanent *Error", err)
	}
	if got, want := err.Error(), "the photo needs 0.0 MiB of memory, more than the instance's budget of 0.0 MiB"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	// What the request holds counts against what it can ever get.
	if err := l.Acquire(60); err != nil {
		t.Fatal(err)
	}
	if err := l.Acquire(50); err == nil || !err.(*Error).Permanent() {
		t.Fatalf("Acquire(50) holding 60 of 100 = %v, want a permanent error", err)
	}
	if b.InUse() != 60 {
		t.Errorf("in use %d after a refusal, want 60", b.InUse())
	}
}

func TestLeaseWaitsThenFailsTransient(t *testing.T) {
	b := New(100)
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

func TestBudgetHoldsConcurrentLeasesWithinCapacity(t *testing.T) {
	const capacity = 1000
	b := New(capacity)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			l := b.Lease(context.Background())
			defer l.Close()
			for j := range 20 {
				n := int64(50 + (i*37+j*11)%300)
				if err := l.Acquire(n); err != nil {
					t.Error(err)
					return
				}
				if in := b.InUse(); in > capacity {
					t.Errorf("in use %d, over the capacity %d", in, capacity)
				}
				l.Release(n)
			}
		})
	}
	wg.Wait()
	if hw := b.HighWater(); hw > capacity || hw < 349 { // 349 is the largest single step
		t.Errorf("high-water mark %d, want within [349, %d]", hw, capacity)
	}
	if b.InUse() != 0 {
		t.Errorf("in use %d after every lease closed", b.InUse())
	}
}

func TestReleaseNeverGivesBackMoreThanHeld(t *testing.T) {
	b := New(100)
	l := b.Lease(context.Background())
	if err := l.Acquire(10); err != nil {
		t.Fatal(err)
	}
	l.Release(50)
	l.Release(5)
	if b.InUse() != 0 || l.Held() != 0 {
		t.Fatalf("in use %d, held %d; want 0 and 0", b.InUse(), l.Held())
	}
	// The semaphore is whole again: the full capacity can be taken.
	if err := b.Lease(context.Background()).Acquire(100); err != nil {
		t.Fatal(err)
	}
}
