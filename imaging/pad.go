package imaging

import (
	"image"
	"math"
	"slices"
)

// renderPadded renders crop, a square that reaches beyond the upright
// w×h image, at side×side: the part inside the image resampled to its
// place, the rest filled by fillPadding.
func (s *source) renderPadded(crop image.Rectangle, w, h, side int) *image.RGBA {
	in := crop.Intersect(image.Rect(0, 0, w, h))
	k := float64(side) / float64(crop.Dx())
	at := func(v int) int { return min(side, max(0, int(math.Round(float64(v)*k)))) }
	photo := image.Rect(at(in.Min.X-crop.Min.X), at(in.Min.Y-crop.Min.Y), at(in.Max.X-crop.Min.X), at(in.Max.Y-crop.Min.Y))
	// At least one pixel of the photo, however small its share.
	photo.Max.X, photo.Max.Y = max(photo.Max.X, photo.Min.X+1), max(photo.Max.Y, photo.Min.Y+1)
	if photo.Max.X > side {
		photo = photo.Sub(image.Pt(photo.Max.X-side, 0))
	}
	if photo.Max.Y > side {
		photo = photo.Sub(image.Pt(0, photo.Max.Y-side))
	}
	part := s.render(in, photo.Dx(), photo.Dy())
	out := image.NewRGBA(image.Rect(0, 0, side, side))
	for y := range photo.Dy() {
		copy(out.Pix[out.PixOffset(photo.Min.X, photo.Min.Y+y):], part.Pix[part.PixOffset(0, y):part.PixOffset(photo.Dx(), y)])
	}
	fillPadding(out, photo)
	return out
}

// fillPadding fills m outside the rectangle photo, which holds the photo,
// with the photo's edge blurred the more the farther from it: each pixel
// takes the mean of the photo around the nearest edge pixel, over a window
// that widens with the distance, then the mean of its neighbours along the
// edge. The fill continues the colours at the seam without a line and,
// away from it, carries no detail, so it reads as background rather than
// as more of the scene, and a face near the edge is not smeared into a
// second one.
func fillPadding(m *image.RGBA, photo image.Rectangle) {
	b := m.Bounds()
	if photo.Eq(b) || photo.Empty() {
		return
	}
	// How deep into the photo a window reaches: one pixel more than the
	// widest band beyond it.
	reach := min(maxWindow, max(photo.Min.X-b.Min.X, b.Max.X-photo.Max.X, photo.Min.Y-b.Min.Y, b.Max.Y-photo.Max.Y)) + 2
	// Each band beyond an edge (those above and below with the corners)
	// reads only the strip of the photo along that edge, so the sums need
	// no more memory than the deepest strip.
	bands := []struct {
		out, strip image.Rectangle
		across     bool // the band lies above or below the photo
	}{
		{image.Rect(b.Min.X, b.Min.Y, b.Max.X, photo.Min.Y),
			image.Rect(photo.Min.X, photo.Min.Y, photo.Max.X, min(photo.Max.Y, photo.Min.Y+reach)), true},
		{image.Rect(b.Min.X, photo.Max.Y, b.Max.X, b.Max.Y),
			image.Rect(photo.Min.X, max(photo.Min.Y, photo.Max.Y-reach), photo.Max.X, photo.Max.Y), true},
		{image.Rect(b.Min.X, photo.Min.Y, photo.Min.X, photo.Max.Y),
			image.Rect(photo.Min.X, photo.Min.Y, min(photo.Max.X, photo.Min.X+reach), photo.Max.Y), false},
		{image.Rect(photo.Max.X, photo.Min.Y, b.Max.X, photo.Max.Y),
			image.Rect(max(photo.Min.X, photo.Max.X-reach), photo.Min.Y, photo.Max.X, photo.Max.Y), false},
	}
	var sums boxSums
	var line []uint32
	for _, band := range bands {
		if band.out.Empty() {
			continue
		}
		sums.of(m, band.strip)
		for y := band.out.Min.Y; y < band.out.Max.Y; y++ {
			qy := min(max(y, photo.Min.Y), photo.Max.Y-1)
			dy := abs(y - qy)
			dst := m.Pix[m.PixOffset(band.out.Min.X, y):]
			for x := band.out.Min.X; x < band.out.Max.X; x++ {
				qx := min(max(x, photo.Min.X), photo.Max.X-1)
				// The window: along the edge, reaching twice the
				// distance from it each way, so the colour a pixel
				// takes moves smoothly with it; into the photo, a third
				// of the distance, so that next to the seam it is the
				// edge's own colour.
				d := min(max(abs(x-qx), dy), maxWindow)
				ax, ay := 2*d+1, d/3
				if !band.across {
					ax, ay = ay, ax
				}
				sums.mean(dst[4*(x-band.out.Min.X):], image.Rect(qx-ax, qy-ay, qx+ax+1, qy+ay+1))
			}
		}
		// A second mean along the edge, half as wide: windows of
		// different widths leave corners where a bright patch at the
		// edge starts to count; averaging them again rounds them off.
		if band.across {
			for y := band.out.Min.Y; y < band.out.Max.Y; y++ {
				d := abs(y - min(max(y, photo.Min.Y), photo.Max.Y-1))
				line = smoothLine(m.Pix[m.PixOffset(b.Min.X, y):], 4, b.Dx(), min(d, maxWindow), line)
			}
		} else {
			for x := band.out.Min.X; x < band.out.Max.X; x++ {
				d := abs(x - min(max(x, photo.Min.X), photo.Max.X-1))
				line = smoothLine(m.Pix[m.PixOffset(x, band.out.Min.Y):], m.Stride, band.out.Dy(), min(d, maxWindow), line)
			}
		}
	}
}

// smoothLine replaces each of the n pixels of a line of pix, step bytes
// apart, by the mean of those within r of it on the line, and returns buf,
// grown to hold the line's sums.
func smoothLine(pix []uint8, step, n, r int, buf []uint32) []uint32 {
	if r == 0 || n < 2 {
		return buf
	}
	buf = slices.Grow(buf[:0], 3*(n+1))[:3*(n+1)]
	buf[0], buf[1], buf[2] = 0, 0, 0
	for i := range n {
		for c := range 3 {
			buf[3*(i+1)+c] = buf[3*i+c] + uint32(pix[i*step+c])
		}
	}
	for i := range n {
		lo, hi := max(0, i-r), min(n, i+r+1)
		k := uint32(hi - lo)
		for c := range 3 {
			pix[i*step+c] = uint8((buf[3*hi+c] - buf[3*lo+c] + k/2) / k)
		}
	}
	return buf
}

// maxWindow bounds the distance that sizes fillPadding's window, so that
// the window, at most (4·maxWindow+3)×(2·maxWindow/3+1) pixels of 255,
// sums to less than 2³².
const maxWindow = 2000

// boxSums holds the sums of the colours of the rectangle rect of an image:
// sum[y][x] is the sum of the pixels above and left of (x, y), relative to
// rect.Min, modulo 2³², which a window's sum survives while it is of fewer
// than 16 million pixels.
type boxSums struct {
	rect image.Rectangle
	sum  []uint32
}

// of computes the sums over r of m, reusing the memory of earlier sums.
func (s *boxSums) of(m *image.RGBA, r image.Rectangle) {
	w, h := r.Dx(), r.Dy()
	stride := (w + 1) * 3
	s.rect = r
	if n := (h + 1) * stride; cap(s.sum) >= n {
		s.sum = s.sum[:n]
		clear(s.sum)
	} else {
		s.sum = make([]uint32, n)
	}
	for y := range h {
		var row [3]uint32
		src := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):]
		up, cur := s.sum[y*stride:], s.sum[(y+1)*stride:]
		for x := range w {
			for c := range 3 {
				row[c] += uint32(src[4*x+c])
				cur[(x+1)*3+c] = up[(x+1)*3+c] + row[c]
			}
		}
	}
}

// mean writes to dst, an RGBA pixel, the mean colour of the window w,
// clipped to the rectangle the sums cover, opaque.
func (s *boxSums) mean(dst []uint8, w image.Rectangle) {
	w = w.Intersect(s.rect).Sub(s.rect.Min)
	stride := (s.rect.Dx() + 1) * 3
	n := uint32(w.Dx() * w.Dy())
	for c := range 3 {
		v := s.sum[w.Max.Y*stride+w.Max.X*3+c] - s.sum[w.Min.Y*stride+w.Max.X*3+c] -
			s.sum[w.Max.Y*stride+w.Min.X*3+c] + s.sum[w.Min.Y*stride+w.Min.X*3+c]
		dst[c] = uint8((v + n/2) / n)
	}
	dst[3] = 0xff
}
