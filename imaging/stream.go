package imaging

import (
	"image"
	"image/color"
	"math"
)

// linearRGB is an image kept as linear-light RGB, 16 bits a sample, with
// transparency already flattened on white: what a streaming decoder reduces
// a large image into. Sixteen linear bits keep the darkest 8-bit sRGB levels
// (about 20 steps apart at the bottom) distinct, in 6 bytes a pixel.
type linearRGB struct {
	Pix    []uint16
	Stride int // in samples
	Rect   image.Rectangle
}

// linearBytesPerPixel is the size of a linearRGB pixel.
const linearBytesPerPixel = 6

func newLinearRGB(w, h int) *linearRGB {
	return &linearRGB{Pix: make([]uint16, 3*w*h), Stride: 3 * w, Rect: image.Rect(0, 0, w, h)}
}

func (m *linearRGB) ColorModel() color.Model { return color.RGBA64Model }
func (m *linearRGB) Bounds() image.Rectangle { return m.Rect }

// At encodes the pixel back to sRGB; the pipeline reads rows through
// newRowReader instead.
func (m *linearRGB) At(x, y int) color.Color {
	if !image.Pt(x, y).In(m.Rect) {
		return color.RGBA64{}
	}
	p := m.Pix[(y-m.Rect.Min.Y)*m.Stride+3*(x-m.Rect.Min.X):][:3]
	enc := func(v uint16) uint16 { return uint16(math.Round(65535 * linearToSRGB(float64(v)/65535))) }
	return color.RGBA64{enc(p[0]), enc(p[1]), enc(p[2]), 0xffff}
}

// reducer averages f×f blocks of rows it is given in order, in linear
// light, into a linearRGB; blocks at the right and bottom edges average the
// pixels that exist, as boxShrink does.
type reducer struct {
	w, h, f int
	dst     *linearRGB
	row     []float32 // one source row, linear RGB
	acc     []float32 // the sums of the output row being built
}

func newReducer(w, h, f int) *reducer {
	rw, rh := (w+f-1)/f, (h+f-1)/f
	return &reducer{w: w, h: h, f: f, dst: newLinearRGB(rw, rh), row: make([]float32, 3*w), acc: make([]float32, 3*rw)}
}

// reducedBytes is what a reducer for a w×h image at f allocates.
func reducedBytes(w, h, f int) int64 {
	rw, rh := int64((w+f-1)/f), int64((h+f-1)/f)
	return linearBytesPerPixel*rw*rh + 4*3*int64(w) + 4*3*rw
}

// add takes source row y, read through read.
func (r *reducer) add(y int, read rowReader) {
	read(0, 0, r.w, r.row)
	f := r.f
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
	out := r.dst.Pix[(y/f)*r.dst.Stride:][:len(r.acc)]
	for i := range len(r.acc) / 3 {
		n := rows * float32(min((i+1)*f, r.w)-i*f)
		for c := range 3 {
			v := r.acc[3*i+c] / n
			out[3*i+c] = uint16(min(max(v, 0), 1)*65535 + 0.5)
		}
	}
	clear(r.acc)
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
