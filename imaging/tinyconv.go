package imaging

// The tiny face network's layers, on feature maps laid out height × width ×
// channels. Each but the last is a convolution, leaky and a 2×2 max-pooling;
// tinyLayer.apply runs one a band of rows at a time, so that the
// convolution's output, four times the size of the pooled map, stays in
// the cache. The kernels add each output's terms in the order TensorFlow.js
// does, so the results are those of the plain loops, bit for bit. Each
// product is converted to float32 before it is added: Go may otherwise fuse
// a multiply and an add into one instruction (it does with GOAMD64=v3),
// which rounds once and changes the last bits.

// leaky is face-api.js's leaky ReLU, with slope 0.1 under zero, computed as
// it does: relu(x − 0.1x) + 0.1x.
func leaky(x float32) float32 {
	m := float32(x * 0.1)
	return max(x-m, 0) + m
}

// apply runs the layer on x: its convolution, then leaky and max-pooling
// at stride. It pools first, so that leaky takes only the maxima, a
// quarter of the values at stride 2: leaky is nondecreasing (checked over
// every float32, computed as it is), so leaky of a window's maximum is
// exactly the maximum of its leaky values.
func (l *tinyLayer) apply(x tinyMap, stride int) tinyMap {
	// The convolution's output size, and gemm's inner dimension: the
	// values of a patch, or of a pixel of the depthwise filter's output.
	w, h, k := x.w, x.h, x.c
	if l.full != nil {
		w, h, k = x.w-2, x.h-2, 9*x.c
	}
	// A band of two rows pools into one at stride 2. At stride 1 the
	// windows straddle bands, so the whole map, a small one, is the band.
	band := 2
	if stride == 1 {
		band = h
	}
	in := make([]float32, band*w*k)
	conv := tinyMap{w: w, c: l.out, v: make([]float32, band*w*l.out)}
	out := tinyMap{w: (w + stride - 1) / stride, h: (h + stride - 1) / stride, c: l.out}
	out.v = make([]float32, out.w*out.h*out.c)
	for y := 0; y < h; y += band {
		conv.h = min(band, h-y)
		if l.full != nil {
			im2col3x3(in, x, y, conv.h)
		} else {
			depthwiseRows(in, x, l.depthwise, y, conv.h)
		}
		gemm(conv.v, in, conv.h*w, &l.gemm)
		maxPoolLeaky(out.v[y/stride*out.w*out.c:], conv, stride)
	}
	return out
}

// The full convolution and the pointwise ones are matrix products, pixels ×
// in by in × out, nearly all of the network's arithmetic; gemm computes
// them a block of gemmRows pixels × gemmCols output channels at a time,
// the block's sums held in local variables while the in values stream past.
// Each input value read then serves gemmCols sums and each weight gemmRows,
// where a plain loop loads and stores a sum for every product.
//
// The block is small because of the Go compiler: it computes all of a loop
// iteration's products before adding any, so each sum takes two of the 15
// floating-point registers, and bigger blocks (4×4, 2×4, 1×8) spill to the
// stack and run slower than 3×2.
const (
	gemmRows = 3
	gemmCols = 2
)

// gemmWeights is a layer's weight matrix, [in][out], repacked once when the
// network is loaded so that gemm reads it in order: the output channels are
// cut into panels of gemmCols, each of in rows, the last panel padded with
// zeros (as is the bias) if gemmCols does not divide out.
type gemmWeights struct {
	in, out int
	panels  [][][gemmCols]float32
	bias    [][gemmCols]float32
	// vec is the same matrix packed for gemmVector, when it is set: panels
	// of 16 output channels, each the bias then in rows of weights.
	vec []vecRow
}

// vecRow is a row of a panel of gemmVector's weights: 16 output channels,
// two vectors of 8.
type vecRow [2][8]float32

// A vector kernel for gemm, and its packing of the weights, which
// tinyconv_simd.go sets when the build has the experimental simd package
// and the CPU has AVX2. It gives the results of gemm's loops, bit for bit.
var (
	packGEMMVector func(w, bias []float32, in, out int) []vecRow
	gemmVector     func(dst, src []float32, pixels int, g *gemmWeights)
)

func packGEMM(w, bias []float32, in, out int) gemmWeights {
	g := gemmWeights{in: in, out: out}
	if packGEMMVector != nil {
		g.vec = packGEMMVector(w, bias, in, out)
	}
	n := (out + gemmCols - 1) / gemmCols
	g.panels = make([][][gemmCols]float32, n)
	g.bias = make([][gemmCols]float32, n)
	for jb := range n {
		panel := make([][gemmCols]float32, in)
		for jj := range gemmCols {
			j := jb*gemmCols + jj
			if j >= out {
				break
			}
			for i := range in {
				panel[i][jj] = w[i*out+j]
			}
			g.bias[jb][jj] = bias[j]
		}
		g.panels[jb] = panel
	}
	return g
}

// gemm sets dst (pixels × g.out) to the bias plus src (pixels × g.in) times
// the weights. Each sum is the bias first, then the products in order of
// input channel, as in TensorFlow.js.
func gemm(dst, src []float32, pixels int, g *gemmWeights) {
	if g.vec != nil {
		gemmVector(dst, src, pixels, g)
		return
	}
	k, n := g.in, g.out
	for p := 0; p < pixels; p += gemmRows {
		// A last, short block repeats its last pixel; only real pixels
		// are stored.
		s0 := src[p*k:][:k]
		s1 := src[min(p+1, pixels-1)*k:][:k]
		s2 := src[min(p+2, pixels-1)*k:][:k]
		for jb, panel := range g.panels {
			b := &g.bias[jb]
			c00, c01 := b[0], b[1]
			c10, c11 := c00, c01
			c20, c21 := c00, c01
			// Sliced to the panel's length, so that the loop checks no
			// bounds.
			s0, s1, s2 := s0[:len(panel)], s1[:len(panel)], s2[:len(panel)]
			for i := range panel {
				w := &panel[i]
				x0, x1, x2 := s0[i], s1[i], s2[i]
				c00 += float32(x0 * w[0])
				c10 += float32(x1 * w[0])
				c20 += float32(x2 * w[0])
				c01 += float32(x0 * w[1])
				c11 += float32(x1 * w[1])
				c21 += float32(x2 * w[1])
			}
			j := jb * gemmCols
			if p+gemmRows <= pixels && j+gemmCols <= n {
				d0 := (*[gemmCols]float32)(dst[p*n+j:])
				d1 := (*[gemmCols]float32)(dst[(p+1)*n+j:])
				d2 := (*[gemmCols]float32)(dst[(p+2)*n+j:])
				d0[0], d0[1] = c00, c01
				d1[0], d1[1] = c10, c11
				d2[0], d2[1] = c20, c21
				continue
			}
			c := [gemmRows][gemmCols]float32{{c00, c01}, {c10, c11}, {c20, c21}}
			for r := range min(gemmRows, pixels-p) {
				copy(dst[(p+r)*n+j:][:min(gemmCols, n-j)], c[r][:])
			}
		}
	}
}

// im2col3x3 sets dst to the 3×3 patches of rows y0 to y0+rows of a
// convolution over x without padding, for gemm: each output pixel's in the
// filter's order, [ky][kx][channel], which is three runs of three pixels'
// channels.
func im2col3x3(dst []float32, x tinyMap, y0, rows int) {
	w := x.w - 2
	run := 3 * x.c
	for r := range rows {
		for xx := range w {
			patch := dst[(r*w+xx)*3*run:][:3*run]
			for ky := range 3 {
				copy(patch[ky*run:][:run], x.v[((y0+r+ky)*x.w+xx)*x.c:][:run])
			}
		}
	}
}

// depthwiseRows sets dst to rows y0 to y0+rows of x filtered with f, each
// channel with its own 3×3 filter ([ky][kx][channel]), the map padded by a
// pixel of zeros on each side. It adds a row of taps to an output row at a
// time, three taps a pass; at the left and right edges the missing
// neighbour is a pixel of zeros, whose products add exactly nothing, so
// every sum is that of the taps inside, in the same order.
func depthwiseRows(dst []float32, x tinyMap, f []float32, y0, rows int) {
	if depthwiseVector != nil && x.c%8 == 0 {
		depthwiseVector(dst, x, f, y0, rows)
		return
	}
	w, c := x.w, x.c
	zero := make([]float32, c)
	for r := range rows {
		d := dst[r*w*c:][:w*c]
		clear(d)
		for ky := range 3 {
			sy := y0 + r + ky - 1
			if sy < 0 || sy >= x.h {
				continue
			}
			src := x.v[sy*w*c:][:w*c]
			fl, fm, fr := f[ky*3*c:][:c], f[(ky*3+1)*c:][:c], f[(ky*3+2)*c:][:c]
			for xx := range w {
				left, right := zero, zero
				if xx > 0 {
					left = src[(xx-1)*c:][:c]
				}
				if xx+1 < w {
					right = src[(xx+1)*c:][:c]
				}
				taps3(d[xx*c:][:c], left, src[xx*c:][:c], right, fl, fm, fr)
			}
		}
	}
}

// depthwiseVector, set along with gemmVector, is depthwiseRows in vectors
// for channels in multiples of 8, with the same results bit for bit.
var depthwiseVector func(dst []float32, x tinyMap, f []float32, y0, rows int)

// taps3 adds l·fl + m·fm + r·fr to d, channel by channel.
func taps3(d, l, m, r, fl, fm, fr []float32) {
	l, m, r = l[:len(d)], m[:len(d)], r[:len(d)]
	fl, fm, fr = fl[:len(d)], fm[:len(d)], fr[:len(d)]
	for i, v := range d {
		d[i] = v + float32(l[i]*fl[i]) + float32(m[i]*fm[i]) + float32(r[i]*fr[i])
	}
}

// maxPoolLeaky sets dst to the maxima of x's 2×2 windows at the given
// stride, through leaky. It pads as TensorFlow's 'same' padding does:
// windows that run over the right or bottom edge take what lies inside,
// here by reading the edge pixel twice.
func maxPoolLeaky(dst []float32, x tinyMap, stride int) {
	if maxPoolVector != nil && x.c%8 == 0 {
		maxPoolVector(dst, x, stride)
		return
	}
	ow, oh := (x.w+stride-1)/stride, (x.h+stride-1)/stride
	c := x.c
	for y := range oh {
		y0 := y * stride
		y1 := min(y0+1, x.h-1)
		for xx := range ow {
			x0 := xx * stride
			x1 := min(x0+1, x.w-1)
			o := dst[(y*ow+xx)*c:][:c]
			a := x.v[(y0*x.w+x0)*c:][:c]
			b := x.v[(y0*x.w+x1)*c:][:c]
			e := x.v[(y1*x.w+x0)*c:][:c]
			f := x.v[(y1*x.w+x1)*c:][:c]
			for i := range o {
				o[i] = leaky(max(a[i], b[i], e[i], f[i]))
			}
		}
	}
}

// maxPoolVector, set along with gemmVector, is maxPoolLeaky in vectors for
// channels in multiples of 8, with the same results bit for bit.
var maxPoolVector func(dst []float32, x tinyMap, stride int)
