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
