package dctjpeg

import (
	"fmt"
	"math/bits"
)

// scanState is what one SOS header selects.
type scanState struct {
	comps  [4]*component
	ns     int
	ss, se int
	ah, al uint
}

// scan reads an SOS header and the entropy-coded data that follows it,
// decoding it or, when it adds nothing at this scale, skipping it.
func (d *decoder) scan() error {
	n, err := d.segmentLength("SOS")
	if err != nil {
		return err
	}
	var b [1 + 2*4 + 3]byte
	if n < 6 || n > len(b) {
		return formatErr("SOS segment length %d", n+2)
	}
	if err := d.src.readFull(b[:n], "SOS"); err != nil {
		return err
	}
	var s scanState
	s.ns = int(b[0])
	if s.ns < 1 || s.ns > 4 || n != 4+2*s.ns {
		return formatErr("SOS with %d components in %d bytes", s.ns, n+2)
	}
	prev := -1
	blocksPerMCU := 0
	for i := range s.ns {
		id, tables := b[1+2*i], b[2+2*i]
		ci := -1
		for j := range d.comps {
			if d.comps[j].id == id {
				ci = j
			}
		}
		// Components appear in frame order, each once (B.2.3).
		if ci <= prev {
			return formatErr("SOS component %d unknown, repeated or out of order", id)
		}
		prev = ci
		c := &d.comps[ci]
		td, ta := tables>>4, tables&15
		if td > 3 || ta > 3 {
			return formatErr("SOS table ids %d/%d", td, ta)
		}
		c.td, c.ta = td, ta
		c.dcTable, c.acTable = &d.dcTables[td], &d.acTables[ta]
		s.comps[i] = c
		blocksPerMCU += c.h * c.v
	}
	if s.ns > 1 && blocksPerMCU > 10 {
		return formatErr("%d blocks per MCU", blocksPerMCU)
	}
	p := b[1+2*s.ns:]
	s.ss, s.se = int(p[0]), int(p[1])
	s.ah, s.al = uint(p[2]>>4), uint(p[2]&15)

	if !d.progressive {
		// Other spectral parameters in a sequential scan are an encoder's
		// mistake that libjpeg warns about and ignores: the scan holds
		// whole blocks all the same.
		s.ss, s.se, s.ah, s.al = 0, 63, 0, 0
		for _, c := range s.comps[:s.ns] {
			if err := d.needTables(c, true, true); err != nil {
				return err
			}
			if !d.quantDefined[c.tq] {
				return formatErr("scan uses an undefined quantization table")
			}
			c.weights = dequantWeights(&d.quant[c.tq], c.n)
			c.weights8 = dequantWeights(&d.quant[c.tq], 8)
			d.ensureHave(c)
		}
		return d.decodeScan(&s)
	}

	if s.ss > s.se || s.se > 63 || s.al > 13 || s.ah > 13 {
		return formatErr("progressive scan with band %d..%d, Ah %d, Al %d", s.ss, s.se, s.ah, s.al)
	}
	if s.ss == 0 && s.se != 0 {
		return formatErr("progressive scan mixes DC and AC coefficients")
	}
	if s.ss > 0 && s.ns != 1 {
		return formatErr("progressive AC scan with %d components", s.ns)
	}
	for _, c := range s.comps[:s.ns] {
		if err := d.needTables(c, s.ss == 0 && s.ah == 0, s.ss > 0); err != nil {
			return err
		}
	}
	for _, c := range s.comps[:s.ns] {
		for k := s.ss; k <= s.se; k++ {
			c.precision[k] = int8(s.al)
		}
	}
	if s.ss > 0 {
		c := s.comps[0]
		band := bandMask(s.ss, s.se)
		// A band with nothing inside the window can be skipped when no
		// refinement can follow it (Al = 0), or at 1/8, where no AC band
		// is ever needed. Otherwise a later refinement scan reaching into
		// the window depends on which of its coefficients are nonzero.
		if band&c.window == 0 && (s.al == 0 || c.n == 1) {
			if s.ah == 0 {
				c.skipped |= band
			}
			return d.skipEntropyData()
		}
		if s.ah > 0 && band&c.skipped != 0 {
			return formatErr("progressive refinement of a band that has no first scan with Al > 0")
		}
		if c.nz == nil {
			c.nz = make([]uint64, c.bw*c.bh)
		}
	} else {
		for _, c := range s.comps[:s.ns] {
			if s.ah == 0 {
				d.ensureHave(c)
			}
		}
	}
	return d.decodeScan(&s)
}

// needTables checks that the entropy tables a scan uses exist. A missing
// Huffman table 0 or 1 is the typical one of Annex K, as in Motion JPEG.
func (d *decoder) needTables(c *component, dc, ac bool) error {
	if d.arith {
		return nil // conditioning tables always have their defaults
	}
	if dc && !c.dcTable.defined && !defaultHuffman(c.dcTable, 0, c.td) ||
		ac && !c.acTable.defined && !defaultHuffman(c.acTable, 1, c.ta) {
		return formatErr("scan uses an undefined Huffman table")
	}
	return nil
}

// ensureHave allocates the record of which blocks of c arrived.
func (d *decoder) ensureHave(c *component) {
	if c.have == nil {
		c.have = make([]uint64, (c.bw*c.bh+63)/64)
	}
}

// skipEntropyData moves the source to the first marker after the
// entropy-coded data of a scan that is not decoded, passing over its
// restart markers, and leaves that marker unread.
func (d *decoder) skipEntropyData() error {
	if _, err := d.src.nextMarker(true); err != nil {
		return err
	}
	d.src.pos -= 2
	return nil
}

// decodeScan walks the MCUs of a scan, handling restart intervals. Where
// data turns out missing or corrupt it recovers as libjpeg does: the blocks
// of the rest of the restart interval are not decoded (nor marked as
// arrived), and decoding resumes at the next restart marker.
func (d *decoder) decodeScan(s *scanState) error {
	d.decodedScans++
	if d.decodedScans > maxDecodedScans {
		return formatErr("more than %d scans", maxDecodedScans)
	}
	d.startInterval(s)
	// A single-component scan is not interleaved: its MCU is one block
	// and it covers only the blocks holding the component's samples.
	mcusX, mcusY := d.mcusX, d.mcusY
	if s.ns == 1 {
		c := s.comps[0]
		mcusX, mcusY = ceilDiv(c.cw, 8), ceilDiv(c.ch, 8)
	}
	// Sequential scans and first DC scans bring a block's data; the
	// record of it decides what is missing.
	coverage := !d.progressive || s.ss == 0 && s.ah == 0
	mcu, nextRST := 0, 0
	for my := range mcusY {
		for mx := range mcusX {
			if d.restart > 0 && mcu > 0 && mcu%d.restart == 0 {
				if err := d.restartMarker(nextRST, s); err != nil {
					return err
				}
				nextRST = (nextRST + 1) & 7
			}
			mcu++
			if d.starved {
				continue
			}
			if s.ns == 1 {
				d.block(s, s.comps[0], mx, my)
			} else {
				for _, c := range s.comps[:s.ns] {
					for v := range c.v {
						for h := range c.h {
							d.block(s, c, mx*c.h+h, my*c.v+v)
						}
					}
				}
			}
			if d.intervalFailed() {
				d.starve()
				continue
			}
			if coverage {
				d.markArrived(s, mx, my)
			}
		}
	}
	if !d.starved && d.intervalFailed() {
		d.starve()
	}
	d.br.reset()
	return nil
}

// startInterval readies the entropy decoder for a scan or a restart
// interval.
func (d *decoder) startInterval(s *scanState) {
	d.starved = false
	d.eobrun = 0
	d.br = bitReader{src: d.src}
	for _, c := range s.comps[:s.ns] {
		c.pred = 0
	}
	if d.arith {
		d.ar.src = d.src
		d.ar.err = nil
		d.resetArith(s)
	}
}

// intervalFailed reports whether the data of the current restart interval
// ran out (the Huffman decoder consumed the zeros fed in at a marker, the
// arithmetic one met the end of the input) or proved corrupt.
func (d *decoder) intervalFailed() bool {
	if d.arith {
		return d.ar.err != nil || d.ar.eof
	}
	return d.br.err != nil || d.br.n < 8*d.br.padded
}

// starve stops decoding until the next restart marker, recording why.
func (d *decoder) starve() {
	d.starved = true
	switch {
	case d.src.eof && d.src.pos >= d.src.end:
		d.truncated = true
	case d.corrupted != "":
	case d.arith && d.ar.err != nil:
		d.corrupted = d.ar.err.Error()
	case d.br.err != nil && d.br.n >= 8*d.br.padded:
		d.corrupted = d.br.err.(*FormatError).Reason
	default:
		d.corrupted = "entropy-coded data ends at a marker before the end of its interval"
	}
}

// markArrived records the blocks of one MCU as decoded.
func (d *decoder) markArrived(s *scanState, mx, my int) {
	set := func(c *component, bx, by int) {
		i := uint(by*c.bw + bx) // unsigned: a shift and a mask, no sign fix-up
		c.have[i/64] |= 1 << (i % 64)
	}
	if s.ns == 1 {
		set(s.comps[0], mx, my)
		return
	}
	for _, c := range s.comps[:s.ns] {
		for v := range c.v {
			for h := range c.h {
				set(c, mx*c.h+h, my*c.v+v)
			}
		}
	}
}

// restartMarker reads the restart marker that ends an interval and
// restarts the decoder. A different marker is dealt with as libjpeg's
// jpeg_resync_to_restart does: a restart marker of an interval already
// passed is skipped, one of the next two intervals and any other valid
// marker stay unread, so the intervals before them decode as empty, and
// anything else is taken for the marker wanted.
func (d *decoder) restartMarker(want int, s *scanState) error {
	if !d.starved && d.intervalFailed() {
		d.starve()
	}
	d.br.reset()
	wasStarved := d.starved
	m, err := d.src.nextMarker(false)
	if err != nil {
		// The input ended: the rest of the scan is missing.
		d.truncated = true
		d.starved = true
		return nil
	}
	rst := func(k int) byte { return rst0 + byte(k&7) }
	for {
		switch {
		case m == rst(want):
		case m < sof0:
			// Not a valid marker at all: look for the next one.
			if m, err = d.src.nextMarker(false); err != nil {
				d.truncated, d.starved = true, true
				return nil
			}
			continue
		case m < rst0 || m > rst7 || m == rst(want+1) || m == rst(want+2):
			// Leave it for later intervals (or the end of the scan).
			d.src.pos -= 2
			if d.corrupted == "" {
				d.corrupted = fmt.Sprintf("expected RST%d marker, found 0x%02X", want, m)
			}
			d.starved = true
			return nil
		case m == rst(want-1) || m == rst(want-2):
			if m, err = d.src.nextMarker(false); err != nil {
				d.truncated, d.starved = true, true
				return nil
			}
			continue
		}
		break
	}
	d.startInterval(s)
	if wasStarved && d.corrupted == "" && !d.truncated {
		d.corrupted = "entropy-coded data ends before its restart marker"
	}
	return nil
}

// block decodes one block of a scan.
func (d *decoder) block(s *scanState, c *component, bx, by int) {
	if !d.progressive {
		if d.arith {
			d.arithSequentialBlock(c, bx, by)
		} else {
			d.sequentialBlock(c, bx, by)
		}
		return
	}
	nn := c.n * c.n
	off := (by*c.bw + bx) * nn
	coef := c.coef[off : off+nn : off+nn]
	bi := by*c.bw + bx
	switch {
	case s.ss == 0 && s.ah == 0 && d.arith:
		d.arithDCFirst(c, coef, s.al)
	case s.ss == 0 && s.ah == 0:
		d.dcFirst(c, coef, s.al)
	case s.ss == 0 && d.arith:
		d.arithDCRefine(coef, s.al)
	case s.ss == 0:
		d.dcRefine(coef, s.al)
	case s.ah == 0 && d.arith:
		d.arithACFirst(c, coef, bi, s)
	case s.ah == 0:
		d.acFirst(c, coef, bi, s)
	case d.arith:
		d.arithACRefine(c, coef, bi, s)
	default:
		d.acRefine(c, coef, bi, s)
	}
}

// sequentialBlock decodes a baseline block and writes its reduced pixels
// straight into the output plane.
func (d *decoder) sequentialBlock(c *component, bx, by int) {
	if c.n < 8 && d.isEdge(c, bx, by) {
		ac := d.sequentialCoefficients(c, &fullSlot, 63, 8, &c.weights8)
		d.edgeBlock(c, bx, by, ac)
		return
	}
	ac := d.sequentialCoefficients(c, &c.slot, c.maxK, c.n, &c.weights)
	d.idct(&d.blk, ac, c.n, c.pix[by*c.n*c.stride+bx*c.n:], c.stride)
}

// writeSequential writes the reduced pixels of a block whose coefficients
// zz (in zigzag order, quantized) were decoded whole.
func (d *decoder) writeSequential(c *component, bx, by int, zz *[64]int32) {
	edge := c.n < 8 && d.isEdge(c, bx, by)
	slot, weights, n := &c.slot, &c.weights, c.n
	if edge {
		slot, weights, n = &fullSlot, &c.weights8, 8
	}
	blk := &d.blk
	clearBlock(blk, n)
	blk[0] = float32(zz[0]) * weights[0]
	ac := false
	for k := 1; k < 64; k++ {
		if v, sl := zz[k], slot[k]; v != 0 && sl >= 0 {
			blk[sl] = float32(v) * weights[k]
			ac = true
		}
	}
	if edge {
		d.edgeBlock(c, bx, by, ac)
		return
	}
	d.idct(blk, ac, c.n, c.pix[by*c.n*c.stride+bx*c.n:], c.stride)
}

// sequentialCoefficients Huffman-decodes one block, keeping in d.blk the
// weighted coefficients that slot maps (those up to zigzag index maxK) in
// an n×n layout. It reports whether any kept AC coefficient is nonzero.
func (d *decoder) sequentialCoefficients(c *component, slot *[64]int8, maxK, n int, weights *[64]float32) bool {
	br := &d.br
	blk := &d.blk
	clearBlock(blk, n)
	if br.n < 32 {
		br.refill()
	}
	size := uint(br.decode(c.dcTable))
	if size > 15 {
		d.corrupt("DC magnitude category %d", size)
		return false
	}
	c.pred += br.receive(size)
	blk[0] = float32(c.pred) * weights[0]
	ac := false
	t := c.acTable
	k := 1
	// The accumulator lives in locals in the loops below so that it stays
	// in registers; it goes back to br around the calls that use it.
	acc, nb := br.acc, br.n
	// Coefficients inside the window are kept.
	for k <= maxK {
		if nb < 32 {
			br.acc, br.n = acc, nb
			br.refill()
			acc, nb = br.acc, br.n
		}
		if e := t.ac[acc>>(64-lutBits)]; e != 0 {
			l := uint(e & 0xFF)
			acc <<= l
			nb -= l
			k += int(e >> 8 & 0xFF)
			if k > 63 {
				break
			}
			if sl := slot[k]; sl >= 0 {
				blk[sl] = float32(e>>16) * weights[k]
				ac = true
			}
			k++
			continue
		}
		br.acc, br.n = acc, nb
		rs := br.decode(t)
		r, size := int(rs>>4), uint(rs&15)
		if size == 0 {
			acc, nb = br.acc, br.n
			if r != 15 {
				k = 64
				break
			}
			k += 16
			continue
		}
		k += r
		v := br.receive(size)
		acc, nb = br.acc, br.n
		if k > 63 {
			break
		}
		if sl := slot[k]; sl >= 0 {
			blk[sl] = float32(v) * weights[k]
			ac = true
		}
		k++
	}
	// The rest is decoded only to find where the block ends.
	for k < 64 {
		if nb < 32 {
			br.acc, br.n = acc, nb
			br.refill()
			acc, nb = br.acc, br.n
		}
		if e := t.ac[acc>>(64-lutBits)]; e != 0 {
			l := uint(e & 0xFF)
			acc <<= l
			nb -= l
			k += int(e>>8&0xFF) + 1
			continue
		}
		br.acc, br.n = acc, nb
		rs := br.decode(t)
		acc, nb = br.acc, br.n
		r, size := int(rs>>4), uint(rs&15)
		if size == 0 {
			if r != 15 {
				break
			}
			k += 16
			continue
		}
		k += r + 1
		acc <<= size
		nb -= size
	}
	br.acc, br.n = acc, nb
	return ac
}

// clearBlock zeroes the n×n coefficients of blk that idct(n) reads. The
// sizes are spelled out because clearing a slice of variable length calls
// the runtime, which costs more than the few stores of a reduced block.
func clearBlock(blk *[64]float32, n int) {
	switch n {
	case 1:
		blk[0] = 0
	case 2:
		*(*[4]float32)(blk[:4]) = [4]float32{}
	case 4:
		*(*[16]float32)(blk[:16]) = [16]float32{}
	default:
		*blk = [64]float32{}
	}
}

// isEdge reports whether a block holds some of the component's samples
// and reaches past them. Blocks wholly in the padding of the last MCUs
// are never shown.
func (d *decoder) isEdge(c *component, bx, by int) bool {
	return bx*8 < c.cw && by*8 < c.ch && ((bx+1)*8 > c.cw || (by+1)*8 > c.ch)
}

// edgeBlock reduces a block that reaches past the edge of the image from
// its full 8×8 inverse DCT (d.blk holds 64 weighted coefficients), so that
// each output sample averages only real samples, not the encoder's padding.
func (d *decoder) edgeBlock(c *component, bx, by int, ac bool) {
	var full [64]byte
	if ac {
		idct8(&d.blk, full[:], 8)
	} else {
		fill(full[:], 8, 8, flatDC(d.blk[0], 8))
	}
	n, s := c.n, c.scale
	realW := min(8, c.cw-bx*8)
	realH := min(8, c.ch-by*8)
	dst := c.pix[by*n*c.stride+bx*n:]
	for j := range n {
		y0 := min(j*s, (realH-1)/s*s)
		y1 := min(y0+s, realH)
		for i := range n {
			x0 := min(i*s, (realW-1)/s*s)
			x1 := min(x0+s, realW)
			sum := 0
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					sum += int(full[y*8+x])
				}
			}
			cnt := (y1 - y0) * (x1 - x0)
			dst[j*c.stride+i] = byte((sum + cnt/2) / cnt)
		}
	}
}

// idct writes one reduced n×n block; blocks without AC energy are flat.
func (d *decoder) idct(blk *[64]float32, ac bool, n int, dst []byte, stride int) {
	if n == 1 {
		dst[0] = clampRound(blk[0])
		return
	}
	if !ac {
		fill(dst, stride, n, flatDC(blk[0], n))
		return
	}
	switch n {
	case 8:
		idct8(blk, dst, stride)
	case 4:
		idct4(blk, dst, stride)
	default:
		idct2(blk, dst, stride)
	}
}

func (d *decoder) corrupt(format string, args ...any) {
	if d.br.err == nil {
		d.br.err = formatErr(format, args...)
	}
}

// dcFirst decodes the first DC scan of a block (G.1.2.1).
func (d *decoder) dcFirst(c *component, coef []int16, al uint) {
	br := &d.br
	if br.n < 32 {
		br.refill()
	}
	size := uint(br.decode(c.dcTable))
	if size > 15 {
		d.corrupt("DC magnitude category %d", size)
		return
	}
	c.pred += br.receive(size)
	coef[0] = int16(c.pred << al)
}

// dcRefine adds one more bit of the DC coefficient.
func (d *decoder) dcRefine(coef []int16, al uint) {
	if d.br.bits(1) != 0 {
		coef[0] |= 1 << al
	}
}

// acFirst decodes the first scan of an AC band of one block (G.1.2.2).
func (d *decoder) acFirst(c *component, coef []int16, bi int, s *scanState) {
	if d.eobrun > 0 {
		d.eobrun--
		return
	}
	br := &d.br
	t := c.acTable
	var nz uint64
	for k := s.ss; k <= s.se; {
		if br.n < 32 {
			br.refill()
		}
		rs := br.decode(t)
		r, size := int(rs>>4), uint(rs&15)
		if size == 0 {
			if r < 15 {
				d.eobrun = 1<<r - 1
				if r > 0 {
					d.eobrun += int(br.bits(uint(r)))
				}
				break
			}
			k += 16
			continue
		}
		k += r
		v := br.receive(size)
		if k > s.se {
			d.corrupt("AC coefficient beyond the scan's band")
			return
		}
		if sl := c.slot[k]; sl >= 0 {
			coef[sl] = int16(v << s.al)
		}
		nz |= 1 << k
		k++
	}
	c.nz[bi] |= nz
}

// acRefine decodes a successive-approximation refinement scan of an AC band
// of one block (G.1.2.3). Which coefficients already have a nonzero value
// (c.nz, for every zigzag index, kept or not) decides how the bits that
// follow are to be read; only kept coefficients are refined in value.
func (d *decoder) acRefine(c *component, coef []int16, bi int, s *scanState) {
	br := &d.br
	p1 := int16(1) << s.al
	m1 := int16(-1) << s.al
	nz := c.nz[bi]
	// refine reads the correction bit of a coefficient with a nonzero
	// history.
	refine := func(k int) {
		bit := br.bits(1)
		sl := c.slot[k]
		if bit == 0 || sl < 0 {
			return
		}
		if v := coef[sl]; v&p1 == 0 {
			if v >= 0 {
				coef[sl] = v + p1
			} else {
				coef[sl] = v + m1
			}
		}
	}
	k := s.ss
	if d.eobrun == 0 {
		for k <= s.se {
			if br.n < 32 {
				br.refill()
			}
			rs := br.decode(c.acTable)
			r, size := int(rs>>4), rs&15
			var val int16
			switch {
			case size == 1:
				if br.bits(1) != 0 {
					val = p1
				} else {
					val = m1
				}
			case size != 0:
				d.corrupt("AC refinement magnitude category %d", size)
				return
			case r < 15:
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun += int(br.bits(uint(r)))
				}
			}
			if d.eobrun > 0 {
				break
			}
			// Skip r coefficients with a zero history, refining the
			// nonzero ones met on the way, and place val after them.
			for k <= s.se {
				if nz&(1<<k) != 0 {
					refine(k)
				} else {
					if r == 0 {
						if val != 0 {
							if sl := c.slot[k]; sl >= 0 {
								coef[sl] = val
							}
							nz |= 1 << k
						}
						k++
						break
					}
					r--
				}
				k++
			}
			if d.br.err != nil {
				c.nz[bi] = nz
				return
			}
		}
	}
	if d.eobrun > 0 {
		// The rest of the band holds no new coefficients: only the
		// nonzero ones get a correction bit each.
		if k <= s.se {
			for m := nz & bandMask(k, s.se); m != 0; m &= m - 1 {
				refine(bits.TrailingZeros64(m))
			}
		}
		d.eobrun--
	}
	c.nz[bi] = nz
}

// reconstruct turns the kept coefficients of a progressive image into
// reduced pixels once all scans are in.
func (d *decoder) reconstruct() {
	for i := range d.comps {
		c := &d.comps[i]
		d.smooth(c)
		n := c.n
		nn := n * n
		w := dequantWeights(&d.quant[c.tq], n)
		w8 := dequantWeights(&d.quant[c.tq], 8)
		var ws [64]float32
		for k := range 64 {
			if sl := c.slot[k]; sl >= 0 {
				ws[sl] = w[k]
			}
		}
		blk := &d.blk
		for by := range c.bh {
			for bx := range c.bw {
				off := (by*c.bw + bx) * nn
				coef := c.coef[off : off+nn : off+nn]
				ac := false
				for j, v := range coef {
					if j > 0 && v != 0 {
						ac = true
					}
				}
				if n < 8 && d.isEdge(c, bx, by) {
					clear(blk[:])
					for k := range 64 {
						if sl := c.slot[k]; sl >= 0 {
							blk[unzig[k]] = float32(coef[sl]) * w8[k]
						}
					}
					d.edgeBlock(c, bx, by, ac)
					continue
				}
				for j, v := range coef {
					blk[j] = float32(v) * ws[j]
				}
				d.idct(blk, ac, n, c.pix[by*n*c.stride+bx*n:], c.stride)
			}
		}
	}
}
