package dctjpeg

import "math"

// The inverse DCTs below produce an n×n block (n = 8, 4, 2 or 1) directly
// from the n×n lowest-frequency coefficients of an 8×8 block. Their input is
// in natural (row-major) order, already multiplied by the weights from
// dequantWeights, so that each pass is a plain sum of cosines:
//
//	f(x, y) = Σ_u Σ_v G(u, v) cos((2x+1)uπ/2n) cos((2y+1)vπ/2n)
//
// The weights fold in the quantizer and the DCT normalisation C(u)C(v)/4.
// A reduced block is then what libjpeg's scaled inverse DCT gives: the
// full-size block with the frequencies the smaller block cannot represent
// dropped, sampled at the centre of each group of 8/n samples. Unlike a box
// average it keeps the frequencies below the new Nyquist limit at full
// strength and folds nothing back as aliasing.

// dequantWeights returns, for each zigzag index, the factor that turns a
// quantized coefficient into the input of idct(n). The full-size idct8 is
// an integer transform that takes the dequantized coefficients themselves.
func dequantWeights(q *[64]uint16, n int) (w [64]float32) {
	for k := range 64 {
		p := int(unzig[k])
		u, v := p%8, p/8
		switch {
		case n == 8:
			w[k] = float32(q[k])
		case u < n && v < n:
			w[k] = float32(float64(q[k]) * norm(u) * norm(v))
		}
	}
	return w
}

// flatDC is the sample value, before the level shift, of an n×n block
// with only DC energy whose weighted DC coefficient is dc.
func flatDC(dc float32, n int) float32 {
	if n == 8 {
		// idct8's input is unnormalised: its DC gain is 1/8, which
		// float32 applies exactly, so the flat block matches idct8's.
		return dc * 0.125
	}
	return dc
}

func norm(u int) float64 {
	if u == 0 {
		return 0.5 / math.Sqrt2
	}
	return 0.5
}

var cos8 [8][8]float32 // cos8[x][u] = cos((2x+1)uπ/16)

func init() {
	for x := range 8 {
		for u := range 8 {
			cos8[x][u] = float32(math.Cos(float64((2*x+1)*u) * math.Pi / 16))
		}
	}
}

// clampRound converts an IDCT output to a sample, undoing the level shift.
func clampRound(f float32) byte {
	f += 128.5
	if f <= 0 {
		return 0
	}
	if f >= 255 {
		return 255
	}
	return byte(f)
}

// fill writes a flat n×n block, the result of a block with only DC energy.
func fill(dst []byte, stride, n int, dc float32) {
	c := clampRound(dc)
	for y := range n {
		row := dst[y*stride : y*stride+n]
		for x := range row {
			row[x] = c
		}
	}
}

// idct8 writes the 8×8 block for 64 dequantized coefficients (the weights
// from dequantWeights(q, 8) are the quantizer alone). It is image/jpeg's
// integer inverse DCT, Loeffler, Ligtenberg and Moschytz's factorisation
// with 11 multiplications per pass, ported with its exact fixed-point
// rounding so that a full-scale decode gives the same samples as
// image/jpeg: a YCCK file's colour conversion multiplies any difference in
// Cb or Cr by up to 2.8.
//
// Adapted from Go's src/image/jpeg/dct.go, Copyright 2025 The Go Authors,
// under the BSD-style licence at https://go.dev/LICENSE.
func idct8(blk *[64]float32, dst []byte, stride int) {
	var b [64]int32
	for i, v := range blk {
		b[i] = int32(v)
	}
	// Rows: inputs are integers, outputs Q9.20.
	for i := range 8 {
		x := b[8*i : 8*i+8 : 8*i+8]
		x0, x7, x2, x5, x1, x6, x3, x4 := x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
		if x7|x2|x5|x1|x6|x3|x4 == 0 {
			// The same as the butterflies below give with zero AC.
			v := x0 << 17
			x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7] = v, v, v, v, v, v, v, v
			continue
		}
		x0 <<= 17
		x1 <<= 17
		x0, x1 = x0+x1, x0-x1
		x2, x3 = dctBox(x2, x3, fix(sqrt2invCos6, 18), -fix(sqrt2invSin6, 18))
		x1, x2 = x1+x2, x1-x2
		x0, x3 = x0+x3, x0-x3
		x4 <<= 7
		x7 <<= 7
		x7, x4 = x7+x4, x7-x4
		x6 = x6 * fix(sqrt2inv, 8)
		x5 = x5 * fix(sqrt2inv, 8)
		x7, x5 = x7+x5, x7-x5
		x4, x6 = x4+x6, x4-x6
		x4, x7 = dctBox(x4>>2, x7>>2, fix(cos3, 12), -fix(sin3, 12))
		x5, x6 = dctBox(x5>>2, x6>>2, fix(cos1, 12), -fix(sin1, 12))
		x[0], x[7] = x0+x7, x0-x7
		x[1], x[6] = x1+x6, x1-x6
		x[2], x[5] = x2+x5, x2-x5
		x[3], x[4] = x3+x4, x3-x4
	}
	// Columns: outputs are samples less the level shift.
	for i := range 8 {
		x0, x7, x2, x5 := b[i], b[8+i], b[16+i], b[24+i]
		x1, x6, x3, x4 := b[32+i], b[40+i], b[48+i], b[56+i]
		// Half a unit added to DC rounds every output.
		x0 += 1 << 19
		x0, x1 = (x0+x1)>>2, (x0-x1)>>2
		x2, x3 = dctBox(x2>>13, x3>>13, fix(sqrt2invCos6, 12), -fix(sqrt2invSin6, 12))
		x1, x2 = x1+x2, x1-x2
		x0, x3 = x0+x3, x0-x3
		x7, x4 = x7+x4, x7-x4
		x5 = (x5 >> 13) * fix(sqrt2inv, 14)
		x6 = (x6 >> 13) * fix(sqrt2inv, 14)
		x7, x5 = x7+x5, x7-x5
		x4, x6 = x4+x6, x4-x6
		x4, x7 = dctBox(x4>>14, x7>>14, fix(cos3, 12), -fix(sin3, 12))
		x5, x6 = dctBox(x5>>14, x6>>14, fix(cos1, 12), -fix(sin1, 12))
		d := dst[i:]
		d[0] = clampShifted((x0 + x7) >> 18)
		d[stride] = clampShifted((x1 + x6) >> 18)
		d[2*stride] = clampShifted((x2 + x5) >> 18)
		d[3*stride] = clampShifted((x3 + x4) >> 18)
		d[4*stride] = clampShifted((x3 - x4) >> 18)
		d[5*stride] = clampShifted((x2 - x5) >> 18)
		d[6*stride] = clampShifted((x1 - x6) >> 18)
		d[7*stride] = clampShifted((x0 - x7) >> 18)
	}
}

// clampShifted undoes the level shift of an integer IDCT output.
func clampShifted(v int32) byte {
	v += 128
	if uint32(v) > 255 {
		return byte(^v >> 31) // 0 below the range, 255 above
	}
	return byte(v)
}

// dctBox is a rotation and scaling in 3 multiplications: given x0, x1,
// k·cos θ and k·sin θ it returns x0·k·cos θ + x1·k·sin θ and
// x1·k·cos θ − x0·k·sin θ.
func dctBox(x0, x1, kcos, ksin int32) (y0, y1 int32) {
	ksum := kcos * (x0 + x1)
	return ksum + (ksin-kcos)*x1, ksum - (kcos+ksin)*x0
}

// Constants of the integer IDCT in 60-bit fixed point; fix rounds one to
// the given number of fraction bits (a constant folded at compile time).
const (
	cos1         = 1130768441178740757 // cos π/16
	sin1         = 224923827593068887  // sin π/16
	cos3         = 958619196450722178  // cos 3π/16
	sin3         = 640528868967736374  // sin 3π/16
	sqrt2inv     = 815238614083298888  // 1/√2
	sqrt2invCos6 = 311978311033955632  // cos(6π/16)/√2
	sqrt2invSin6 = 753182269664427492  // sin(6π/16)/√2
)

func fix(x uint64, bits int) int32 {
	return int32((x + (1 << (59 - bits))) >> (60 - bits))
}

// idct4 writes the 4×4 block for 16 weighted coefficients, each 1-D pass
// split into its even part (u = 0, 2) and odd part (u = 1, 3) as idct8 is.
func idct4(blk *[64]float32, dst []byte, stride int) {
	const (
		c1 = 0.9238795325112867 // cos(π/8)
		c2 = 0.7071067811865476 // cos(π/4)
		c3 = 0.3826834323650898 // cos(3π/8)
	)
	var tmp [16]float32
	for v := range 4 {
		r := blk[v*4 : v*4+4 : v*4+4]
		t := tmp[v*4 : v*4+4 : v*4+4]
		a, b := r[0]+c2*r[2], r[0]-c2*r[2]
		o0, o1 := c1*r[1]+c3*r[3], c3*r[1]-c1*r[3]
		t[0], t[3] = a+o0, a-o0
		t[1], t[2] = b+o1, b-o1
	}
	for x := range 4 {
		r0, r1, r2, r3 := tmp[x], tmp[4+x], tmp[8+x], tmp[12+x]
		a, b := r0+c2*r2, r0-c2*r2
		o0, o1 := c1*r1+c3*r3, c3*r1-c1*r3
		d := dst[x:]
		d[0] = clampRound(a + o0)
		d[stride] = clampRound(b + o1)
		d[2*stride] = clampRound(b - o1)
		d[3*stride] = clampRound(a - o0)
	}
}

// idct2 writes the 2×2 block for 4 weighted coefficients. The 2-point
// cosines are ±cos(π/4), applied here.
func idct2(blk *[64]float32, dst []byte, stride int) {
	const c = 0.7071067811865476
	a, b, d, e := blk[0], c*blk[1], c*blk[2], 0.5*blk[3]
	dst[0] = clampRound(a + b + d + e)
	dst[1] = clampRound(a - b + d - e)
	dst[stride] = clampRound(a + b - d - e)
	dst[stride+1] = clampRound(a - b - d + e)
}

// unzig maps a zigzag index to its natural (row-major) position in an 8×8
// block (T.81 Figure A.6).
var unzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}
