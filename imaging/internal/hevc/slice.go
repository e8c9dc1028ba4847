package hevc

// sliceHeader holds the slice segment header fields the decoder uses
// (7.3.6.1). A dependent slice segment copies the fields of the independent
// segment before it.
type sliceHeader struct {
	first       bool
	dependent   bool
	segmentAddr int // slice_segment_address, in raster scan
	sliceAddrRs int // SliceAddrRs: the address of the independent segment
	sliceType   int
	saoLuma     bool
	saoChroma   bool
	qpY         int // SliceQpY
	cbQPOffset  int
	crQPOffset  int
	deblockOff  bool
	betaOffset  int
	tcOffset    int
	lfAcross    bool // slice_loop_filter_across_slices_enabled_flag
	numEntryPts int
	dataOffset  int // byte offset of slice_segment_data in the RBSP
	ppsID       int
}

const (
	sliceB = 0
	sliceP = 1
	sliceI = 2
)

func ceilLog2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return k
}

// parseSliceHeader reads a slice segment header; prev is the header of the
// previous slice segment of the picture, nil for the first.
func parseSliceHeader(nal nalUnit, ppss map[int]*pps, spss map[int]*sps, prev *sliceHeader) (*sliceHeader, *pps, error) {
	r := &bitReader{data: nal.data}
	h := &sliceHeader{}
	h.first = r.flag()
	if nal.typ >= nalBLAWLP && nal.typ <= nalRsvIRAP23 {
		r.u(1) // no_output_of_prior_pics_flag
	}
	h.ppsID = r.ueMax("slice_pic_parameter_set_id", 63)
	if r.err != nil {
		return nil, nil, r.err
	}
	p := ppss[h.ppsID]
	if p == nil {
		return nil, nil, formatErr("slice refers to missing PPS %d", h.ppsID)
	}
	s := spss[p.spsID]
	if h.first != (prev == nil) {
		if h.first {
			return nil, nil, unsupported("more than one picture")
		}
		return nil, nil, formatErr("first slice segment of the picture missing")
	}
	if prev != nil && prev.ppsID != h.ppsID {
		return nil, nil, formatErr("slice segments of one picture name different PPSs")
	}
	if !h.first {
		if p.dependentSlices {
			h.dependent = r.flag()
		}
		n := s.picWCtb * s.picHCtb
		h.segmentAddr = int(r.u(ceilLog2(n)))
		if h.segmentAddr >= n && r.err == nil {
			return nil, nil, formatErr("slice_segment_address %d beyond %d CTBs", h.segmentAddr, n)
		}
	}
	if h.dependent {
		if prev == nil {
			return nil, nil, formatErr("dependent slice segment without a slice")
		}
		saved := *h
		*h = *prev
		h.first, h.dependent, h.segmentAddr = saved.first, true, saved.segmentAddr
	} else {
		h.sliceAddrRs = h.segmentAddr
		r.u(p.numExtraSliceHeaderBits)
		h.sliceType = r.ueMax("slice_type", 2)
		if r.err != nil {
			return nil, nil, r.err
		}
		if h.sliceType != sliceI {
			return nil, nil, unsupported("%s slices (only intra pictures are decoded)", [...]string{"B", "P"}[h.sliceType])
		}
		if p.outputFlagPresent {
			r.u(1)
		}
		if nal.typ != nalIDRWRADL && nal.typ != nalIDRNLP {
			r.u(s.log2MaxPocLsb) // slice_pic_order_cnt_lsb
			if !r.flag() {       // short_term_ref_pic_set_sps_flag
				if _, err := parseShortTermRPS(r, s.numShortTermRPS, s.numShortTermRPS, s.rpsDeltaCount); err != nil {
					return nil, nil, err
				}
			} else if s.numShortTermRPS > 1 {
				r.u(ceilLog2(s.numShortTermRPS))
			} else if s.numShortTermRPS == 0 {
				return nil, nil, formatErr("slice uses a reference picture set of the SPS, which has none")
			}
			if s.longTermRefsPresent {
				numSPS := 0
				if s.numLongTermRefsSPS > 0 {
					numSPS = r.ueMax("num_long_term_sps", uint32(s.numLongTermRefsSPS))
				}
				numPics := r.ueMax("num_long_term_pics", 32)
				for i := 0; i < numSPS+numPics && r.err == nil; i++ {
					if i < numSPS {
						if s.numLongTermRefsSPS > 1 {
							r.u(ceilLog2(s.numLongTermRefsSPS))
						}
					} else {
						r.u(s.log2MaxPocLsb)
						r.u(1)
					}
					if r.flag() { // delta_poc_msb_present_flag
						r.ue()
					}
				}
			}
			if s.temporalMVP {
				r.u(1)
			}
		}
		if s.sao {
			h.saoLuma = r.flag()
			if s.chromaFormat != 0 {
				h.saoChroma = r.flag()
			}
		}
		qpBdOffsetY := 6 * (s.bitDepthY - 8)
		h.qpY = p.initQP + r.seRange("slice_qp_delta", -(p.initQP+qpBdOffsetY), 51-p.initQP)
		if p.sliceChromaQPOffsets {
			h.cbQPOffset = r.seRange("slice_cb_qp_offset", -12, 12)
			h.crQPOffset = r.seRange("slice_cr_qp_offset", -12, 12)
			if r.err == nil && (p.cbQPOffset+h.cbQPOffset < -12 || p.cbQPOffset+h.cbQPOffset > 12 ||
				p.crQPOffset+h.crQPOffset < -12 || p.crQPOffset+h.crQPOffset > 12) {
				return nil, nil, formatErr("chroma QP offsets out of range")
			}
		}
		override := false
		if p.deblockOverride {
			override = r.flag()
		}
		h.deblockOff, h.betaOffset, h.tcOffset = p.deblockDisabled, p.betaOffset, p.tcOffset
		if override {
			h.deblockOff = r.flag()
			if !h.deblockOff {
				h.betaOffset = r.seRange("slice_beta_offset_div2", -6, 6)
				h.tcOffset = r.seRange("slice_tc_offset_div2", -6, 6)
			}
		}
		h.lfAcross = p.loopFilterAcrossSlices
		if p.loopFilterAcrossSlices && (h.saoLuma || h.saoChroma || !h.deblockOff) {
			h.lfAcross = r.flag()
		}
	}
	h.numEntryPts = 0
	if p.tiles || p.entropySync {
		h.numEntryPts = r.ueMax("num_entry_point_offsets", uint32(s.picWCtb*s.picHCtb))
		if h.numEntryPts > 0 {
			bits := 1 + r.ueMax("offset_len_minus1", 31)
			for i := 0; i < h.numEntryPts && r.err == nil; i++ {
				r.u(bits)
			}
		}
	}
	if p.sliceHeaderExtension {
		n := r.ueMax("slice_segment_header_extension_length", 256)
		r.pos += 8 * n
	}
	// byte_alignment(): a one bit, then zeros to the byte boundary.
	if !r.flag() && r.err == nil {
		return nil, nil, formatErr("slice header alignment bit is zero")
	}
	r.pos = (r.pos + 7) &^ 7
	if r.err != nil {
		return nil, nil, r.err
	}
	if r.pos/8 >= len(r.data) {
		return nil, nil, formatErr("slice segment without data")
	}
	h.dataOffset = r.pos / 8
	return h, p, nil
}
