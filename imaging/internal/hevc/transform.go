package hevc

// dct32 is the 32-point DCT matrix of 8.6.4.2, transMatrix[k][n]; the
// N-point matrices are its rows k*32/N, first N columns.
var dct32 [32][32]int32

// dst4 is the 4-point DST matrix for intra 4x4 luma blocks.
var dst4 = [4][4]int32{
	{29, 55, 74, 84},
	{74, 74, 0, -74},
	{84, -29, -74, 55},
	{55, -84, 74, -29},
}

func init() {
	// cosine values 64*sqrt(2)*cos(m*pi/64) as H.265 rounds them, m=0..32.
	cos := [33]int32{64, 90, 90, 90, 89, 88, 87, 85, 83, 82, 80, 78, 75, 73, 70, 67,
		64, 61, 57, 54, 50, 46, 43, 38, 36, 31, 25, 22, 18, 13, 9, 4, 0}
	for k := range 32 {
		for n := range 32 {
			if k == 0 {
				dct32[k][n] = 64
				continue
			}
			m := (2*n + 1) * k % 128
			sign := int32(1)
			if m > 64 {
				m = 128 - m
			}
			if m > 32 {
				m = 64 - m
				sign = -1
			}
			dct32[k][n] = sign * cos[m]
		}
	}
}

var levelScale = [6]int32{40, 45, 51, 57, 64, 72}

func clip16(v int64) int32 {
	if v < -32768 {
		return -32768
	}
	if v > 32767 {
		return 32767
	}
	return int32(v)
}

// reconstruct scales the coefficients in d.coeff (8.6.2 to 8.6.4), adds the
// residual to the predicted block and clears the coefficients. maxX, maxY
// bound the non-zero coefficients.
func (d *picDecoder) reconstruct(cIdx, x0, y0, log2Size int, tskip bool, maxX, maxY int) {
	s := d.s
	size := 1 << log2Size
	n := size * size
	coeff := d.coeff[:n]
	res := d.res[:n]
	bitDepth := s.bitDepthY
	if cIdx > 0 {
		bitDepth = s.bitDepthC
	}
	if d.cuBypass {
		copy(res, coeff)
	} else {
		qp := d.qpY + d.qpBdY
		if cIdx > 0 {
			qp = d.chromaQP(cIdx)
		}
		bdShift := uint(bitDepth + log2Size - 5)
		round := int64(1) << (bdShift - 1)
		scale := int64(levelScale[qp%6]) << (qp / 6)
		var m []uint8
		if s.scalingListEnabled && d.p.scaling != nil {
			m = d.p.scaling[log2Size-2][cIdx]
		}
		for y := 0; y <= maxY; y++ {
			row := coeff[y<<log2Size:]
			for x := 0; x <= maxX; x++ {
				if v := row[x]; v != 0 {
					f := int64(16)
					if m != nil {
						f = int64(m[y<<log2Size+x])
					}
					row[x] = clip16((int64(v)*f*scale + round) >> bdShift)
				}
			}
		}
		bdShift2 := uint(20 - bitDepth)
		round2 := int32(1) << (bdShift2 - 1)
		switch {
		case tskip:
			for i, v := range coeff {
				res[i] = (v<<7 + round2) >> bdShift2
			}
		case cIdx == 0 && log2Size == 2:
			d.inverse(coeff, res, 2, true, maxX, maxY, bdShift2)
		case maxX == 0 && maxY == 0:
			// Only the DC coefficient: both stages give constants.
			g := min(max((64*coeff[0]+64)>>7, -32768), 32767)
			v := (64*g + round2) >> bdShift2
			for i := range res {
				res[i] = v
			}
		default:
			d.inverse(coeff, res, log2Size, false, maxX, maxY, bdShift2)
		}
	}
	pl, st := d.planes[cIdx], d.stride[cIdx]
	maxV := int32(1)<<bitDepth - 1
	for y := range size {
		row := pl[(y0+y)*st+x0 : (y0+y)*st+x0+size]
		r := res[y*size : y*size+size]
		for x := range row {
			v := int32(row[x]) + r[x]
			if v < 0 {
				v = 0
			} else if v > maxV {
				v = maxV
			}
			row[x] = uint16(v)
		}
	}
	clear(coeff)
}

// inverse runs the two-stage inverse transform of 8.6.4.2, columns first,
// then rows; dst selects the 4x4 DST instead of the DCT. maxX and maxY
// bound the non-zero coefficients.
func (d *picDecoder) inverse(coeff, res []int32, log2Size int, dst bool, maxX, maxY int, bdShift uint) {
	n := 1 << log2Size
	tmp := d.tmp[:n*n]
	var in, out [32]int32
	for x := 0; x <= maxX; x++ {
		clear(in[:n])
		for k := 0; k <= maxY; k++ {
			in[k] = coeff[k<<log2Size+x]
		}
		transform1D(&in, &out, n, maxY, dst)
		for y := range n {
			v := (out[y] + 64) >> 7
			tmp[y<<log2Size+x] = min(max(v, -32768), 32767)
		}
	}
	round := int32(1) << (bdShift - 1)
	clear(in[:n])
	for y := range n {
		copy(in[:n], tmp[y<<log2Size:y<<log2Size+maxX+1])
		transform1D(&in, &out, n, maxX, dst)
		row := res[y<<log2Size : y<<log2Size+n]
		for x := range row {
			row[x] = (out[x] + round) >> bdShift
		}
	}
}

// transform1D computes out[i] = sum over k of M[k][i]*in[k] for the n-point
// inverse DCT (or the 4-point DST), where only in[0..last] may be non-zero
// and the rest of in[:n] is zero. The DCT is split into even and odd
// parts, from the 4-point core up, as the matrix's symmetries allow. Sums
// fit in int32: inputs are 16-bit and the matrix entries at most 90.
func transform1D(in, out *[32]int32, n, last int, dst bool) {
	if dst {
		for i := range 4 {
			out[i] = dst4[0][i]*in[0] + dst4[1][i]*in[1] + dst4[2][i]*in[2] + dst4[3][i]*in[3]
		}
		return
	}
	st := n >> 2
	a0, a1, a2, a3 := in[0], in[st], in[2*st], in[3*st]
	e0, e1 := 64*(a0+a2), 64*(a0-a2)
	o0, o1 := 83*a1+36*a3, 36*a1-83*a3
	out[0], out[1], out[2], out[3] = e0+o0, e1+o1, e1-o1, e0-o0
	for size := 8; size <= n; size <<= 1 {
		stride := n / size // input index step at this level
		half := size >> 1
		var o [16]int32
		for j := 1; j < size && j*stride <= last; j += 2 {
			c := in[j*stride]
			if c == 0 {
				continue
			}
			row := dct32[j*(32/size)][:half]
			for k, m := range row {
				o[k] += m * c
			}
		}
		for k := range half {
			e := out[k]
			out[size-1-k] = e - o[k]
			out[k] = e + o[k]
		}
	}
}

// chromaQP derives Qp'Cb or Qp'Cr of the current coding unit (8.6.1).
func (d *picDecoder) chromaQP(cIdx int) int {
	off := d.p.cbQPOffset + d.h.cbQPOffset
	if cIdx == 2 {
		off = d.p.crQPOffset + d.h.crQPOffset
	}
	qpi := min(max(d.qpY+off, -d.qpBdC), 57)
	return chromaQPTable(qpi) + d.qpBdC
}

// chromaQPTable maps qPi to QpC for 4:2:0 (Table 8-10).
func chromaQPTable(qpi int) int {
	switch {
	case qpi < 30:
		return qpi
	case qpi > 42:
		return qpi - 6
	}
	return int([13]uint8{29, 30, 31, 32, 33, 33, 34, 34, 35, 35, 36, 36, 37}[qpi-30])
}
