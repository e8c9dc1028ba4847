package contactphoto

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/contactphoto/contactphoto/internal/membudget"
)

// cgroupMemoryFiles hold the instance's memory limit under cgroup v2 and v1.
var cgroupMemoryFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// memoryLimitShare is the part of the instance's memory the Go runtime may
// grow into before the collector works harder; the rest is for what the
// runtime does not govern, the program's own code and data as mapped from
// the binary among it (about 20 MiB). Four inputs that churn garbage hold
// the process at about this limit plus that: at 0.75 and 0.7 of a 256 MiB
// instance, bench/hostile measured 183 and 199 MiB.
const memoryLimitShare = 0.65

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

// budgetShare is the part of the Go memory limit that the instance's
// requests may hold at once through the memory budget (request bodies,
// object bytes, image decodes). The rest is for what no step counts: the
// runtime, the client libraries and their connections, goroutine stacks,
// and garbage the collector has yet to free. inputShare of the budget is
// for the bytes requests bring, the rest for decoding them.
const (
	budgetShare = 0.5
	inputShare  = 0.4
)

// defaultBudget is the memory budget when the process has no memory limit,
// as when the command-line tools run on a workstation.
const defaultBudget = 1 << 30

// newMemoryBudget returns the instance's memory budget, from the Go memory
// limit in force (set from the cgroup by setMemoryLimit, or by GOMEMLIMIT).
func newMemoryBudget() *membudget.Budget {
	budget := int64(defaultBudget)
	if limit := debug.SetMemoryLimit(-1); limit > 0 && limit != math.MaxInt64 {
		budget = int64(float64(limit) * budgetShare)
	}
	inputs := int64(float64(budget) * inputShare)
	return membudget.New(inputs, budget-inputs)
}
