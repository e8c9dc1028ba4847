package contactphoto

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestSetMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v2 := write("memory.max", "268435456\n")
	unlimited := write("unlimited", "max\n")
	missing := filepath.Join(dir, "missing")
	instance := 268435456.0
	want256 := int64(instance * memoryLimitShare)

	tests := []struct {
		name       string
		gomemlimit string
		files      []string
		want       int64
	}{
		{"256 MiB instance", "", []string{v2}, want256},
		{"first readable file wins", "", []string{missing, v2}, want256},
		{"GOMEMLIMIT set by the user", "200MiB", []string{v2}, 0},
		{"no limit", "", []string{unlimited}, 0},
		{"no cgroup", "", []string{missing}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			if got := setMemoryLimit(tt.gomemlimit, tt.files); got != tt.want {
				t.Fatalf("setMemoryLimit = %d, want %d", got, tt.want)
			}
			if cur := debug.SetMemoryLimit(-1); tt.want != 0 && cur != tt.want {
				t.Errorf("runtime limit is %d, want %d", cur, tt.want)
			}
		})
	}
}

func TestNewMemoryBudget(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	instance := int64(256 << 20)
	limit := int64(float64(instance) * memoryLimitShare)
	debug.SetMemoryLimit(limit)
	b := newMemoryBudget()
	if got, want := b.Capacity(), int64(float64(limit)*budgetShare); got < want-1 || got > want {
		t.Errorf("budget %d for a memory limit of %d, want %d", got, limit, want)
	}
	if in := b.InputCapacity(); in != int64(float64(b.Capacity())*inputShare) {
		t.Errorf("inputs pool %d of %d", in, b.Capacity())
	}
	// The budget and what it does not count fit the instance.
	if b.Capacity() > instance/2 {
		t.Errorf("budget %d MiB on a %d MiB instance", b.Capacity()>>20, instance>>20)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	if got := newMemoryBudget().Capacity(); got != defaultBudget {
		t.Errorf("budget %d without a memory limit, want %d", got, defaultBudget)
	}
}
