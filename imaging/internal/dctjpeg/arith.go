package dctjpeg

import "math/bits"

// Arithmetic decoding (T.81 Annex D for the coder, F.1.4.4 and F.2.4 for
// the coefficient models, G.1.3 for progressive scans). The coder reads one
// byte at a time; at a marker or the end of the input it is fed zero bytes,
// which is how T.81 ends a segment: unlike Huffman data, reaching a marker
// before the last decision is normal here (D.2.6).

// qeTable is T.81 Table D.2 packed as Qe<<16 | NextMPS<<8 | Switch<<7 |
// NextLPS, plus a last entry with a fixed probability of one half for the
// sign and refinement bits (T.851 Table 5, as libjpeg uses it).
var qeTable = [114]uint32{
	qe(0x5a1d, 1, 1, 1), qe(0x2586, 14, 2, 0), qe(0x1114, 16, 3, 0), qe(0x080b, 18, 4, 0),
	qe(0x03d8, 20, 5, 0), qe(0x01da, 23, 6, 0), qe(0x00e5, 25, 7, 0), qe(0x006f, 28, 8, 0),
	qe(0x0036, 30, 9, 0), qe(0x001a, 33, 10, 0), qe(0x000d, 35, 11, 0), qe(0x0006, 9, 12, 0),
	qe(0x0003, 10, 13, 0), qe(0x0001, 12, 13, 0), qe(0x5a7f, 15, 15, 1), qe(0x3f25, 36, 16, 0),
	qe(0x2cf2, 38, 17, 0), qe(0x207c, 39, 18, 0), qe(0x17b9, 40, 19, 0), qe(0x1182, 42, 20, 0),
	qe(0x0cef, 43, 21, 0), qe(0x09a1, 45, 22, 0), qe(0x072f, 46, 23, 0), qe(0x055c, 48, 24, 0),
	qe(0x0406, 49, 25, 0), qe(0x0303, 51, 26, 0), qe(0x0240, 52, 27, 0), qe(0x01b1, 54, 28, 0),
	qe(0x0144, 56, 29, 0), qe(0x00f5, 57, 30, 0), qe(0x00b7, 59, 31, 0), qe(0x008a, 60, 32, 0),
	qe(0x0068, 62, 33, 0), qe(0x004e, 63, 34, 0), qe(0x003b, 32, 35, 0), qe(0x002c, 33, 9, 0),
	qe(0x5ae1, 37, 37, 1), qe(0x484c, 64, 38, 0), qe(0x3a0d, 65, 39, 0), qe(0x2ef1, 67, 40, 0),
	qe(0x261f, 68, 41, 0), qe(0x1f33, 69, 42, 0), qe(0x19a8, 70, 43, 0), qe(0x1518, 72, 44, 0),
	qe(0x1177, 73, 45, 0), qe(0x0e74, 74, 46, 0), qe(0x0bfb, 75, 47, 0), qe(0x09f8, 77, 48, 0),
	qe(0x0861, 78, 49, 0), qe(0x0706, 79, 50, 0), qe(0x05cd, 48, 51, 0), qe(0x04de, 50, 52, 0),
	qe(0x040f, 50, 53, 0), qe(0x0363, 51, 54, 0), qe(0x02d4, 52, 55, 0), qe(0x025c, 53, 56, 0),
	qe(0x01f8, 54, 57, 0), qe(0x01a4, 55, 58, 0), qe(0x0160, 56, 59, 0), qe(0x0125, 57, 60, 0),
	qe(0x00f6, 58, 61, 0), qe(0x00cb, 59, 62, 0), qe(0x00ab, 61, 63, 0), qe(0x008f, 61, 32, 0),
	qe(0x5b12, 65, 65, 1), qe(0x4d04, 80, 66, 0), qe(0x412c, 81, 67, 0), qe(0x37d8, 82, 68, 0),
	qe(0x2fe8, 83, 69, 0), qe(0x293c, 84, 70, 0), qe(0x2379, 86, 71, 0), qe(0x1edf, 87, 72, 0),
	qe(0x1aa9, 87, 73, 0), qe(0x174e, 72, 74, 0), qe(0x1424, 72, 75, 0), qe(0x119c, 74, 76, 0),
	qe(0x0f6b, 74, 77, 0), qe(0x0d51, 75, 78, 0), qe(0x0bb6, 77, 79, 0), qe(0x0a40, 77, 48, 0),
	qe(0x5832, 80, 81, 1), qe(0x4d1c, 88, 82, 0), qe(0x438e, 89, 83, 0), qe(0x3bdd, 90, 84, 0),
	qe(0x34ee, 91, 85, 0), qe(0x2eae, 92, 86, 0), qe(0x299a, 93, 87, 0), qe(0x2516, 86, 71, 0),
	qe(0x5570, 88, 89, 1), qe(0x4ca9, 95, 90, 0), qe(0x44d9, 96, 91, 0), qe(0x3e22, 97, 92, 0),
	qe(0x3824, 99, 93, 0), qe(0x32b4, 99, 94, 0), qe(0x2e17, 93, 86, 0), qe(0x56a8, 95, 96, 1),
	qe(0x4f46, 101, 97, 0), qe(0x47e5, 102, 98, 0), qe(0x41cf, 103, 99, 0), qe(0x3c3d, 104, 100, 0),
	qe(0x375e, 99, 93, 0), qe(0x5231, 105, 102, 0), qe(0x4c0f, 106, 103, 0), qe(0x4639, 107, 104, 0),
	qe(0x415e, 103, 99, 0), qe(0x5627, 105, 106, 1), qe(0x50e7, 108, 107, 0), qe(0x4b85, 109, 103, 0),
	qe(0x5597, 110, 109, 0), qe(0x504f, 111, 107, 0), qe(0x5a10, 110, 111, 1), qe(0x5522, 112, 109, 0),
	qe(0x59eb, 112, 111, 1), qe(0x5a1d, 113, 113, 0),
}

func qe(q uint32, nextLPS, nextMPS, swtch uint32) uint32 {
	return q<<16 | nextMPS<<8 | swtch<<7 | nextLPS
}

// fixedState is the index of qeTable's fixed one-half estimate.
const fixedState = 113

// Statistics areas per conditioning table (F.1.4.4): 64 DC bins and 256 AC
// bins are enough for every context the models address.
const (
	dcBins = 64
	acBins = 256
)

// arithDecoder holds the coder registers (D.2) and the adaptive statistics.
type arithDecoder struct {
	src   *source
	c, a  int64
	ct    int
	fixed uint8 // the state of the fixed-probability bin, never adapted

	marker bool // a marker or the end of input was reached; zeros follow
	eof    bool // it was the end of the input
	err    error

	dcStats [4][dcBins]uint8
	acStats [4][acBins]uint8
	// Conditioning from DAC segments (F.1.4.4.1.4 and F.1.4.4.2.1), with
	// T.81's defaults L = 0, U = 1 and Kx = 5.
	dcL, dcU [4]uint8
	acK      [4]uint8
}

func (a *arithDecoder) setDefaults() {
	for i := range 4 {
		a.dcL[i], a.dcU[i], a.acK[i] = 0, 1, 5
	}
}

// start prepares the coder for a new scan or restart interval (D.2.7).
func (a *arithDecoder) start() {
	a.c, a.a, a.ct = 0, 0, -16
	a.marker, a.eof = false, false
	a.fixed = fixedState
}

// byteIn returns the next byte of entropy-coded data, removing stuffed
// zeros, or 0 once a marker or the end of the input is reached; the marker
// stays unread (D.2.6, Figure D.19).
func (a *arithDecoder) byteIn() int64 {
	if a.marker {
		return 0
	}
	s := a.src
	for {
		if !s.ensure(1) {
			a.marker, a.eof = true, true
			return 0
		}
		b := s.buf[s.pos]
		if b != 0xFF {
			s.pos++
			return int64(b)
		}
		if !s.ensure(2) {
			a.marker, a.eof = true, true
			return 0
		}
		switch s.buf[s.pos+1] {
		case 0x00:
			s.pos += 2
			return 0xFF
		case 0xFF:
			s.pos++ // fill byte before a marker
			continue
		}
		a.marker = true
		return 0
	}
}

// decode decodes one binary decision with the statistics bin st (D.2.4,
// D.2.5), renormalizing first as libjpeg does.
func (a *arithDecoder) decode(st *uint8) int {
	for a.a < 0x8000 {
		a.ct--
		if a.ct < 0 {
			a.c = a.c<<8 | a.byteIn()
			a.ct += 8
			if a.ct < 0 {
				// Still reading the two initial bytes.
				a.ct++
				if a.ct == 0 {
					a.a = 0x8000 // doubled below
				}
			}
		}
		a.a <<= 1
	}
	sv := *st
	q := qeTable[sv&0x7F]
	nl := uint8(q)
	nm := uint8(q >> 8)
	qv := int64(q >> 16)
	temp := a.a - qv
	a.a = temp
	temp <<= uint(a.ct)
	if a.c >= temp {
		a.c -= temp
		// Conditional exchange: the LPS sub-interval was the larger one.
		if a.a < qv {
			a.a = qv
			*st = sv&0x80 ^ nm
		} else {
			a.a = qv
			*st = sv&0x80 ^ nl
			sv ^= 0x80
		}
	} else if a.a < 0x8000 {
		if a.a < qv {
			*st = sv&0x80 ^ nl
			sv ^= 0x80
		} else {
			*st = sv&0x80 ^ nm
		}
	}
	return int(sv >> 7)
}

func (a *arithDecoder) corrupt(what string) {
	if a.err == nil {
		a.err = formatErr("arithmetic-coded data: %s", what)
	}
}

// resetStats clears the statistics a scan or restart interval starts from
// (F.1.4.4, G.1.3.3): the DC bins of the scan's components when it codes DC
// first values, their AC bins when it codes AC coefficients.
func (d *decoder) resetArith(s *scanState) {
	a := &d.ar
	for _, c := range s.comps[:s.ns] {
		if !d.progressive || s.ss == 0 && s.ah == 0 {
			clear(a.dcStats[c.td][:])
			c.pred, c.dcContext = 0, 0
		}
		if !d.progressive || s.ss > 0 {
			clear(a.acStats[c.ta][:])
		}
	}
	a.start()
}

// arithDC decodes the difference of a DC coefficient from its prediction
// (F.1.4.4.1, Figures F.19 to F.24).
func (d *decoder) arithDC(c *component) int32 {
	a := &d.ar
	st := &a.dcStats[c.td]
	ctx := c.dcContext
	if a.decode(&st[ctx]) == 0 {
		c.dcContext = 0
		return 0
	}
	sign := a.decode(&st[ctx+1])
	i := ctx + 2 + sign
	m := a.decode(&st[i])
	if m != 0 {
		i = 20
		for a.decode(&st[i]) != 0 {
			if m <<= 1; m == 0x8000 {
				a.corrupt("DC magnitude overflow")
				return 0
			}
			i++
		}
	}
	switch {
	case m < (1<<a.dcL[c.td])>>1:
		c.dcContext = 0
	case m > (1<<a.dcU[c.td])>>1:
		c.dcContext = 12 + 4*sign
	default:
		c.dcContext = 4 + 4*sign
	}
	return a.value(st[:], i+14, m, sign)
}

// value decodes the bits below the leading one of a magnitude m and
// applies the sign (Figures F.22 and F.24); bins holds them from i on.
func (a *arithDecoder) value(bins []uint8, i, m, sign int) int32 {
	v := int32(m)
	for m >>= 1; m != 0; m >>= 1 {
		if a.decode(&bins[i]) != 0 {
			v |= int32(m)
		}
	}
	v++
	if sign != 0 {
		v = -v
	}
	return v
}

// arithAC decodes the magnitude and sign of a nonzero AC coefficient at
// zigzag index k, whose bins start at st (F.1.4.4.2, Figures F.21 to F.24).
func (d *decoder) arithAC(stats *[acBins]uint8, i, k int, tbl uint8) int32 {
	a := &d.ar
	sign := a.decode(&a.fixed)
	i += 2
	m := a.decode(&stats[i])
	if m != 0 && a.decode(&stats[i]) != 0 {
		m <<= 1
		i = 217
		if k <= int(a.acK[tbl]) {
			i = 189
		}
		for a.decode(&stats[i]) != 0 {
			if m <<= 1; m == 0x8000 {
				a.corrupt("AC magnitude overflow")
				return 0
			}
			i++
		}
	}
	return a.value(stats[:], i+14, m, sign)
}

// arithSequentialBlock decodes one block of a sequential arithmetic scan
// (F.2.4) and writes its reduced pixels.
func (d *decoder) arithSequentialBlock(c *component, bx, by int) {
	a := &d.ar
	var zz [64]int32
	c.pred += d.arithDC(c)
	zz[0] = c.pred
	stats := &a.acStats[c.ta]
	for k := 0; k < 63 && a.err == nil; {
		i := 3 * k
		if a.decode(&stats[i]) != 0 {
			break // end of block
		}
		for {
			k++
			if a.decode(&stats[i+1]) != 0 {
				break
			}
			i += 3
			if k >= 63 {
				a.corrupt("AC coefficients beyond the block")
				return
			}
		}
		zz[k] = d.arithAC(stats, i, k, c.ta)
	}
	d.writeSequential(c, bx, by, &zz)
}

// arithDCFirst decodes the first scan of a DC coefficient (G.1.3.1).
func (d *decoder) arithDCFirst(c *component, coef []int16, al uint) {
	c.pred += d.arithDC(c)
	coef[0] = int16(c.pred << al)
}

// arithDCRefine adds one more bit of the DC coefficient (G.1.3.1).
func (d *decoder) arithDCRefine(coef []int16, al uint) {
	if d.ar.decode(&d.ar.fixed) != 0 {
		coef[0] |= 1 << al
	}
}

// arithACFirst decodes the first scan of an AC band of one block (G.1.3.2).
func (d *decoder) arithACFirst(c *component, coef []int16, bi int, s *scanState) {
	a := &d.ar
	stats := &a.acStats[c.ta]
	nz := c.nz[bi]
	for k := s.ss; k <= s.se && a.err == nil; k++ {
		i := 3 * (k - 1)
		if a.decode(&stats[i]) != 0 {
			break // end of band
		}
		for a.decode(&stats[i+1]) == 0 {
			i += 3
			if k++; k > s.se {
				a.corrupt("AC coefficients beyond the scan's band")
				c.nz[bi] = nz
				return
			}
		}
		v := d.arithAC(stats, i, k, c.ta)
		if sl := c.slot[k]; sl >= 0 {
			coef[sl] = int16(v << s.al)
		}
		nz |= 1 << k
	}
	c.nz[bi] = nz
}

// arithACRefine decodes a refinement scan of an AC band of one block
// (G.1.3.3). As in acRefine, c.nz tells which coefficients are nonzero
// already, for the ones outside the kept window too.
func (d *decoder) arithACRefine(c *component, coef []int16, bi int, s *scanState) {
	a := &d.ar
	stats := &a.acStats[c.ta]
	p1 := int16(1) << s.al
	m1 := int16(-1) << s.al
	nz := c.nz[bi]
	// The end of block of the previous stages: no end-of-band decision is
	// coded before it.
	kex := 0
	if m := nz & bandMask(1, s.se); m != 0 {
		kex = 63 - bits.LeadingZeros64(m)
	}
	for k := s.ss; k <= s.se && a.err == nil; k++ {
		i := 3 * (k - 1)
		if k > kex && a.decode(&stats[i]) != 0 {
			break
		}
		for {
			if nz&(1<<k) != 0 {
				if a.decode(&stats[i+2]) != 0 {
					if sl := c.slot[k]; sl >= 0 {
						if coef[sl] < 0 {
							coef[sl] += m1
						} else {
							coef[sl] += p1
						}
					}
				}
				break
			}
			if a.decode(&stats[i+1]) != 0 {
				v := p1
				if a.decode(&a.fixed) != 0 {
					v = m1
				}
				if sl := c.slot[k]; sl >= 0 {
					coef[sl] = v
				}
				nz |= 1 << k
				break
			}
			i += 3
			if k++; k > s.se {
				a.corrupt("AC coefficients beyond the scan's band")
				c.nz[bi] = nz
				return
			}
		}
	}
	c.nz[bi] = nz
}
