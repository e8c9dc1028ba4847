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
// quantized coefficient into the input of idct(n).
func dequantWeights(q *[64]uint16, n int) (w [64]float32) {
	for k := range 64 {
		p := int(unzig[k])
		u, v := p%8, p/8
		if u >= n || v >= n {
			continue
		}
		w[k] = float32(float64(q[k]) * norm(u) * norm(v))
	}
	return w
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

// idct8 writes the 8×8 block for 64 weighted coefficients. It splits each
// 1-D transform into the even part (u = 0, 2, 4, 6), which is symmetric
// about the block centre, and the odd part, which is antisymmetric.
func idct8(blk *[64]float32, dst []byte, stride int) {
	const (
		c2 = 0.9238795325112867 // cos(π/8)
		c4 = 0.7071067811865476 // cos(π/4)
		c6 = 0.3826834323650898 // cos(3π/8)
	)
	var tmp [64]float32
	// Horizontal pass over each row of frequencies.
	for v := range 8 {
		r := blk[v*8 : v*8+8 : v*8+8]
		t := tmp[v*8 : v*8+8 : v*8+8]
		if r[1] == 0 && r[2] == 0 && r[3] == 0 && r[4] == 0 && r[5] == 0 && r[6] == 0 && r[7] == 0 {
			for x := range t {
				t[x] = r[0]
			}
			continue
		}
		a, b := r[0]+c4*r[4], r[0]-c4*r[4]
		p, q := c2*r[2]+c6*r[6], c6*r[2]-c2*r[6]
		e0, e1, e2, e3 := a+p, b+q, b-q, a-p
		o0 := cos8[0][1]*r[1] + cos8[0][3]*r[3] + cos8[0][5]*r[5] + cos8[0][7]*r[7]
		o1 := cos8[1][1]*r[1] + cos8[1][3]*r[3] + cos8[1][5]*r[5] + cos8[1][7]*r[7]
		o2 := cos8[2][1]*r[1] + cos8[2][3]*r[3] + cos8[2][5]*r[5] + cos8[2][7]*r[7]
		o3 := cos8[3][1]*r[1] + cos8[3][3]*r[3] + cos8[3][5]*r[5] + cos8[3][7]*r[7]
		t[0], t[7] = e0+o0, e0-o0
		t[1], t[6] = e1+o1, e1-o1
		t[2], t[5] = e2+o2, e2-o2
		t[3], t[4] = e3+o3, e3-o3
	}
	// Vertical pass over each column.
	for x := range 8 {
		r0, r1, r2, r3 := tmp[x], tmp[8+x], tmp[16+x], tmp[24+x]
		r4, r5, r6, r7 := tmp[32+x], tmp[40+x], tmp[48+x], tmp[56+x]
		a, b := r0+c4*r4, r0-c4*r4
		p, q := c2*r2+c6*r6, c6*r2-c2*r6
		e0, e1, e2, e3 := a+p, b+q, b-q, a-p
		o0 := cos8[0][1]*r1 + cos8[0][3]*r3 + cos8[0][5]*r5 + cos8[0][7]*r7
		o1 := cos8[1][1]*r1 + cos8[1][3]*r3 + cos8[1][5]*r5 + cos8[1][7]*r7
		o2 := cos8[2][1]*r1 + cos8[2][3]*r3 + cos8[2][5]*r5 + cos8[2][7]*r7
		o3 := cos8[3][1]*r1 + cos8[3][3]*r3 + cos8[3][5]*r5 + cos8[3][7]*r7
		d := dst[x:]
		d[0] = clampRound(e0 + o0)
		d[stride] = clampRound(e1 + o1)
		d[2*stride] = clampRound(e2 + o2)
		d[3*stride] = clampRound(e3 + o3)
		d[4*stride] = clampRound(e3 - o3)
		d[5*stride] = clampRound(e2 - o2)
		d[6*stride] = clampRound(e1 - o1)
		d[7*stride] = clampRound(e0 - o0)
	}
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
