// Package membudget is the memory budget of one instance: weighted
// semaphores in bytes that every memory-heavy step of a request acquires
// before it allocates and releases when it is done. The instance serves
// several requests at once; without one budget across them, four inputs
// that each fit alone can together exceed the instance's memory, and an
// out-of-memory kill loses every request in flight.
//
// The budget has two pools, taken in this order by a request:
//
//   - inputs: the bytes a request brings, a webhook body or a downloaded
//     object;
//   - work: what is made from them, an image decode and the photo.
//
// A request waits for a pool only while it holds nothing of that pool, and
// never waits for inputs while it holds work; a request that holds bytes
// of a pool and needs more of it gets them at once or not at all. So no
// two requests can each hold what the other waits for: every wait ends
// when requests that wait for nothing finish, or at the waiter's deadline.
//
// A step that can never fit, because it needs more than its whole pool
// (less what its own request already holds of it), is refused at once with
// a permanent *Error; a step that could fit later waits, bounded by the
// request's deadline, and then fails with a transient *Error.
//
// The semaphores are golang.org/x/sync/semaphore's, which serve waiters in
// order, so a large step is not starved by a stream of small ones.
//
// # Errors
//
// Acquire and AcquireInput return an *Error. Its Permanent method reports
// whether the step can never fit (true) or only could not have its bytes
// in time (false).
package membudget

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sync/semaphore"
)

// MiB is a mebibyte, the unit the budget's messages use.
const MiB = 1 << 20

// A pool is one weighted semaphore of the budget.
type pool struct {
	name     string
	capacity int64
	sem      *semaphore.Weighted
}

// Budget is an instance's memory budget in bytes. It is safe for
// concurrent use.
type Budget struct {
	inputs, work pool

	mu        sync.Mutex
	inUse     int64
	highWater int64
}

// New returns a budget of inputs bytes for what requests bring and work
// bytes for what is made from it.
func New(inputs, work int64) *Budget {
	inputs, work = max(inputs, 1), max(work, 1)
	return &Budget{
		inputs: pool{name: "input", capacity: inputs, sem: semaphore.NewWeighted(inputs)},
		work:   pool{name: "work", capacity: work, sem: semaphore.NewWeighted(work)},
	}
}

// Capacity is the budget's size in bytes, both pools together.
func (b *Budget) Capacity() int64 { return b.inputs.capacity + b.work.capacity }

// InputCapacity and WorkCapacity are the pools' sizes.
func (b *Budget) InputCapacity() int64 { return b.inputs.capacity }
func (b *Budget) WorkCapacity() int64  { return b.work.capacity }

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

	mu          sync.Mutex
	inputs, wrk int64 // held of each pool
}

// errHolding is why a request that already holds bytes of a pool does not
// wait for more of it.
var errHolding = errors.New("the request already holds part of the budget and may not wait for more")

// AcquireInput takes n bytes of the inputs pool, for what is named by what
// ("the request body"). It waits only when the request holds no input
// bytes yet, and never while it holds work bytes.
func (l *Lease) AcquireInput(n int64, what string) error {
	l.mu.Lock()
	held, wait := l.inputs, l.inputs == 0 && l.wrk == 0
	l.mu.Unlock()
	if err := l.acquire(&l.budget.inputs, n, held, wait, what); err != nil {
		return err
	}
	l.mu.Lock()
	l.inputs += n
	l.mu.Unlock()
	return nil
}

// Acquire takes n bytes of the work pool to decode an image. It waits only
// when the request holds no work bytes yet.
func (l *Lease) Acquire(n int64) error { return l.AcquireWork(n, "decoding it") }

// AcquireWork is Acquire, naming what the bytes are for.
func (l *Lease) AcquireWork(n int64, what string) error {
	l.mu.Lock()
	held := l.wrk
	l.mu.Unlock()
	if err := l.acquire(&l.budget.work, n, held, held == 0, what); err != nil {
		return err
	}
	l.mu.Lock()
	l.wrk += n
	l.mu.Unlock()
	return nil
}

func (l *Lease) acquire(p *pool, n, held int64, wait bool, what string) error {
	if n <= 0 {
		return nil
	}
	e := &Error{What: what, Pool: p.name, Need: n, Held: held, Capacity: p.capacity}
	switch {
	case held+n > p.capacity:
		e.permanent = true
		return e
	case wait:
		if err := p.sem.Acquire(l.ctx, n); err != nil {
			e.Err = err
			return e
		}
	case !p.sem.TryAcquire(n):
		e.Err = errHolding
		return e
	}
	l.budget.count(n)
	return nil
}

// Release gives back n of the work bytes the request holds.
func (l *Lease) Release(n int64) { l.release(&l.budget.work, &l.wrk, n) }

// ReleaseInput gives back n of the input bytes the request holds.
func (l *Lease) ReleaseInput(n int64) { l.release(&l.budget.inputs, &l.inputs, n) }

func (l *Lease) release(p *pool, held *int64, n int64) {
	l.mu.Lock()
	n = min(n, *held)
	*held -= n
	l.mu.Unlock()
	if n <= 0 {
		return
	}
	l.budget.count(-n)
	p.sem.Release(n)
}

// Held is the number of bytes the request holds, of both pools.
func (l *Lease) Held() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inputs + l.wrk
}

// Close releases everything the request still holds.
func (l *Lease) Close() {
	l.mu.Lock()
	in, wrk := l.inputs, l.wrk
	l.mu.Unlock()
	l.ReleaseInput(in)
	l.Release(wrk)
}

// An Error says that a step's bytes were not granted.
type Error struct {
	What     string // what the bytes were for, such as "the request body"
	Pool     string // "input" or "work"
	Need     int64  // the bytes asked for
	Held     int64  // what the request held of the pool already
	Capacity int64  // the pool's size
	Err      error  // why the bytes could not be had in time, for a transient error

	permanent bool
}

func (e *Error) Error() string {
	what := e.What
	if what == "" {
		what = "this step"
	}
	if e.permanent {
		if e.Held >= MiB/10 {
			return fmt.Sprintf("%s needs %s of memory, which with the %s this request holds is more than the instance's %s budget of %s",
				what, mib(e.Need), mib(e.Held), e.Pool, mib(e.Capacity))
		}
		return fmt.Sprintf("%s needs %s of memory, more than the instance's %s budget of %s", what, mib(e.Need), e.Pool, mib(e.Capacity))
	}
	return fmt.Sprintf("%s needs %s of memory, and the instance's %s budget of %s is in use by other requests: %v",
		what, mib(e.Need), e.Pool, mib(e.Capacity), e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether the step can never fit; a transient error's
// step may fit once the instance is less busy.
func (e *Error) Permanent() bool { return e.permanent }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/MiB) }
