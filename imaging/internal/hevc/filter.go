package hevc

// betaTable and tcTable are Table 8-12: β′ by Q = 0..51 and tC′ by Q = 0..53.
var betaTable = [52]uint8{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 64,
}

var tcTable = [54]uint8{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 13, 14, 16, 18, 20, 22, 24,
}

// edgeFiltered reports whether the deblocking filter applies to the edge
// between the 4x4 luma blocks p and q (8.7.2.3): blocks of an intra picture
// always have boundary strength 2 on transform edges, but the slice of q may
// disable the filter, or keep it from crossing into another slice or tile.
func (d *picDecoder) edgeFiltered(xq, yq, xp, yp int) bool {
	s := d.s
	cq := (yq>>s.log2Ctb)*s.picWCtb + xq>>s.log2Ctb
	hq := d.headers[d.ctbSlice[cq]]
	if hq.deblockOff {
		return false
	}
	cp := (yp>>s.log2Ctb)*s.picWCtb + xp>>s.log2Ctb
	if cp == cq {
		return true
	}
	if d.headers[d.ctbSlice[cp]].sliceAddrRs != hq.sliceAddrRs && !hq.lfAcross {
		return false
	}
	return d.p.loopFilterAcrossTiles || d.tileID[cp] == d.tileID[cq]
}

// deblock runs the deblocking filter over the picture (8.7.2): first all
// vertical edges, then all horizontal edges.
func (d *picDecoder) deblock() {
	on := false
	for _, h := range d.headers {
		on = on || !h.deblockOff
	}
	if !on {
		return
	}
	for _, vertical := range []bool{true, false} {
		for y4 := range d.h4 {
			for x4 := range d.w4 {
				var xp, yp int
				if vertical {
					if x4 == 0 || x4&1 != 0 || d.flags[y4*d.w4+x4]&flagEdgeV == 0 {
						continue
					}
					xp, yp = x4*4-1, y4*4
				} else {
					if y4 == 0 || y4&1 != 0 || d.flags[y4*d.w4+x4]&flagEdgeH == 0 {
						continue
					}
					xp, yp = x4*4, y4*4-1
				}
				xq, yq := x4*4, y4*4
				if !d.edgeFiltered(xq, yq, xp, yp) {
					continue
				}
				d.filterLuma(xq, yq, xp, yp, vertical)
				if d.numPlanes == 3 && ((vertical && xq&15 == 0) || (!vertical && yq&15 == 0)) {
					d.filterChroma(xq, yq, xp, yp, vertical)
				}
			}
		}
	}
}

func (d *picDecoder) sliceAt(x, y int) *sliceHeader {
	s := d.s
	return d.headers[d.ctbSlice[(y>>s.log2Ctb)*s.picWCtb+x>>s.log2Ctb]]
}

// filterLuma filters one luma edge segment of four lines (8.7.2.5.3,
// 8.7.2.5.6, 8.7.2.5.7).
func (d *picDecoder) filterLuma(xq, yq, xp, yp int, vertical bool) {
	s := d.s
	bq, bp := (yq>>2)*d.w4+xq>>2, (yp>>2)*d.w4+xp>>2
	h := d.sliceAt(xq, yq)
	qpL := (int(d.qp[bq]) + int(d.qp[bp]) + 1) >> 1
	bdScale := int32(1) << (s.bitDepthY - 8)
	beta := int32(betaTable[min(max(qpL+h.betaOffset*2, 0), 51)]) * bdScale
	tc := int32(tcTable[min(max(qpL+2+h.tcOffset*2, 0), 53)]) * bdScale
	if tc == 0 && beta == 0 {
		return
	}
	st := d.stride[0]
	pl := d.planes[0]
	xstep, ystep := 1, st // across the edge, along the edge
	if !vertical {
		xstep, ystep = st, 1
	}
	base := yq*st + xq
	at := func(k, i int) int32 { return int32(pl[base+k*ystep+i*xstep]) } // i<0: p side
	dp0 := abs32(at(0, -3) - 2*at(0, -2) + at(0, -1))
	dp3 := abs32(at(3, -3) - 2*at(3, -2) + at(3, -1))
	dq0 := abs32(at(0, 2) - 2*at(0, 1) + at(0, 0))
	dq3 := abs32(at(3, 2) - 2*at(3, 1) + at(3, 0))
	dpq0, dpq3 := dp0+dq0, dp3+dq3
	if dpq0+dpq3 >= beta {
		return
	}
	strongLine := func(k int, dpq int32) bool {
		return 2*dpq < beta>>2 &&
			abs32(at(k, -4)-at(k, -1))+abs32(at(k, 0)-at(k, 3)) < beta>>3 &&
			abs32(at(k, -1)-at(k, 0)) < (5*tc+1)>>1
	}
	strong := strongLine(0, dpq0) && strongLine(3, dpq3)
	side := (beta + beta>>1) >> 3
	dEp := dp0+dp3 < side
	dEq := dq0+dq3 < side
	noP := d.flags[bp]&flagNoFilter != 0
	noQ := d.flags[bq]&flagNoFilter != 0
	maxV := int32(1)<<s.bitDepthY - 1
	clip := func(v, lo, hi int32) uint16 {
		v = min(max(v, lo), hi)
		return uint16(min(max(v, 0), maxV))
	}
	for k := range 4 {
		o := base + k*ystep
		p0, p1, p2, p3 := at(k, -1), at(k, -2), at(k, -3), at(k, -4)
		q0, q1, q2, q3 := at(k, 0), at(k, 1), at(k, 2), at(k, 3)
		if strong {
			tc2 := 2 * tc
			if !noP {
				pl[o-xstep] = clip((p2+2*p1+2*p0+2*q0+q1+4)>>3, p0-tc2, p0+tc2)
				pl[o-2*xstep] = clip((p2+p1+p0+q0+2)>>2, p1-tc2, p1+tc2)
				pl[o-3*xstep] = clip((2*p3+3*p2+p1+p0+q0+4)>>3, p2-tc2, p2+tc2)
			}
			if !noQ {
				pl[o] = clip((p1+2*p0+2*q0+2*q1+q2+4)>>3, q0-tc2, q0+tc2)
				pl[o+xstep] = clip((p0+q0+q1+q2+2)>>2, q1-tc2, q1+tc2)
				pl[o+2*xstep] = clip((p0+q0+q1+3*q2+2*q3+4)>>3, q2-tc2, q2+tc2)
			}
			continue
		}
		delta := (9*(q0-p0) - 3*(q1-p1) + 8) >> 4
		if abs32(delta) >= tc*10 {
			continue
		}
		delta = min(max(delta, -tc), tc)
		if !noP {
			pl[o-xstep] = clip(p0+delta, 0, maxV)
			if dEp {
				dp := min(max((((p2+p0+1)>>1)-p1+delta)>>1, -(tc>>1)), tc>>1)
				pl[o-2*xstep] = clip(p1+dp, 0, maxV)
			}
		}
		if !noQ {
			pl[o] = clip(q0-delta, 0, maxV)
			if dEq {
				dq := min(max((((q2+q0+1)>>1)-q1-delta)>>1, -(tc>>1)), tc>>1)
				pl[o+xstep] = clip(q1+dq, 0, maxV)
			}
		}
	}
}

// filterChroma filters the two chroma lines of both chroma planes that
// match one luma edge segment (8.7.2.5.5, 8.7.2.5.8).
func (d *picDecoder) filterChroma(xq, yq, xp, yp int, vertical bool) {
	s := d.s
	bq, bp := (yq>>2)*d.w4+xq>>2, (yp>>2)*d.w4+xp>>2
	h := d.sliceAt(xq, yq)
	noP := d.flags[bp]&flagNoFilter != 0
	noQ := d.flags[bq]&flagNoFilter != 0
	qpAvg := (int(d.qp[bq]) + int(d.qp[bp]) + 1) >> 1
	maxV := int32(1)<<s.bitDepthC - 1
	for cIdx := 1; cIdx < 3; cIdx++ {
		off := d.p.cbQPOffset
		if cIdx == 2 {
			off = d.p.crQPOffset
		}
		qpc := chromaQPTable(qpAvg + off)
		tc := int32(tcTable[min(max(qpc+2+h.tcOffset*2, 0), 53)]) * (int32(1) << (s.bitDepthC - 8))
		if tc == 0 {
			continue
		}
		st := d.stride[cIdx]
		pl := d.planes[cIdx]
		xstep, ystep := 1, st
		if !vertical {
			xstep, ystep = st, 1
		}
		base := (yq/2)*st + xq/2
		for k := range 2 {
			o := base + k*ystep
			p0, p1 := int32(pl[o-xstep]), int32(pl[o-2*xstep])
			q0, q1 := int32(pl[o]), int32(pl[o+xstep])
			delta := min(max((((q0-p0)<<2)+p1-q1+4)>>3, -tc), tc)
			if !noP {
				pl[o-xstep] = uint16(min(max(p0+delta, 0), maxV))
			}
			if !noQ {
				pl[o] = uint16(min(max(q0-delta, 0), maxV))
			}
		}
	}
}

// applySAO runs sample adaptive offset over the picture (8.7.3).
func (d *picDecoder) applySAO() {
	s := d.s
	if !s.sao {
		return
	}
	for cIdx := range d.numPlanes {
		used := false
		for i := range d.sao {
			used = used || d.sao[i].typ[cIdx] != 0
		}
		if !used {
			continue
		}
		d.saoSrc = append(d.saoSrc[:0], d.planes[cIdx]...)
		src := d.saoSrc
		for rs := range d.sao {
			if d.sao[rs].typ[cIdx] != 0 {
				d.saoCTB(cIdx, rs, src)
			}
		}
	}
}

var eoOffsets = [4][2][2]int{ // hPos, vPos of the two neighbours per class
	{{-1, 0}, {1, 0}},
	{{0, -1}, {0, 1}},
	{{-1, -1}, {1, 1}},
	{{1, -1}, {-1, 1}},
}

// saoAcross reports whether SAO of a sample in CTB cur may use a sample of
// CTB nb (8.7.3.2).
func (d *picDecoder) saoAcross(cur, nb int) bool {
	if cur == nb {
		return true
	}
	hc, hn := d.headers[d.ctbSlice[cur]], d.headers[d.ctbSlice[nb]]
	if hc.sliceAddrRs != hn.sliceAddrRs {
		if d.ctbRsToTs[nb] < d.ctbRsToTs[cur] {
			if !hc.lfAcross {
				return false
			}
		} else if !hn.lfAcross {
			return false
		}
	}
	return d.p.loopFilterAcrossTiles || d.tileID[cur] == d.tileID[nb]
}

func (d *picDecoder) saoCTB(cIdx, rs int, src []uint16) {
	s := d.s
	sp := &d.sao[rs]
	shift := 0
	bitDepth := s.bitDepthY
	if cIdx > 0 {
		shift = 1
		bitDepth = s.bitDepthC
	}
	st := d.stride[cIdx]
	pw, ph := s.width>>shift, s.height>>shift
	ctbSize := 1 << (s.log2Ctb - shift)
	x0 := (rs % s.picWCtb) * ctbSize
	y0 := (rs / s.picWCtb) * ctbSize
	x1, y1 := min(x0+ctbSize, pw), min(y0+ctbSize, ph)
	dst := d.planes[cIdx]
	maxV := int32(1)<<bitDepth - 1
	var offs [5]int32
	for i := range 4 {
		offs[i+1] = int32(sp.offsets[cIdx][i])
	}
	checkNoFilter := s.pcmLoopFilterOff || d.p.transquantBypass
	noFilter := func(x, y int) bool {
		return checkNoFilter && d.flags[(y<<shift>>2)*d.w4+x<<shift>>2]&flagNoFilter != 0
	}
	if sp.typ[cIdx] == 1 {
		var table [32]int32
		for k := range 4 {
			table[(k+int(sp.class[cIdx]))&31] = offs[k+1]
		}
		bandShift := uint(bitDepth - 5)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if noFilter(x, y) {
					continue
				}
				v := int32(src[y*st+x])
				dst[y*st+x] = uint16(min(max(v+table[v>>bandShift], 0), maxV))
			}
		}
		return
	}
	nb := eoOffsets[sp.class[cIdx]]
	// edgeOff[2+sign(v-a)+sign(v-b)] is SaoOffsetVal[edgeIdx] (8.7.3.2).
	edgeOff := [5]int32{offs[1], offs[2], 0, offs[3], offs[4]}
	ctbOf := func(x, y int) int {
		return (y<<shift>>s.log2Ctb)*s.picWCtb + x<<shift>>s.log2Ctb
	}
	// slow handles samples whose neighbours may lie outside the picture or
	// in another CTB, or that may belong to unfiltered blocks.
	slow := func(x, y int) {
		ax, ay := x+nb[0][0], y+nb[0][1]
		bx, by := x+nb[1][0], y+nb[1][1]
		if ax < 0 || ay < 0 || bx < 0 || by < 0 || ax >= pw || bx >= pw || ay >= ph || by >= ph {
			return
		}
		if noFilter(x, y) {
			return
		}
		if !d.saoAcross(rs, ctbOf(ax, ay)) || !d.saoAcross(rs, ctbOf(bx, by)) {
			return
		}
		v := int32(src[y*st+x])
		a, b := int32(src[ay*st+ax]), int32(src[by*st+bx])
		dst[y*st+x] = uint16(min(max(v+edgeOff[2+sign(v-a)+sign(v-b)], 0), maxV))
	}
	da := nb[0][1]*st + nb[0][0]
	db := nb[1][1]*st + nb[1][0]
	vert := nb[0][1] != 0  // neighbours in the rows above and below
	horiz := nb[0][0] != 0 // neighbours in the columns left and right
	for y := y0; y < y1; y++ {
		if checkNoFilter || (vert && (y == y0 || y == y1-1)) {
			for x := x0; x < x1; x++ {
				slow(x, y)
			}
			continue
		}
		xs, xe := x0, x1
		if horiz {
			slow(x0, y)
			if x1-1 > x0 {
				slow(x1-1, y)
			}
			xs, xe = x0+1, x1-1
		}
		if xe <= xs {
			continue
		}
		o := y*st + xs
		cur := src[o : o+xe-xs]
		na := src[o+da : o+da+len(cur)]
		nb := src[o+db : o+db+len(cur)]
		out := dst[o : o+len(cur)]
		for i, v16 := range cur {
			v := int32(v16)
			a, b := int32(na[i]), int32(nb[i])
			e := 2 + sign(v-a) + sign(v-b)
			if off := edgeOff[e]; off != 0 {
				out[i] = uint16(min(max(v+off, 0), maxV))
			}
		}
	}
}

// sign is -1, 0 or 1 as v is negative, zero or positive, without branches:
// SAO's edge classes follow the texture, which no branch predictor guesses.
func sign(v int32) int {
	return int(v>>31 | int32(uint32(-v)>>31))
}
