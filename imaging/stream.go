package imaging

import (
	"image"
	"image/color"
)

// rgb24 is an image of 8-bit sRGB samples, 3 bytes a pixel, with
// transparency already flattened on white: what a streaming decoder
// reduces a large image into, in the precision of the photo it becomes.
type rgb24 struct {
	Pix    []uint8
	Stride int
	Rect   image.Rectangle
}

// rgb24BytesPerPixel is the size of an rgb24 pixel.
const rgb24BytesPerPixel = 3

func newRGB24(w, h int) *rgb24 {
	return &rgb24{Pix: make([]uint8, 3*w*h), Stride: 3 * w, Rect: image.Rect(0, 0, w, h)}
}

func (m *rgb24) ColorModel() color.Model { return color.RGBAModel }
func (m *rgb24) Bounds() image.Rectangle { return m.Rect }

func (m *rgb24) At(x, y int) color.Color {
	if !image.Pt(x, y).In(m.Rect) {
		return color.RGBA{}
	}
	p := m.Pix[(y-m.Rect.Min.Y)*m.Stride+3*(x-m.Rect.Min.X):][:3]
	return color.RGBA{p[0], p[1], p[2], 0xff}
}

// reducer reduces an image whose rows it is given in order, in linear
// light, to 1/f of its size, as resample would: for a large reduction a box
// average first, by half of f, then the cubic filter widened with the rest
// of the reduction and clipped to each pixel's footprint, each output row
// made as soon as its last source row arrives. A box average alone would fold fine detail back as
// aliasing. Memory: the output, in rgb24, and a few rows.
type reducer struct {
	w, h int
	dst  *rgb24
	enc  []uint8
	row  []float32 // one source row, linear RGB

	// The box stage: fb×fb blocks into rows bw wide.
	fb, bw, bh int
	acc        []float32 // the sums of the boxed row being built
	boxed      []float32 // a finished boxed row
	by         int       // boxed rows made

	// The filter stage: boxed rows in, output rows out.
	hw, vw axisWeights
	ring   []float32 // horizontally filtered boxed rows, vw.taps of them
	sum    []float32
	oy     int // next output row
}

func newReducer(w, h, f int) *reducer {
	rw, rh := (w+f-1)/f, (h+f-1)/f
	fb := max(1, f/2)
	bw, bh := (w+fb-1)/fb, (h+fb-1)/fb
	r := &reducer{w: w, h: h, dst: newRGB24(rw, rh), enc: encode8(), row: make([]float32, 3*w),
		fb: fb, bw: bw, bh: bh, acc: make([]float32, 3*bw), boxed: make([]float32, 3*bw),
		hw: makeWeights(0, float64(bw), rw, bw), vw: makeWeights(0, float64(bh), rh, bh), sum: make([]float32, 3*rw)}
	r.ring = make([]float32, r.vw.taps*3*rw)
	return r
}

// reducedBytes is what a reducer for a w×h image at f allocates.
func reducedBytes(w, h, f int) int64 {
	rw, rh := int64((w+f-1)/f), int64((h+f-1)/f)
	taps := int64(2*keysCubicSupport*2+1) + 2
	return rgb24BytesPerPixel*rw*rh + 4*3*int64(w) + 2*4*3*int64(w) + taps*4*3*rw + 2*4*(rw+rh)*taps
}

// add takes source row y, read through read.
func (r *reducer) add(y int, read rowReader) {
	read(0, 0, r.w, r.row)
	if r.fb == 1 {
		r.filter(r.row)
		return
	}
	f := r.fb
	for x := 0; x < r.w; x += f {
		end := min(x+f, r.w)
		var sr, sg, sb float32
		for i := 3 * x; i < 3*end; i += 3 {
			sr += r.row[i]
			sg += r.row[i+1]
			sb += r.row[i+2]
		}
		o := 3 * (x / f)
		r.acc[o] += sr
		r.acc[o+1] += sg
		r.acc[o+2] += sb
	}
	if (y+1)%f != 0 && y != r.h-1 {
		return
	}
	rows := float32(y%f + 1)
	for i := range r.bw {
		n := rows * float32(min((i+1)*f, r.w)-i*f)
		for c := range 3 {
			r.boxed[3*i+c] = r.acc[3*i+c] / n
		}
	}
	clear(r.acc)
	r.filter(r.boxed)
}

// filter takes the next boxed row: it filters it horizontally into the
// ring, then makes every output row whose source rows are all in.
func (r *reducer) filter(in []float32) {
	y := r.by
	r.by++
	outW := len(r.hw.start)
	rowLen := 3 * outW
	if y >= r.vw.lo && y < r.vw.hi {
		filterRow(r.ring[(y%r.vw.taps)*rowLen:][:rowLen], in[3*r.hw.lo:], &r.hw)
	}
	for ; r.oy < len(r.vw.start) && r.vw.start[r.oy]+r.vw.n[r.oy]-1 <= y; r.oy++ {
		clear(r.sum)
		start := r.vw.start[r.oy]
		for k, w := range r.vw.w[r.oy*r.vw.taps:][:r.vw.n[r.oy]] {
			row := r.ring[((start+k)%r.vw.taps)*rowLen:][:rowLen]
			for i, v := range row {
				r.sum[i] += w * v
			}
		}
		// Clipped to the range of the rows the output row covers, as
		// resampleRows does: what the kernel pushes beyond it is ringing.
		f0 := r.vw.fstart[r.oy]
		out := r.dst.Pix[r.oy*r.dst.Stride:][:rowLen]
		for i, v := range r.sum {
			lo, hi := float32(2), float32(-1)
			for k := f0; k < f0+r.vw.fn[r.oy]; k++ {
				u := r.ring[(k%r.vw.taps)*rowLen+i]
				lo, hi = min(lo, u), max(hi, u)
			}
			out[i] = toSRGB8(r.enc, min(max(v, lo), hi))
		}
	}
}

// onCanvas is a frame shown on a larger transparent canvas, as GIF and
// animated WebP place their first frame on the logical screen. The canvas
// itself is never allocated: a 35-byte GIF can declare a 65535×65535
// screen around a 1×1 frame.
type onCanvas struct {
	frame  image.Image
	at     image.Point // where the frame's Bounds().Min sits on the canvas
	canvas image.Rectangle
}

func (m *onCanvas) ColorModel() color.Model { return color.NRGBAModel }
func (m *onCanvas) Bounds() image.Rectangle { return m.canvas }

func (m *onCanvas) At(x, y int) color.Color {
	fb := m.frame.Bounds()
	p := image.Pt(x, y).Sub(m.at).Add(fb.Min)
	if !p.In(fb) {
		return color.NRGBA{}
	}
	return m.frame.At(p.X, p.Y)
}

// canvasRowReader reads an onCanvas: white outside the frame, as every
// transparent pixel is shown, the frame's own pixels inside.
func canvasRowReader(m *onCanvas, cmyk *cmykProfile) rowReader {
	frame := newRowReader(m.frame, cmyk)
	fr := m.frame.Bounds().Sub(m.frame.Bounds().Min).Add(m.at).Sub(m.canvas.Min) // frame in canvas-relative coordinates
	return func(y, x0, x1 int, dst []float32) {
		out := dst[:3*(x1-x0)]
		if y < fr.Min.Y || y >= fr.Max.Y {
			fill(out, 1)
			return
		}
		a, b := max(x0, fr.Min.X), min(x1, fr.Max.X)
		if a >= b {
			fill(out, 1)
			return
		}
		fill(out[:3*(a-x0)], 1)
		fill(out[3*(b-x0):], 1)
		frame(y-fr.Min.Y, a-fr.Min.X, b-fr.Min.X, out[3*(a-x0):3*(b-x0)])
	}
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}
