package contactphoto

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// cgroupMemoryFiles hold the instance's memory limit under cgroup v2 and v1.
var cgroupMemoryFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// memoryLimitShare is the part of the instance's memory the Go heap may
// grow into before the collector works harder; the rest is for stacks, the
// runtime and the photo bytes in flight.
const memoryLimitShare = 0.8

// setMemoryLimit gives the Go runtime a soft memory limit below the
// instance's own, read from the cgroup, unless GOMEMLIMIT is set. Without
// it a 256 MiB instance is killed for memory the collector could have
// freed. It returns the limit set, 0 when it set none.
func setMemoryLimit(gomemlimit string, files []string) int64 {
	if gomemlimit != "" {
		return 0
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<50 { // "max" or an unlimited v1 value
			return 0
		}
		limit := int64(float64(n) * memoryLimitShare)
		debug.SetMemoryLimit(limit)
		return limit
	}
	return 0
}
