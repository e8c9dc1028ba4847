package dctjpeg

import (
	"fmt"
	"image"
	"strings"
)

// A DamageError reports a JPEG whose data was cut short or corrupt, from
// which Decode recovered as libjpeg does: it decoded what arrived, resumed
// at the next restart marker after corrupt data, and skipped stray bytes.
// Decode returns it together with the image. Blocks whose data is missing
// repeat the row of pixels above them (mid-gray at the top), so that a cut
// at the bottom reads as a smear of the last row rather than a grey band.
// In progressive files a block counts as missing when its first DC scan
// did not reach it; later scans only add detail.
type DamageError struct {
	// Truncated reports that the input ended before the image did.
	Truncated bool
	// Corrupt describes the first corruption met, "" when there was none.
	Corrupt string

	width, height int
	mcuW, mcuH    int // MCU size in stored pixels
	mcusX, mcusY  int
	missing       []bool // per MCU, row by row
	missingCount  int
}

func (e *DamageError) Error() string {
	var what []string
	if e.Truncated {
		what = append(what, "truncated")
	}
	if e.Corrupt != "" {
		what = append(what, "corrupt data ("+e.Corrupt+")")
	}
	return fmt.Sprintf("damaged JPEG: %s; %.1f%% of the image is missing",
		strings.Join(what, ", "), 100*e.MissingIn(image.Rect(0, 0, e.width, e.height)))
}

// MissingIn returns the share of the pixels of r (in stored, full-scale
// coordinates) whose data is missing, from 0 to 1.
func (e *DamageError) MissingIn(r image.Rectangle) float64 {
	r = r.Intersect(image.Rect(0, 0, e.width, e.height))
	if r.Empty() || e.missingCount == 0 {
		return 0
	}
	var lost int64
	for my := r.Min.Y / e.mcuH; my <= (r.Max.Y-1)/e.mcuH; my++ {
		for mx := r.Min.X / e.mcuW; mx <= (r.Max.X-1)/e.mcuW; mx++ {
			if !e.missing[my*e.mcusX+mx] {
				continue
			}
			m := image.Rect(mx*e.mcuW, my*e.mcuH, (mx+1)*e.mcuW, (my+1)*e.mcuH).Intersect(r)
			lost += int64(m.Dx()) * int64(m.Dy())
		}
	}
	return float64(lost) / (float64(r.Dx()) * float64(r.Dy()))
}

// damage fills the blocks whose data did not arrive and describes them,
// or returns nil when the data was whole.
func (d *decoder) damage() *DamageError {
	e := &DamageError{
		Truncated: d.truncated,
		Corrupt:   d.corrupted,
		width:     d.width, height: d.height,
		mcuW: 8 * d.hmax, mcuH: 8 * d.vmax,
		mcusX: d.mcusX, mcusY: d.mcusY,
	}
	for i := range d.comps {
		c := &d.comps[i]
		// Only blocks holding the component's samples are ever decoded
		// by a non-interleaved scan, and only they are shown.
		realW, realH := ceilDiv(c.cw, 8), ceilDiv(c.ch, 8)
		for by := range realH {
			for bx := range realW {
				if k := by*c.bw + bx; c.have != nil && c.have[k/64]&(1<<(k%64)) != 0 {
					continue
				}
				if e.missing == nil {
					e.missing = make([]bool, d.mcusX*d.mcusY)
				}
				if mi := by/c.v*d.mcusX + bx/c.h; !e.missing[mi] {
					e.missing[mi] = true
					e.missingCount++
				}
				d.fillFromAbove(c, bx, by)
			}
		}
	}
	if e.missingCount == 0 && !e.Truncated && e.Corrupt == "" {
		return nil
	}
	return e
}

// fillFromAbove replaces a missing block's pixels with the row above it.
func (d *decoder) fillFromAbove(c *component, bx, by int) {
	n := c.n
	x0, y0 := bx*n, by*n
	for y := y0; y < y0+n; y++ {
		row := c.pix[y*c.stride+x0 : y*c.stride+x0+n]
		if y == 0 {
			for x := range row {
				row[x] = 128
			}
			continue
		}
		copy(row, c.pix[(y-1)*c.stride+x0:])
	}
}
