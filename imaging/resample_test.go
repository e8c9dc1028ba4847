package imaging

import (
	"fmt"
	"image"
	"image/color"
	"testing"
)

// TestResampleDoesNotRing reduces hard edges between two grey levels by
// factors from 1.1 to 5: the sharpening kernel's overshoot must be clipped,
// so no output pixel leaves the range of the two levels, while the edge
// stays as steep as an exact reduction makes it.
func TestResampleDoesNotRing(t *testing.T) {
	const dark, light = 60, 190
	for _, size := range []int{300, 200, 131, 97, 66} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			const w = 330
			m := image.NewGray(image.Rect(0, 0, w, w))
			for y := range w {
				for x := range w {
					v := uint8(dark)
					// Vertical bars of varying width and one diagonal edge.
					if (x/23)%2 == 1 || x+y > 2*w-120 {
						v = light
					}
					m.SetGray(x, y, color.Gray{v})
				}
			}
			out := resample(newRowReader(m, nil), w, w, rectF{0, 0, w, w}, size, size, nil)
			lo, hi := uint8(255), uint8(0)
			steepest := 0
			for y := range size {
				for x := range size {
					v := out.RGBAAt(x, y).R
					lo, hi = min(lo, v), max(hi, v)
					if x > 0 {
						steepest = max(steepest, int(v)-int(out.RGBAAt(x-1, y).R), int(out.RGBAAt(x-1, y).R)-int(v))
					}
				}
			}
			if lo < dark || hi > light {
				t.Errorf("output ranges over %d..%d, beyond the source's %d..%d: the edges ring", lo, hi, dark, light)
			}
			// Over an edge an exact reduction moves at least half the step
			// between neighbouring pixels.
			if steepest < (light-dark)/2 {
				t.Errorf("steepest step between neighbours %d, want >= %d", steepest, (light-dark)/2)
			}
		})
	}
}
