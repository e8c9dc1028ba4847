package hevc

// codingTreeUnit parses and reconstructs one CTU (7.3.8.2).
func (d *picDecoder) codingTreeUnit() error {
	s := d.s
	x0 := (d.ctbAddrRs % s.picWCtb) << s.log2Ctb
	y0 := (d.ctbAddrRs / s.picWCtb) << s.log2Ctb
	if d.h.saoLuma || d.h.saoChroma {
		d.parseSAO(x0>>s.log2Ctb, y0>>s.log2Ctb)
	}
	return d.codingQuadtree(x0, y0, s.log2Ctb, 0)
}

// parseSAO reads sao() (7.3.8.3).
func (d *picDecoder) parseSAO(rx, ry int) {
	s, c := d.s, &d.c
	rs := d.ctbAddrRs
	if rx > 0 && rs-1 >= d.h.sliceAddrRs && d.tileID[rs] == d.tileID[rs-1] && d.ctbSlice[rs-1] >= 0 &&
		c.decodeBin(ctxSaoMerge) == 1 {
		d.sao[rs] = d.sao[rs-1]
		return
	}
	up := rs - s.picWCtb
	if ry > 0 && up >= d.h.sliceAddrRs && d.tileID[rs] == d.tileID[up] && d.ctbSlice[up] >= 0 &&
		c.decodeBin(ctxSaoMerge) == 1 {
		d.sao[rs] = d.sao[up]
		return
	}
	var sp saoParams
	for cIdx := range d.numPlanes {
		if (cIdx == 0 && !d.h.saoLuma) || (cIdx > 0 && !d.h.saoChroma) {
			continue
		}
		bitDepth := s.bitDepthY
		if cIdx > 0 {
			bitDepth = s.bitDepthC
		}
		switch cIdx {
		case 0, 1:
			if c.decodeBin(ctxSaoType) == 0 {
				sp.typ[cIdx] = 0
			} else if c.bypass() == 0 {
				sp.typ[cIdx] = 1
			} else {
				sp.typ[cIdx] = 2
			}
		case 2:
			sp.typ[2] = sp.typ[1]
		}
		if sp.typ[cIdx] == 0 {
			continue
		}
		cMax := 1<<(min(bitDepth, 10)-5) - 1
		var abs [4]int
		for i := range abs {
			for abs[i] < cMax && c.bypass() == 1 {
				abs[i]++
			}
		}
		if sp.typ[cIdx] == 1 {
			for i := range abs {
				if abs[i] != 0 && c.bypass() == 1 {
					abs[i] = -abs[i]
				}
			}
			sp.class[cIdx] = uint8(c.bypassBits(5))
		} else {
			abs[2], abs[3] = -abs[2], -abs[3]
			switch cIdx {
			case 0, 1:
				sp.class[cIdx] = uint8(c.bypassBits(2))
			case 2:
				sp.class[2] = sp.class[1]
			}
		}
		for i := range abs {
			sp.offsets[cIdx][i] = int8(abs[i])
		}
	}
	d.sao[rs] = sp
}

// codingQuadtree parses coding_quadtree() (7.3.8.4).
func (d *picDecoder) codingQuadtree(x0, y0, log2Cb, depth int) error {
	s := d.s
	size := 1 << log2Cb
	var split bool
	if x0+size <= s.width && y0+size <= s.height && log2Cb > s.log2MinCb {
		inc := 0
		if d.avail(x0, y0, x0-1, y0) && int(d.depth[(y0>>2)*d.w4+(x0-1)>>2]) > depth {
			inc++
		}
		if d.avail(x0, y0, x0, y0-1) && int(d.depth[((y0-1)>>2)*d.w4+x0>>2]) > depth {
			inc++
		}
		split = d.c.decodeBin(ctxSplitCU+inc) == 1
	} else {
		split = log2Cb > s.log2MinCb
	}
	if d.p.cuQPDeltaEnabled && log2Cb >= d.log2QG {
		d.qpDeltaSet = false
		d.cuQPDelta = 0
	}
	if split {
		half := size >> 1
		x1, y1 := x0+half, y0+half
		if err := d.codingQuadtree(x0, y0, log2Cb-1, depth+1); err != nil {
			return err
		}
		if x1 < s.width {
			if err := d.codingQuadtree(x1, y0, log2Cb-1, depth+1); err != nil {
				return err
			}
		}
		if y1 < s.height {
			if err := d.codingQuadtree(x0, y1, log2Cb-1, depth+1); err != nil {
				return err
			}
		}
		if x1 < s.width && y1 < s.height {
			if err := d.codingQuadtree(x1, y1, log2Cb-1, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return d.codingUnit(x0, y0, log2Cb, depth)
}

// fill4 sets v in a per-4x4 array a, w4 blocks wide, over the luma block
// (x0, y0, size).
func fill4[T ~uint8 | ~int8](a []T, w4, x0, y0, size int, v T) {
	n := size >> 2
	for y := range n {
		row := a[((y0>>2)+y)*w4+x0>>2:]
		for x := range n {
			row[x] = v
		}
	}
}

// markEdges records the left and top edges of a transform or coding block
// for the deblocking filter.
func (d *picDecoder) markEdges(x0, y0, size int) {
	n := size >> 2
	base := (y0>>2)*d.w4 + x0>>2
	for i := range n {
		d.flags[base+i*d.w4] |= flagEdgeV
		d.flags[base+i] |= flagEdgeH
	}
}

// startQG derives qPY_PRED for the quantization group at (xQg, yQg) (8.6.1).
func (d *picDecoder) startQG(xQg, yQg int) {
	prev := d.lastQpY
	if d.resetQP {
		prev = d.h.qpY
		d.resetQP = false
	}
	ctbMask := 1<<d.s.log2Ctb - 1
	a, b := prev, prev
	if xQg&ctbMask != 0 {
		a = int(d.qp[(yQg>>2)*d.w4+(xQg-1)>>2])
	}
	if yQg&ctbMask != 0 {
		b = int(d.qp[((yQg-1)>>2)*d.w4+xQg>>2])
	}
	d.qpPred = (a + b + 1) >> 1
}

func (d *picDecoder) setQpY() {
	d.qpY = (d.qpPred+d.cuQPDelta+52+2*d.qpBdY)%(52+d.qpBdY) - d.qpBdY
}

// codingUnit parses and reconstructs coding_unit() (7.3.8.5).
func (d *picDecoder) codingUnit(x0, y0, log2Cb, depth int) error {
	s, c := d.s, &d.c
	size := 1 << log2Cb
	qgMask := 1<<d.log2QG - 1
	if x0&qgMask == 0 && y0&qgMask == 0 {
		d.startQG(x0, y0)
	}
	d.setQpY()
	d.cuBypass = false
	if d.p.transquantBypass {
		d.cuBypass = c.decodeBin(ctxBypassFlag) == 1
	}
	d.intraSplit = false
	if log2Cb == s.log2MinCb {
		d.intraSplit = c.decodeBin(ctxPartMode) == 0
		if d.intraSplit && log2Cb-1 < s.log2MinTb {
			return formatErr("NxN partition of a %dx%d coding block below the minimum transform size", size, size)
		}
	}
	fill4(d.depth, d.w4, x0, y0, size, uint8(depth))
	pcm := false
	if !d.intraSplit && s.pcmEnabled && log2Cb >= s.log2MinPcm && log2Cb <= s.log2MaxPcm {
		pcm = c.terminate() == 1
	}
	var fl uint8
	if d.cuBypass || (pcm && s.pcmLoopFilterOff) {
		fl = flagNoFilter
	}
	fill4(d.flags, d.w4, x0, y0, size, fl)
	d.markEdges(x0, y0, size)
	if pcm {
		fill4(d.ipm, d.w4, x0, y0, size, 1) // neighbours see PCM blocks as DC
		if err := d.pcmSample(x0, y0, log2Cb); err != nil {
			return err
		}
	} else {
		if err := d.intraModes(x0, y0, log2Cb); err != nil {
			return err
		}
		if err := d.transformTree(x0, y0, x0, y0, log2Cb, 0, 0, false, false); err != nil {
			return err
		}
	}
	fill4(d.qp, d.w4, x0, y0, size, int8(d.qpY))
	d.lastQpY = d.qpY
	return nil
}

// pcmSample reads pcm_sample() (7.3.8.7) and restarts the arithmetic
// decoder after it (9.3.2.5).
func (d *picDecoder) pcmSample(x0, y0, log2Cb int) error {
	s := d.s
	r := &bitReader{data: d.c.data, pos: d.c.alignedPos() * 8}
	size := 1 << log2Cb
	put := func(cIdx, x0, y0, n, pcmDepth, depth int) {
		pl, st := d.planes[cIdx], d.stride[cIdx]
		for y := range n {
			for x := range n {
				pl[(y0+y)*st+x0+x] = uint16(r.u(pcmDepth) << (depth - pcmDepth))
			}
		}
	}
	put(0, x0, y0, size, s.pcmBitDepthY, s.bitDepthY)
	if d.numPlanes == 3 {
		put(1, x0/2, y0/2, size/2, s.pcmBitDepthC, s.bitDepthC)
		put(2, x0/2, y0/2, size/2, s.pcmBitDepthC, s.bitDepthC)
	}
	if r.err != nil {
		return formatErr("PCM samples truncated")
	}
	d.c.start(r.pos / 8)
	return nil
}

// intraModes parses the luma and chroma intra prediction modes of a coding
// unit and derives them (8.4.2, 8.4.3).
func (d *picDecoder) intraModes(x0, y0, log2Cb int) error {
	c := &d.c
	nParts, pbSize := 1, 1<<log2Cb
	if d.intraSplit {
		nParts, pbSize = 4, pbSize/2
	}
	var prevFlag [4]int
	for i := range nParts {
		prevFlag[i] = c.decodeBin(ctxPrevIntraLuma)
	}
	for i := range nParts {
		xPb := x0 + (i&1)*pbSize
		yPb := y0 + (i>>1)*pbSize
		candA, candB := 1, 1
		if d.avail(xPb, yPb, xPb-1, yPb) {
			candA = int(d.ipm[(yPb>>2)*d.w4+(xPb-1)>>2])
		}
		if yPb&(1<<d.s.log2Ctb-1) != 0 && d.avail(xPb, yPb, xPb, yPb-1) {
			candB = int(d.ipm[((yPb-1)>>2)*d.w4+xPb>>2])
		}
		var list [3]int
		if candA == candB {
			if candA < 2 {
				list = [3]int{0, 1, 26}
			} else {
				list = [3]int{candA, 2 + (candA+29)%32, 2 + (candA-2+1)%32}
			}
		} else {
			list[0], list[1] = candA, candB
			switch {
			case candA != 0 && candB != 0:
				list[2] = 0
			case candA != 1 && candB != 1:
				list[2] = 1
			default:
				list[2] = 26
			}
		}
		var mode int
		if prevFlag[i] == 1 {
			idx := 0
			if c.bypass() == 1 {
				idx = 1 + c.bypass()
			}
			mode = list[idx]
		} else {
			mode = c.bypassBits(5)
			if list[0] > list[1] {
				list[0], list[1] = list[1], list[0]
			}
			if list[0] > list[2] {
				list[0], list[2] = list[2], list[0]
			}
			if list[1] > list[2] {
				list[1], list[2] = list[2], list[1]
			}
			for _, m := range list {
				if mode >= m {
					mode++
				}
			}
		}
		fill4(d.ipm, d.w4, xPb, yPb, pbSize, uint8(mode))
	}
	if d.numPlanes == 3 {
		v := 4
		if c.decodeBin(ctxChromaMode) == 1 {
			v = c.bypassBits(2)
		}
		luma := int(d.ipm[(y0>>2)*d.w4+x0>>2])
		if v == 4 {
			d.chromaMode = luma
		} else {
			d.chromaMode = [4]int{0, 26, 10, 1}[v]
			if d.chromaMode == luma {
				d.chromaMode = 34
			}
		}
	}
	return nil
}
