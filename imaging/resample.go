package imaging

import (
	"image"
	"math"
	"runtime"
	"sync"
)

// keysCubic is Keys' cubic convolution kernel with a = -0.75: a little
// sharper than Catmull-Rom (a = -0.5), the mild sharpening downscalers
// apply, and like it an identity at 1:1. The overshoot it brings to edges
// is clipped (see axisWeights.fstart), so it does not ring.
func keysCubic(x float64) float64 {
	const a = -0.75
	x = math.Abs(x)
	switch {
	case x < 1:
		return ((a+2)*x-(a+3))*x*x + 1
	case x < 2:
		return ((a*x-5*a)*x+8*a)*x - 4*a
	}
	return 0
}

const keysCubicSupport = 2

// axisWeights holds, for each output pixel along one axis, the contiguous run
// of source pixels it reads and their normalized filter weights.
type axisWeights struct {
	start, n []int
	w        []float32 // taps entries per output pixel
	taps     int
	lo, hi   int // source pixels [lo, hi) are read at all
	// The source pixels [fstart, fstart+fn) that each output pixel covers,
	// at least the nearest one. The filtered value is clipped to their
	// range: an exact reduction could not leave it, and what the kernel's
	// negative lobes push beyond it is ringing.
	fstart, fn []int
}

// makeWeights maps the source span [s0, s1) onto n output pixels. The filter
// widens with the reduction so every source pixel contributes and fine
// patterns cannot alias. At the image edge the weights of the pixels that
// exist are renormalized; repeating the edge pixel instead would give it
// up to half the weight and tint the border.
func makeWeights(s0, s1 float64, n, limit int) axisWeights {
	scale := (s1 - s0) / float64(n)
	fs := max(scale, 1)
	support := keysCubicSupport * fs
	taps := int(math.Ceil(2*support)) + 1
	aw := axisWeights{
		start:  make([]int, n),
		n:      make([]int, n),
		w:      make([]float32, n*taps),
		taps:   taps,
		lo:     limit,
		fstart: make([]int, n),
		fn:     make([]int, n),
	}
	for i := range n {
		c := s0 + (float64(i)+0.5)*scale
		left := int(math.Ceil(c - support - 0.5))
		right := int(math.Floor(c + support - 0.5))
		lo, hi := max(left, 0), min(right, limit-1)
		if hi < lo { // only for a span outside the image, which callers prevent
			lo, hi = min(max(int(c), 0), limit-1), min(max(int(c), 0), limit-1)
		}
		w := aw.w[i*taps : i*taps+hi-lo+1]
		var sum float64
		for j := lo; j <= hi; j++ {
			k := keysCubic((float64(j) + 0.5 - c) / fs)
			w[j-lo] = float32(k)
			sum += k
		}
		if sum != 0 {
			for k := range w {
				w[k] /= float32(sum)
			}
		}
		aw.start[i], aw.n[i] = lo, hi-lo+1
		aw.lo, aw.hi = min(aw.lo, lo), max(aw.hi, hi+1)
		half := fs / 2
		f0 := min(max(int(math.Floor(c-half)), lo), hi)
		f1 := max(min(int(math.Ceil(c+half)), hi+1), f0+1)
		aw.fstart[i], aw.fn[i] = f0, f1-f0
	}
	return aw
}

// rectF is a rectangle in source pixels with fractional edges, as a crop in
// stored coordinates becomes when the decoder has already scaled the image.
type rectF struct{ x0, y0, x1, y1 float64 }

// resample renders the span r of a w×h source read through read into an
// outW×outH RGBA image, filtering in linear light. conv, when not nil,
// converts the linear RGB of the source's colour space to linear sRGB; it is
// applied after filtering, which is equivalent and cheaper.
func resample(read rowReader, w, h int, r rectF, outW, outH int, conv *colorMatrix) *image.RGBA {
	// For large reductions, average f×f blocks first and leave the filter
	// a reduction of 2 to 4, as libvips does: the filter's cost grows with
	// the square of the reduction, the box average's does not.
	if f := int(min((r.x1-r.x0)/float64(outW), (r.y1-r.y0)/float64(outH)) / 2); f >= 2 {
		read, w, h = boxShrink(read, w, h, f)
		k := 1 / float64(f)
		r = rectF{r.x0 * k, r.y0 * k, r.x1 * k, r.y1 * k}
	}
	hw := makeWeights(r.x0, r.x1, outW, w)
	vw := makeWeights(r.y0, r.y1, outH, h)
	dst := image.NewRGBA(image.Rect(0, 0, outW, outH))
	// Bands of output rows run in parallel; each filters the few source
	// rows it shares with its neighbour again rather than synchronizing.
	bands := max(1, min(runtime.GOMAXPROCS(0), outH/32))
	var wg sync.WaitGroup
	for b := range bands {
		wg.Go(func() {
			resampleRows(read, &hw, &vw, outH*b/bands, outH*(b+1)/bands, dst, conv)
		})
	}
	wg.Wait()
	return dst
}

// resampleRows fills output rows [y0, y1) of dst. Horizontally filtered
// source rows live in a ring that holds just the rows one output row needs,
// so memory does not grow with the source.
func resampleRows(read rowReader, hw, vw *axisWeights, y0, y1 int, dst *image.RGBA, conv *colorMatrix) {
	outW := len(hw.start)
	rowLen := 3 * outW
	in := make([]float32, 3*(hw.hi-hw.lo))
	ringN := vw.taps
	ring := make([]float32, ringN*rowLen)
	acc := make([]float32, rowLen)
	lo, hi := make([]float32, rowLen), make([]float32, rowLen)
	enc := encode8()
	next := 0 // next source row to filter horizontally
	for oy := y0; oy < y1; oy++ {
		start, n := vw.start[oy], vw.n[oy]
		next = max(next, start)
		for ; next < start+n; next++ {
			read(next, hw.lo, hw.hi, in)
			filterRow(ring[(next%ringN)*rowLen:][:rowLen], in, hw)
		}
		// Two rows at a time: half the passes over acc.
		ws := vw.w[oy*vw.taps:][:n]
		clear(acc)
		k := 0
		for ; k+1 < n; k += 2 {
			w0, w1 := ws[k], ws[k+1]
			r0 := ring[((start+k)%ringN)*rowLen:][:rowLen]
			r1 := ring[((start+k+1)%ringN)*rowLen:][:rowLen]
			for i := range acc {
				acc[i] += w0*r0[i] + w1*r1[i]
			}
		}
		if k < n {
			w := ws[k]
			for i, v := range ring[((start+k)%ringN)*rowLen:][:rowLen] {
				acc[i] += w * v
			}
		}
		// Clip each sample to the range of the rows the output row covers:
		// two or three of them for the usual reductions, clipped in one
		// pass.
		f0, fn := vw.fstart[oy], vw.fn[oy]
		rowAt := func(k int) []float32 { return ring[(k%ringN)*rowLen:][:rowLen] }
		switch fn {
		case 2:
			a, b := rowAt(f0), rowAt(f0+1)
			for i, v := range acc {
				x, y := a[i], b[i]
				acc[i] = min(max(v, min(x, y)), max(x, y))
			}
		case 3:
			a, b, c := rowAt(f0), rowAt(f0+1), rowAt(f0+2)
			for i, v := range acc {
				x, y, z := a[i], b[i], c[i]
				acc[i] = min(max(v, min(x, y, z)), max(x, y, z))
			}
		default:
			copy(lo, rowAt(f0))
			copy(hi, lo)
			for k := f0 + 1; k < f0+fn; k++ {
				for i, v := range rowAt(k) {
					lo[i], hi[i] = min(lo[i], v), max(hi[i], v)
				}
			}
			for i := range acc {
				acc[i] = min(max(acc[i], lo[i]), hi[i])
			}
		}
		out := dst.Pix[oy*dst.Stride:][:4*outW]
		for ox := range outW {
			r, g, b := acc[3*ox], acc[3*ox+1], acc[3*ox+2]
			if conv != nil {
				r, g, b = conv.apply(r, g, b)
			}
			out[4*ox], out[4*ox+1], out[4*ox+2], out[4*ox+3] = toSRGB8(enc, r), toSRGB8(enc, g), toSRGB8(enc, b), 0xff
		}
	}
}

// colorMatrix converts linear RGB between two sets of primaries.
type colorMatrix [3][3]float32

func (m *colorMatrix) apply(r, g, b float32) (float32, float32, float32) {
	return m[0][0]*r + m[0][1]*g + m[0][2]*b,
		m[1][0]*r + m[1][1]*g + m[1][2]*b,
		m[2][0]*r + m[2][1]*g + m[2][2]*b
}

// boxShrink returns a reader of the w×h image behind read reduced by f on
// both axes, each pixel the average of an f×f block in linear light, and
// the reduced size. Blocks at the right and bottom edges may be partial.
func boxShrink(read rowReader, w, h, f int) (rowReader, int, int) {
	scratch := sync.Pool{New: func() any { return new([]float32) }}
	shrunk := func(y, x0, x1 int, dst []float32) {
		sx0, sx1 := x0*f, min(x1*f, w)
		sy0, sy1 := y*f, min((y+1)*f, h)
		bp := scratch.Get().(*[]float32)
		defer scratch.Put(bp)
		if cap(*bp) < 3*(sx1-sx0) {
			*bp = make([]float32, 3*(sx1-sx0))
		}
		buf := (*bp)[:3*(sx1-sx0)]
		out := dst[:3*(x1-x0)]
		clear(out)
		for sy := sy0; sy < sy1; sy++ {
			read(sy, sx0, sx1, buf)
			for i := range x1 - x0 {
				block := buf[3*i*f : min(3*(i+1)*f, len(buf))]
				var r, g, b float32
				for j := 0; j < len(block); j += 3 {
					r += block[j]
					g += block[j+1]
					b += block[j+2]
				}
				out[3*i] += r
				out[3*i+1] += g
				out[3*i+2] += b
			}
		}
		for i := range x1 - x0 {
			n := float32((min((x0+i+1)*f, w) - (x0+i)*f) * (sy1 - sy0))
			out[3*i] /= n
			out[3*i+1] /= n
			out[3*i+2] /= n
		}
	}
	return shrunk, (w + f - 1) / f, (h + f - 1) / f
}

// filterRow filters one source row in (RGB triples from hw.lo on)
// horizontally into row, clipping each output pixel to the range, per
// channel, of the source pixels it covers.
func filterRow(row, in []float32, hw *axisWeights) {
	for ox := range len(row) / 3 {
		ws := hw.w[ox*hw.taps:][:hw.n[ox]]
		p := in[3*(hw.start[ox]-hw.lo):][:3*len(ws)]
		var r, g, b float32
		for k, w := range ws {
			q := p[3*k : 3*k+3 : 3*k+3]
			r += w * q[0]
			g += w * q[1]
			b += w * q[2]
		}
		f := in[3*(hw.fstart[ox]-hw.lo):][:3*hw.fn[ox]]
		lr, lg, lb := f[0], f[1], f[2]
		hr, hg, hb := lr, lg, lb
		for f = f[3:]; len(f) >= 3; f = f[3:] {
			lr, hr = min(lr, f[0]), max(hr, f[0])
			lg, hg = min(lg, f[1]), max(hg, f[1])
			lb, hb = min(lb, f[2]), max(hb, f[2])
		}
		o := row[3*ox : 3*ox+3 : 3*ox+3]
		o[0], o[1], o[2] = min(max(r, lr), hr), min(max(g, lg), hg), min(max(b, lb), hb)
	}
}
