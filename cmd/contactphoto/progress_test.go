package main

import (
	"testing"
	"time"
)

func TestBarLine(t *testing.T) {
	tests := []struct {
		name  string
		c     counts
		width int
		want  string
	}{
		{"start", counts{Total: 300}, 80,
			"[>                                      ] 0/300  updated 0  skipped 0  failed 0"},
		{"halfway", counts{Total: 300, Done: 150, Updated: 140, Skipped: 8, Failed: 2, processed: 142, elapsed: 2 * time.Minute}, 100,
			"[=================>                 ] 150/300  updated 140  skipped 8  failed 2  71.0/min  ETA 2m7s"},
		{"dry run", counts{Total: 4, Done: 4, WouldUpdate: 3, WouldFail: 1}, 80,
			"[======================] 4/4  would update 3  would fail 1  skipped 0  failed 0"},
		{"narrow", counts{Total: 300, Done: 1, Updated: 1}, 30, " 1/300  updated 1  skipped 0 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := barLine(tt.c, tt.width)
			if got != tt.want {
				t.Errorf("barLine =\n%q\nwant\n%q", got, tt.want)
			}
			if len(got) >= tt.width {
				t.Errorf("%d columns wide; a line of %d or more wraps the cursor", len(got), tt.width)
			}
		})
	}
}
