// Package membudget is the memory budget of one instance: a weighted
// semaphore in bytes that every memory-heavy step of a request (a request
// body, an object's bytes, an image decode) acquires before it allocates and
// releases when it is done. The instance serves several requests at once;
// without one budget across them, four inputs that each fit alone can
// together exceed the instance's memory, and an out-of-memory kill loses
// every request in flight.
//
// A request takes a Lease bound to its context. A step that can never fit,
// because it alone needs more than the whole budget (less what its own
// request already holds), is refused at once with a permanent *Error; a step
// that could fit later waits for the bytes, bounded by the request's
// deadline, and then fails with a transient *Error.
//
// The semaphore is golang.org/x/sync/semaphore's, which serves waiters in
// order, so a large step is not starved by a stream of small ones.
//
// # Errors
//
// Acquire returns an *Error. Its Permanent method reports whether the step
// can never fit (true) or only could not fit before the deadline (false).
package membudget

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/semaphore"
)

// MiB is a mebibyte, the unit the budget's messages use.
const MiB = 1 << 20

// Budget is an instance's memory budget in bytes. It is safe for
// concurrent use.
type Budget struct {
	capacity int64
	sem      *semaphore.Weighted

	mu        sync.Mutex
	inUse     int64
	highWater int64
}

// New returns a budget of capacity bytes.
func New(capacity int64) *Budget {
	capacity = max(capacity, 1)
	return &Budget{capacity: capacity, sem: semaphore.NewWeighted(capacity)}
}

// Capacity is the budget's size in bytes.
func (b *Budget) Capacity() int64 { return b.capacity }

// InUse is the number of bytes acquired and not yet released.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inUse
}

// HighWater is the most bytes that were ever acquired at once: what the
// budget let the instance's requests hold together.
func (b *Budget) HighWater() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.highWater
}

func (b *Budget) count(n int64) {
	b.mu.Lock()
	b.inUse += n
	b.highWater = max(b.highWater, b.inUse)
	b.mu.Unlock()
}

// Lease returns a lease on the budget for one request. Its waits end with
// ctx. Close it when the request is done.
func (b *Budget) Lease(ctx context.Context) *Lease {
	return &Lease{budget: b, ctx: ctx}
}

// A Lease is what one request holds of the budget. It is safe for
// concurrent use, and its Acquire and Release methods satisfy
// imaging.MemoryBudget.
type Lease struct {
	budget *Budget
	ctx    context.Context

	mu   sync.Mutex
	held int64
}

// Acquire takes n more bytes for the request to decode an image, waiting
// for them while the request's context allows. It refuses for good a step
// that cannot fit even in an idle instance.
func (l *Lease) Acquire(n int64) error {
	return l.AcquireFor(n, "decoding it")
}

// AcquireFor is Acquire, naming what the bytes are for in the error.
func (l *Lease) AcquireFor(n int64, what string) error {
	if n <= 0 {
		return nil
	}
	b := l.budget
	l.mu.Lock()
	held := l.held
	l.mu.Unlock()
	if held+n > b.capacity {
		return &Error{What: what, Need: n, Held: held, Capacity: b.capacity, permanent: true}
	}
	if err := b.sem.Acquire(l.ctx, n); err != nil {
		return &Error{What: what, Need: n, Held: held, Capacity: b.capacity, Err: err}
	}
	b.count(n)
	l.mu.Lock()
	l.held += n
	l.mu.Unlock()
	return nil
}

// Release gives back n of the bytes the request holds.
func (l *Lease) Release(n int64) {
	l.mu.Lock()
	n = min(n, l.held)
	l.held -= n
	l.mu.Unlock()
	if n <= 0 {
		return
	}
	l.budget.count(-n)
	l.budget.sem.Release(n)
}

// Held is the number of bytes the request holds.
func (l *Lease) Held() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// Close releases everything the request still holds.
func (l *Lease) Close() { l.Release(l.Held()) }

// An Error says that a step's bytes were not granted.
type Error struct {
	What     string // what the bytes were for, such as "request body"; may be empty
	Need     int64  // the bytes asked for
	Held     int64  // what the request held already
	Capacity int64  // the budget's size
	Err      error  // why the wait ended, for a transient error

	permanent bool
}

func (e *Error) Error() string {
	what := e.What
	if what == "" {
		what = "this step"
	}
	if e.permanent {
		if e.Held >= MiB/10 {
			return fmt.Sprintf("%s needs %s of memory, which with the %s this request holds is more than the instance's budget of %s",
				what, mib(e.Need), mib(e.Held), mib(e.Capacity))
		}
		return fmt.Sprintf("%s needs %s of memory, more than the instance's budget of %s", what, mib(e.Need), mib(e.Capacity))
	}
	return fmt.Sprintf("%s needs %s of memory, and the instance's budget of %s stayed in use by other requests until the deadline: %v",
		what, mib(e.Need), mib(e.Capacity), e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether the step can never fit; a transient error's
// step may fit once the instance is less busy.
func (e *Error) Permanent() bool { return e.permanent }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/MiB) }
