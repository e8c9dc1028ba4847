package hevc

// transformTree parses transform_tree() (7.3.8.8) and reconstructs its
// blocks; cbfCb and cbfCr are the parent's chroma coded block flags.
func (d *picDecoder) transformTree(x0, y0, xBase, yBase, log2Size, depth, blkIdx int, parentCb, parentCr bool) error {
	s, c := d.s, &d.c
	maxDepth := s.maxTrafoDepthIntra + btoi(d.intraSplit)
	var split bool
	if log2Size <= s.log2MaxTb && log2Size > s.log2MinTb && depth < maxDepth && !(d.intraSplit && depth == 0) {
		split = c.decodeBin(ctxSplitTransform+5-log2Size) == 1
	} else {
		split = log2Size > s.log2MaxTb || (d.intraSplit && depth == 0)
	}
	cbfCb, cbfCr := false, false
	if d.numPlanes == 3 {
		if log2Size > 2 {
			if depth == 0 || parentCb {
				cbfCb = c.decodeBin(ctxCbfChroma+depth) == 1
			}
			if depth == 0 || parentCr {
				cbfCr = c.decodeBin(ctxCbfChroma+depth) == 1
			}
		} else {
			cbfCb, cbfCr = parentCb, parentCr
		}
	}
	if split {
		half := 1 << (log2Size - 1)
		for i := range 4 {
			if err := d.transformTree(x0+(i&1)*half, y0+(i>>1)*half, x0, y0, log2Size-1, depth+1, i, cbfCb, cbfCr); err != nil {
				return err
			}
		}
		return nil
	}
	cbfLuma := c.decodeBin(ctxCbfLuma+btoi(depth == 0)) == 1
	return d.transformUnit(x0, y0, xBase, yBase, log2Size, blkIdx, cbfLuma, cbfCb, cbfCr)
}

// transformUnit parses transform_unit() (7.3.8.10) and reconstructs the
// luma block and, where it belongs to this unit, the chroma blocks.
func (d *picDecoder) transformUnit(x0, y0, xBase, yBase, log2Size, blkIdx int, cbfLuma, cbfCb, cbfCr bool) error {
	c := &d.c
	if (cbfLuma || cbfCb || cbfCr) && d.p.cuQPDeltaEnabled && !d.qpDeltaSet {
		abs := 0
		if c.decodeBin(ctxCuQPDelta) == 1 {
			abs = 1
			for abs < 5 && c.decodeBin(ctxCuQPDelta+1) == 1 {
				abs++
			}
			if abs == 5 {
				k := 0
				for c.bypass() == 1 {
					abs += 1 << k
					k++
					if k > 16 {
						return formatErr("cu_qp_delta_abs too long")
					}
				}
				abs += c.bypassBits(k)
			}
		}
		delta := abs
		if abs > 0 && c.bypass() == 1 {
			delta = -abs
		}
		if delta < -(26+d.qpBdY/2) || delta > 25+d.qpBdY/2 {
			return formatErr("CuQpDeltaVal %d out of range", delta)
		}
		d.qpDeltaSet = true
		d.cuQPDelta = delta
		d.setQpY()
	}
	size := 1 << log2Size
	d.markEdges(x0, y0, size)
	lumaMode := int(d.ipm[(y0>>2)*d.w4+x0>>2])
	d.predict(0, x0, y0, log2Size, lumaMode)
	if cbfLuma {
		if err := d.residual(0, x0, y0, log2Size, lumaMode); err != nil {
			return err
		}
	}
	if d.numPlanes != 3 {
		return nil
	}
	if log2Size > 2 {
		return d.chromaBlocks(x0/2, y0/2, log2Size-1, cbfCb, cbfCr)
	}
	if blkIdx == 3 {
		return d.chromaBlocks(xBase/2, yBase/2, 2, cbfCb, cbfCr)
	}
	return nil
}

// chromaBlocks predicts and reconstructs the Cb and Cr blocks at chroma
// location (xC, yC).
func (d *picDecoder) chromaBlocks(xC, yC, log2Size int, cbfCb, cbfCr bool) error {
	for cIdx, cbf := range [3]bool{1: cbfCb, 2: cbfCr} {
		if cIdx == 0 {
			continue
		}
		d.predict(cIdx, xC, yC, log2Size, d.chromaMode)
		if cbf {
			if err := d.residual(cIdx, xC, yC, log2Size, d.chromaMode); err != nil {
				return err
			}
		}
	}
	return nil
}

// ctxIdxMap gives sig_coeff_flag contexts in 4x4 blocks (Table 9-50).
var ctxIdxMap = [16]uint8{0, 1, 4, 5, 2, 3, 4, 5, 6, 6, 8, 8, 7, 7, 8, 8}

// residual parses residual_coding() (7.3.8.11) for the block of 1<<log2Size
// at (x0, y0) in plane cIdx and adds the decoded residual to the
// prediction there.
func (d *picDecoder) residual(cIdx, x0, y0, log2Size, predMode int) error {
	c := &d.c
	size := 1 << log2Size
	tskip := false
	if d.p.transformSkip && !d.cuBypass && log2Size == 2 {
		tskip = c.decodeBin(ctxTransformSkip+min(cIdx, 1)) == 1
	}
	var ctxOffset, ctxShift int
	if cIdx == 0 {
		ctxOffset, ctxShift = 3*(log2Size-2)+(log2Size-1)>>2, (log2Size+1)>>2
	} else {
		ctxOffset, ctxShift = 15, log2Size-2
	}
	maxPrefix := log2Size<<1 - 1
	px, py := 0, 0
	for px < maxPrefix && c.decodeBin(ctxLastX+ctxOffset+px>>ctxShift) == 1 {
		px++
	}
	for py < maxPrefix && c.decodeBin(ctxLastY+ctxOffset+py>>ctxShift) == 1 {
		py++
	}
	lastX, lastY := px, py
	if px > 3 {
		n := px>>1 - 1
		lastX = (1<<n)*(2+px&1) + c.bypassBits(n)
	}
	if py > 3 {
		n := py>>1 - 1
		lastY = (1<<n)*(2+py&1) + c.bypassBits(n)
	}
	scanIdx := 0
	if log2Size == 2 || (log2Size == 3 && cIdx == 0) {
		if predMode >= 6 && predMode <= 14 {
			scanIdx = 2
		} else if predMode >= 22 && predMode <= 30 {
			scanIdx = 1
		}
	}
	if scanIdx == 2 {
		lastX, lastY = lastY, lastX
	}
	log2Sb := log2Size - 2
	sbW := 1 << log2Sb
	sbScan := scanOrder[log2Sb][scanIdx]
	inScan := scanOrder[2][scanIdx]
	lastSub := int(scanPos[log2Sb][scanIdx][(lastY>>2)<<log2Sb|lastX>>2])
	lastPos := int(scanPos[2][scanIdx][(lastY&3)<<2|lastX&3])

	signHiding := d.p.signDataHiding && !d.cuBypass
	coeff := d.coeff[:size*size]
	var csbf [64]uint8
	maxX, maxY := 0, 0
	c1 := 1
	for i := lastSub; i >= 0; i-- {
		xS, yS := int(sbScan[i].x), int(sbScan[i].y)
		right := xS+1 < sbW && csbf[yS*8+xS+1] != 0
		below := yS+1 < sbW && csbf[(yS+1)*8+xS] != 0
		inferDC := false
		if i < lastSub && i > 0 {
			inc := 0
			if right || below {
				inc = 1
			}
			if cIdx > 0 {
				inc += 2
			}
			csbf[yS*8+xS] = uint8(c.decodeBin(ctxCodedSubBlock + inc))
			inferDC = true
		} else {
			csbf[yS*8+xS] = 1
		}
		var sig [16]uint8 // scan positions n of significant coefficients, n decreasing
		nSig := 0
		n := 15
		if i == lastSub {
			sig[0] = uint8(lastPos)
			nSig = 1
			n = lastPos - 1
		}
		if csbf[yS*8+xS] != 0 {
			prevCsbf := btoi(right) | btoi(below)<<1
			ctxs := &sigCtxTable[log2Size-2][min(cIdx, 1)][scanIdx][prevCsbf][btoi(i > 0)]
			for ; n >= 0; n-- {
				if n == 0 && inferDC {
					sig[nSig] = 0
					nSig++
					break
				}
				if c.decodeBin(ctxSig+int(ctxs[n])) == 1 {
					sig[nSig] = uint8(n)
					nSig++
					inferDC = false
				}
			}
		}
		if nSig == 0 {
			continue
		}
		ctxSet := 0
		if i > 0 && cIdx == 0 {
			ctxSet = 2
		}
		if c1 == 0 {
			ctxSet++
		}
		c1 = 1
		g1Base := ctxGreater1 + ctxSet*4
		if cIdx > 0 {
			g1Base += 16
		}
		var abs [16]int32
		firstG1 := -1
		for k := range min(nSig, 8) {
			abs[k] = 1
			if c.decodeBin(g1Base+c1) == 1 {
				abs[k] = 2
				c1 = 0
				if firstG1 < 0 {
					firstG1 = k
				}
			} else if c1 > 0 && c1 < 3 {
				c1++
			}
		}
		for k := 8; k < nSig; k++ {
			abs[k] = 1
		}
		if firstG1 >= 0 {
			g2 := ctxGreater2 + ctxSet
			if cIdx > 0 {
				g2 += 4
			}
			abs[firstG1] += int32(c.decodeBin(g2))
		}
		hidden := signHiding && int(sig[0])-int(sig[nSig-1]) > 3
		nSigns := nSig
		if hidden {
			nSigns--
		}
		signs := uint32(c.bypassBits(nSigns)) << (32 - nSigns)
		rice := 0
		sum := int32(0)
		for k := range nSig {
			base := abs[k]
			thresh := int32(1)
			if k < 8 {
				thresh = 2
				if k == firstG1 {
					thresh = 3
				}
			}
			if base == thresh {
				rem, err := d.levelRemaining(rice)
				if err != nil {
					return err
				}
				abs[k] += rem
				if abs[k] > 3<<rice {
					rice = min(rice+1, 4)
				}
				if abs[k] > 32768 {
					return formatErr("coefficient level out of range")
				}
			}
			v := abs[k]
			sum += v
			if k < nSigns {
				if signs&(1<<31) != 0 {
					v = -v
				}
				signs <<= 1
			} else if sum&1 == 1 {
				v = -v
			}
			xC, yC := xS<<2+int(inScan[sig[k]].x), yS<<2+int(inScan[sig[k]].y)
			coeff[yC<<log2Size+xC] = v
			maxX, maxY = max(maxX, xC), max(maxY, yC)
		}
	}
	d.reconstruct(cIdx, x0, y0, log2Size, tskip, maxX, maxY)
	return nil
}

// levelRemaining reads coeff_abs_level_remaining (9.3.3.11) with Rice
// parameter rice.
func (d *picDecoder) levelRemaining(rice int) (int32, error) {
	c := &d.c
	prefix := 0
	for c.bypass() == 1 {
		prefix++
		if prefix > 32 {
			return 0, formatErr("coeff_abs_level_remaining prefix too long")
		}
	}
	if prefix <= 3 {
		return int32(prefix<<rice + c.bypassBits(rice)), nil
	}
	n := prefix - 3 + rice
	if n > 20 {
		return 0, formatErr("coeff_abs_level_remaining out of range")
	}
	return int32((1<<(prefix-3)+2)<<rice + c.bypassBits(n)), nil
}

// sigCtxTable[log2Size-2][cIdx>0][scanIdx][prevCsbf][subblock>0][n] is
// sig_coeff_flag's ctxInc at scan position n of a sub-block; it depends on
// the sub-block's position only through whether it is the first one.
var sigCtxTable [4][2][3][4][2][16]uint8

func init() {
	for log2 := 2; log2 <= 5; log2++ {
		for c := range 2 {
			for scanIdx := range 3 {
				for prev := range 4 {
					for sub := range 2 {
						for n, p := range scanOrder[2][scanIdx] {
							xC, yC := int(p.x)+4*sub, int(p.y) // any sub-block but the first
							if sub == 0 {
								xC = int(p.x)
							}
							sigCtxTable[log2-2][c][scanIdx][prev][sub][n] = uint8(sigCtx(log2, c, xC, yC, scanIdx, prev))
						}
					}
				}
			}
		}
	}
}

// sigCtx derives ctxInc of sig_coeff_flag (9.3.4.2.5).
func sigCtx(log2Size, cIdx, xC, yC, scanIdx, prevCsbf int) int {
	var sc int
	switch {
	case log2Size == 2:
		sc = int(ctxIdxMap[yC<<2|xC])
	case xC+yC == 0:
		sc = 0
	default:
		xP, yP := xC&3, yC&3
		switch prevCsbf {
		case 0:
			switch {
			case xP+yP == 0:
				sc = 2
			case xP+yP < 3:
				sc = 1
			}
		case 1:
			sc = max(2-yP, 0)
		case 2:
			sc = max(2-xP, 0)
		default:
			sc = 2
		}
		if cIdx == 0 && (xC > 3 || yC > 3) {
			sc += 3
		}
		switch {
		case log2Size == 3 && scanIdx == 0:
			sc += 9
		case log2Size == 3:
			sc += 15
		case cIdx == 0:
			sc += 21
		default:
			sc += 12
		}
	}
	if cIdx > 0 {
		sc += 27
	}
	return sc
}
