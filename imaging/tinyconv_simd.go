//go:build goexperiment.simd && amd64

package imaging

import (
	"math"
	"simd/archsimd"
)

// The network's matrix products, depthwise filters and pooling in AVX2
// vectors, for CPUs that have them. The build tag is because simd/archsimd
// exists only under GOEXPERIMENT=simd; other builds, and CPUs without
// AVX2, run the loops of tinyconv.go. The results are the loops' bit for
// bit: each sum is the loops' terms in the loops' order, each product
// rounded to float32 and then added, Mul then Add, never MulAdd, whose
// fused product is not rounded and would change the last bits; and the
// pooling's maxima are Go's (see minGo).

func init() {
	if archsimd.X86.AVX2() {
		packGEMMVector = packGEMMAVX2
		gemmVector = gemmAVX2
		depthwiseVector = depthwiseAVX2
		maxPoolVector = maxPoolLeakyAVX2
	}
}

// packGEMMAVX2 packs w ([in][out]) and bias for gemmAVX2: panels of 16
// output channels, each the bias then in rows of weights, the last panel
// padded with zeros.
func packGEMMAVX2(w, bias []float32, in, out int) []vecRow {
	n := (out + 15) / 16
	v := make([]vecRow, n*(in+1))
	for jb := range n {
		panel := v[jb*(in+1):][:in+1]
		for jj := range 16 {
			j := jb*16 + jj
			if j >= out {
				break
			}
			panel[0][jj/8][jj%8] = bias[j]
			for i := range in {
				panel[1+i][jj/8][jj%8] = w[i*out+j]
			}
		}
	}
	return v
}

// gemmAVX2 is gemm on g.vec, a block of 3 pixels × 16 output channels at a
// time: 6 vectors of sums. The block is no bigger because the compiler
// computes all of an iteration's products before adding any, as with
// gemm's, and 4 pixels' sums and products would spill out of the 15
// vector registers it uses.
func gemmAVX2(dst, src []float32, pixels int, g *gemmWeights) {
	k, n := g.in, g.out
	for p := 0; p < pixels; p += 3 {
		// A last, short block repeats its last pixel; only real pixels
		// are stored.
		s0 := src[p*k:][:k]
		s1 := src[min(p+1, pixels-1)*k:][:k]
		s2 := src[min(p+2, pixels-1)*k:][:k]
		for j := 0; j < n; j += 16 {
			panel := g.vec[j/16*(k+1):][:k+1]
			c00 := archsimd.LoadFloat32x8(&panel[0][0])
			c01 := archsimd.LoadFloat32x8(&panel[0][1])
			c10, c11 := c00, c01
			c20, c21 := c00, c01
			rows := panel[1:]
			// Sliced to the panel's length, so that the loop checks no
			// bounds.
			s0, s1, s2 := s0[:len(rows)], s1[:len(rows)], s2[:len(rows)]
			for i := range rows {
				w := &rows[i]
				w0, w1 := archsimd.LoadFloat32x8(&w[0]), archsimd.LoadFloat32x8(&w[1])
				x := archsimd.BroadcastFloat32x8(s0[i])
				c00 = c00.Add(x.Mul(w0))
				c01 = c01.Add(x.Mul(w1))
				x = archsimd.BroadcastFloat32x8(s1[i])
				c10 = c10.Add(x.Mul(w0))
				c11 = c11.Add(x.Mul(w1))
				x = archsimd.BroadcastFloat32x8(s2[i])
				c20 = c20.Add(x.Mul(w0))
				c21 = c21.Add(x.Mul(w1))
			}
			if p+3 <= pixels && j+16 <= n {
				c00.Store((*[8]float32)(dst[p*n+j:]))
				c01.Store((*[8]float32)(dst[p*n+j+8:]))
				c10.Store((*[8]float32)(dst[(p+1)*n+j:]))
				c11.Store((*[8]float32)(dst[(p+1)*n+j+8:]))
				c20.Store((*[8]float32)(dst[(p+2)*n+j:]))
				c21.Store((*[8]float32)(dst[(p+2)*n+j+8:]))
				continue
			}
			var c [3]vecRow
			c00.Store(&c[0][0])
			c01.Store(&c[0][1])
			c10.Store(&c[1][0])
			c11.Store(&c[1][1])
			c20.Store(&c[2][0])
			c21.Store(&c[2][1])
			for r := range min(3, pixels-p) {
				copy(dst[(p+r)*n+j:][:min(8, n-j)], c[r][0][:])
				if n-j > 8 {
					copy(dst[(p+r)*n+j+8:][:min(8, n-j-8)], c[r][1][:])
				}
			}
		}
	}
}

// depthwiseAVX2 is depthwiseRows for x.c a multiple of 8. It adds the
// filter's rows to each output row in the same order, each a pass along
// the row 8 channels at a time, with the three taps of a filter row held
// in registers and each source pixel loaded once a pass.
func depthwiseAVX2(dst []float32, x tinyMap, f []float32, y0, rows int) {
	w, c := x.w, x.c
	for r := range rows {
		d := dst[r*w*c:][:w*c]
		first := true
		for ky := range 3 {
			sy := y0 + r + ky - 1
			if sy < 0 || sy >= x.h {
				continue
			}
			src := x.v[sy*w*c:][:w*c]
			for ch := 0; ch < c; ch += 8 {
				taps3AVX2(d[ch:], src[ch:], f[ky*3*c+ch:], w, c, first)
			}
			first = false
		}
	}
}

// taps3AVX2 adds a row of the filter to 8 channels of an output row: to
// each pixel's d, the left, middle and right source pixels' s times f's
// three taps, pixels c values apart, taps too. first says d holds nothing
// yet: the sums start from zero, as depthwiseRows's do. Beyond the left
// and right edges the source is zeros, whose products are added all the
// same.
//
// The slices are cut by [i : i+8] rather than [i:], which the compiler
// would mask against running past the end, at a cost per load.
func taps3AVX2(d, s, f []float32, w, c int, first bool) {
	fl := archsimd.LoadFloat32x8((*[8]float32)(f[:8]))
	fm := archsimd.LoadFloat32x8((*[8]float32)(f[c : c+8]))
	fr := archsimd.LoadFloat32x8((*[8]float32)(f[2*c : 2*c+8]))
	var zero archsimd.Float32x8
	left, mid := zero, archsimd.LoadFloat32x8((*[8]float32)(s[:8]))
	end := w * c
	for i := 0; i < end; i += c {
		right := zero
		if i+c < end {
			right = archsimd.LoadFloat32x8((*[8]float32)(s[i+c : i+c+8]))
		}
		sum := zero
		if !first {
			sum = archsimd.LoadFloat32x8((*[8]float32)(d[i : i+8]))
		}
		sum = sum.Add(left.Mul(fl)).Add(mid.Mul(fm)).Add(right.Mul(fr))
		sum.Store((*[8]float32)(d[i : i+8]))
		left, mid = mid, right
	}
}

// maxPoolLeakyAVX2 is maxPoolLeaky for x.c a multiple of 8, 8 channels at
// a time.
func maxPoolLeakyAVX2(dst []float32, x tinyMap, stride int) {
	ow, oh := (x.w+stride-1)/stride, (x.h+stride-1)/stride
	c := x.c
	tenth := archsimd.BroadcastFloat32x8(0.1)
	negZero := archsimd.BroadcastFloat32x8(float32(math.Copysign(0, -1)))
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
			for i := 0; i < c; i += 8 {
				// max(a, b, e, f), negated.
				v := minGo(minGo(minGo(
					neg(archsimd.LoadFloat32x8((*[8]float32)(a[i:i+8]))),
					neg(archsimd.LoadFloat32x8((*[8]float32)(b[i:i+8])))),
					neg(archsimd.LoadFloat32x8((*[8]float32)(e[i:i+8])))),
					neg(archsimd.LoadFloat32x8((*[8]float32)(f[i:i+8]))))
				v = neg(v)
				// leaky(v): max(v − m, 0) + m, m = 0.1v.
				m := v.Mul(tenth)
				v = neg(minGo(neg(v.Sub(m)), negZero)).Add(m)
				v.Store((*[8]float32)(o[i : i+8]))
			}
		}
	}
}

// Go's max of float32s is neither VMAXPS nor an IEEE maximum: it is NaN
// when either argument is, +0 over −0. On amd64 the compiler computes
// max(x, y) as −min(−x, −y), min(x, y) as t | MINSS(t, x) with
// t = MINSS(x, y), the bits or-ed, and max(a, b, c) as max(max(a, b), c).
// neg, minss and minGo are those steps in vectors, so that the pooling
// here gives maxPoolLeaky's bits for every input, zeros and NaNs
// included. minss is not Float32x8.Min: the compiler takes VMINPS for
// commutative and may swap its operands, which changes the result for
// zeros and NaNs.

// neg is −v: v with its sign bit flipped, as the compiler negates.
func neg(v archsimd.Float32x8) archsimd.Float32x8 {
	return v.AsUint32x8().Xor(archsimd.BroadcastUint32x8(1 << 31)).AsFloat32x8()
}

// minss is MINSS's minimum: x if x < y, else y, NaNs and ties included.
func minss(x, y archsimd.Float32x8) archsimd.Float32x8 {
	return x.Merge(y, x.Less(y))
}

// minGo is Go's min(x, y), as computed on amd64.
func minGo(x, y archsimd.Float32x8) archsimd.Float32x8 {
	t := minss(x, y)
	return minss(t, x).AsUint32x8().Or(t.AsUint32x8()).AsFloat32x8()
}
