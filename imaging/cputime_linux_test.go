package imaging

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling thread has used; the caller
// locks its goroutine to the thread. On a machine loaded by other work it
// measures what wall time cannot.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
