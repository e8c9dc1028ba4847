package heif

// HEIF lets the coded image describe its colour when there is no colr nclx
// property (ISO/IEC 23008-12 6.5.5.1): for HEVC, in the video signal type of
// the sequence parameter set's VUI (ITU-T H.265 E.2.1). The SPS fields before
// the VUI are walked here only to reach it; the decoder reads them for
// itself.

// spsBits reads the bits of an RBSP, most significant first. Reads past
// the end return zeros and set over.
type spsBits struct {
	b    []byte
	pos  int
	over bool
}

func (r *spsBits) u(n int) int {
	v := 0
	for range n {
		if r.pos >= 8*len(r.b) {
			r.over = true
			return 0
		}
		v = v<<1 | int(r.b[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

func (r *spsBits) ue() int {
	zeros := 0
	for r.u(1) == 0 {
		if r.over || zeros == 31 {
			r.over = true
			return 0
		}
		zeros++
	}
	return 1<<zeros - 1 + r.u(zeros)
}

func (r *spsBits) se() int {
	v := r.ue()
	if v&1 == 1 {
		return (v + 1) / 2
	}
	return -v / 2
}

// rbsp removes the emulation prevention bytes of a NAL unit's payload.
func rbsp(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// videoSignal returns the colour description of an SPS NAL unit's VUI:
// Type "nclx", with the code points 2 (unspecified) where the VUI gives
// none, and FullRange false when it does not say, as H.265 infers. ok is
// false when the SPS cannot be walked to its end.
func videoSignal(nal []byte) (c Colour, ok bool) {
	c = Colour{Type: "nclx", Primaries: 2, TransferCharacteristics: 2, MatrixCoeffs: 2}
	if len(nal) < 3 {
		return c, false
	}
	r := &spsBits{b: rbsp(nal[2:])}
	r.u(4) // sps_video_parameter_set_id
	maxSubLayers := r.u(3)
	r.u(1)
	skipProfileTierLevel(r, maxSubLayers)
	r.ue() // sps_seq_parameter_set_id
	if r.ue() == 3 {
		r.u(1) // separate_colour_plane_flag
	}
	r.ue()
	r.ue()
	if r.u(1) == 1 { // conformance_window_flag
		for range 4 {
			r.ue()
		}
	}
	r.ue()
	r.ue()
	log2MaxPocLsb := r.ue() + 4
	first := maxSubLayers
	if r.u(1) == 1 { // sps_sub_layer_ordering_info_present_flag
		first = 0
	}
	for i := first; i <= maxSubLayers && !r.over; i++ {
		r.ue()
		r.ue()
		r.ue()
	}
	for range 6 {
		r.ue() // coding and transform block sizes, transform hierarchy depths
	}
	if r.u(1) == 1 { // scaling_list_enabled_flag
		if r.u(1) == 1 { // sps_scaling_list_data_present_flag
			skipScalingListData(r)
		}
	}
	r.u(1)           // amp_enabled_flag
	r.u(1)           // sample_adaptive_offset_enabled_flag
	if r.u(1) == 1 { // pcm_enabled_flag
		r.u(8)
		r.ue()
		r.ue()
		r.u(1)
	}
	if !skipShortTermRefPicSets(r) {
		return c, false
	}
	if r.u(1) == 1 { // long_term_ref_pics_present_flag
		n := r.ue()
		for i := 0; i < n && !r.over; i++ {
			r.u(log2MaxPocLsb)
			r.u(1)
		}
	}
	r.u(1)           // sps_temporal_mvp_enabled_flag
	r.u(1)           // strong_intra_smoothing_enabled_flag
	if r.u(1) == 1 { // vui_parameters_present_flag
		if r.u(1) == 1 && r.u(8) == 255 { // aspect_ratio_info_present_flag, aspect_ratio_idc: EXTENDED_SAR
			r.u(32)
		}
		if r.u(1) == 1 { // overscan_info_present_flag
			r.u(1)
		}
		if r.u(1) == 1 { // video_signal_type_present_flag
			r.u(3)
			c.FullRange = r.u(1) == 1
			if r.u(1) == 1 { // colour_description_present_flag
				c.Primaries, c.TransferCharacteristics, c.MatrixCoeffs = r.u(8), r.u(8), r.u(8)
			}
		}
	}
	return c, !r.over
}

// skipProfileTierLevel reads profile_tier_level(1, maxSubLayersMinus1) (7.3.3).
func skipProfileTierLevel(r *spsBits, maxSubLayersMinus1 int) {
	r.u(88) // general profile
	r.u(8)  // general_level_idc
	var profile, level [8]int
	for i := range maxSubLayersMinus1 {
		profile[i], level[i] = r.u(1), r.u(1)
	}
	if maxSubLayersMinus1 > 0 {
		for i := maxSubLayersMinus1; i < 8; i++ {
			r.u(2)
		}
	}
	for i := range maxSubLayersMinus1 {
		r.u(88 * profile[i])
		r.u(8 * level[i])
	}
}

// skipScalingListData reads scaling_list_data() (7.3.4).
func skipScalingListData(r *spsBits) {
	for size := 0; size < 4; size++ {
		step := 1
		if size == 3 {
			step = 3
		}
		for m := 0; m < 6; m += step {
			if r.u(1) == 0 { // scaling_list_pred_mode_flag
				r.ue()
				continue
			}
			n := min(64, 1<<(4+2*size))
			if size > 1 {
				r.se()
			}
			for i := 0; i < n && !r.over; i++ {
				r.se()
			}
		}
	}
}

// skipShortTermRefPicSets reads num_short_term_ref_pic_sets and the sets
// (7.3.7), which only the prediction of later sets from earlier ones makes
// more than a list of numbers.
func skipShortTermRefPicSets(r *spsBits) bool {
	n := r.ue()
	if n > 64 {
		return false
	}
	deltas := make([]int, n) // NumDeltaPocs of each set
	for i := 0; i < n && !r.over; i++ {
		if i > 0 && r.u(1) == 1 { // inter_ref_pic_set_prediction_flag
			r.u(1) // delta_rps_sign
			r.ue() // abs_delta_rps_minus1
			ref := deltas[i-1]
			for j := 0; j <= ref && !r.over; j++ {
				used := r.u(1)
				if used == 1 || r.u(1) == 1 { // use_delta_flag
					deltas[i]++
				}
			}
			continue
		}
		neg, pos := r.ue(), r.ue()
		if neg > 16 || pos > 16 {
			return false
		}
		for range neg + pos {
			r.ue()
			r.u(1)
		}
		deltas[i] = neg + pos
	}
	return !r.over
}
