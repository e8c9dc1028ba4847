package hevc

// NAL unit types (Table 7-1) this package looks at.
const (
	nalBLAWLP    = 16
	nalIDRWRADL  = 19
	nalIDRNLP    = 20
	nalRsvIRAP23 = 23
	nalVPS       = 32
	nalSPS       = 33
	nalPPS       = 34
)

// sps holds the sequence parameter set fields the decoder uses (7.3.2.2).
type sps struct {
	id                   int
	chromaFormat         int
	width, height        int // pic_width/height_in_luma_samples
	confLeft, confRight  int // in luma samples
	confTop, confBottom  int
	bitDepthY, bitDepthC int
	// The VUI's video signal type; see Config.
	colourPrimaries, transfer, matrixCoeffs int
	fullRange                               bool
	log2MaxPocLsb                           int
	log2MinCb, log2Ctb                      int
	log2MinTb, log2MaxTb                    int
	maxTrafoDepthIntra                      int
	scalingListEnabled                      bool
	scaling                                 *scalingFactors // nil: flat, or given by the PPS
	pcmEnabled                              bool
	pcmBitDepthY                            int
	pcmBitDepthC                            int
	log2MinPcm                              int
	log2MaxPcm                              int
	pcmLoopFilterOff                        bool
	numShortTermRPS                         int
	rpsDeltaCount                           []int // NumDeltaPocs of each st_ref_pic_set in the SPS
	longTermRefsPresent                     bool
	numLongTermRefsSPS                      int
	temporalMVP                             bool
	strongIntraSmooth                       bool
	sao                                     bool

	picWCtb, picHCtb int
}

// pps holds the picture parameter set fields the decoder uses (7.3.2.3).
type pps struct {
	id, spsID               int
	dependentSlices         bool
	outputFlagPresent       bool
	numExtraSliceHeaderBits int
	signDataHiding          bool
	initQP                  int // 26 + init_qp_minus26
	transformSkip           bool
	cuQPDeltaEnabled        bool
	diffCuQPDeltaDepth      int
	cbQPOffset, crQPOffset  int
	sliceChromaQPOffsets    bool
	transquantBypass        bool
	tiles                   bool
	entropySync             bool
	colWidths, rowHeights   []int // in CTBs; set by setup
	uniformSpacing          bool
	loopFilterAcrossTiles   bool
	loopFilterAcrossSlices  bool
	deblockOverride         bool
	deblockDisabled         bool
	betaOffset, tcOffset    int // the _div2 values
	scaling                 *scalingFactors
	listsModification       bool
	sliceHeaderExtension    bool
	numTileCols, numTileRow int
}

// Limits on the picture size: a side is at most MaxSide luma samples and the
// picture at most MaxPixels. Both are far above what HEIF tiles or camera
// images use, and keep a hostile stream from allocating gigabytes.
const (
	MaxSide   = 16384
	MaxPixels = 1 << 26
)

// maxCrop bounds the samples the conformance window removes across the
// width or the height: twice the largest coding tree block.
const maxCrop = 128

func parseVPS(data []byte) error {
	r := &bitReader{data: data}
	r.u(4) // vps_video_parameter_set_id
	r.u(2) // vps_base_layer_internal_flag, vps_base_layer_available_flag
	if maxLayers := r.u(6); maxLayers != 0 && r.err == nil {
		return unsupported("%d layers", maxLayers+1)
	}
	return r.err
}

func parseProfileTierLevel(r *bitReader, maxSubLayersMinus1 int) (profile int, compat uint32) {
	r.u(2) // general_profile_space
	r.u(1) // general_tier_flag
	profile = int(r.u(5))
	compat = r.u(32)
	r.u(32) // progressive, interlaced, non-packed, frame-only, 44 constraint bits
	r.u(16)
	r.u(8) // general_level_idc
	subProfile := make([]bool, maxSubLayersMinus1)
	subLevel := make([]bool, maxSubLayersMinus1)
	for i := range maxSubLayersMinus1 {
		subProfile[i] = r.flag()
		subLevel[i] = r.flag()
	}
	if maxSubLayersMinus1 > 0 {
		for i := maxSubLayersMinus1; i < 8; i++ {
			r.u(2)
		}
	}
	for i := range maxSubLayersMinus1 {
		if subProfile[i] {
			r.u(32)
			r.u(32)
			r.u(24)
		}
		if subLevel[i] {
			r.u(8)
		}
	}
	return profile, compat
}

func parseSPS(data []byte) (*sps, error) {
	r := &bitReader{data: data}
	s := &sps{colourPrimaries: 2, transfer: 2, matrixCoeffs: 2}
	r.u(4) // sps_video_parameter_set_id
	maxSubLayersMinus1 := int(r.u(3))
	if maxSubLayersMinus1 > 6 {
		return nil, formatErr("sps_max_sub_layers_minus1 %d", maxSubLayersMinus1)
	}
	r.u(1) // sps_temporal_id_nesting_flag
	profile, compat := parseProfileTierLevel(r, maxSubLayersMinus1)
	s.id = r.ueMax("sps_seq_parameter_set_id", 15)
	s.chromaFormat = r.ueMax("chroma_format_idc", 3)
	if r.err != nil {
		return nil, r.err
	}
	if s.chromaFormat == 3 {
		if r.flag() {
			return nil, unsupported("separate colour planes")
		}
	}
	w, h := r.ue(), r.ue()
	if r.err != nil {
		return nil, r.err
	}
	if w == 0 || h == 0 || w > MaxSide || h > MaxSide || uint64(w)*uint64(h) > MaxPixels {
		return nil, formatErr("picture size %dx%d out of bounds (at most %d per side, %d pixels)", w, h, MaxSide, MaxPixels)
	}
	s.width, s.height = int(w), int(h)
	subW, subH := 1, 1
	if s.chromaFormat == 1 {
		subW, subH = 2, 2
	} else if s.chromaFormat == 2 {
		subW = 2
	}
	if r.flag() { // conformance_window_flag
		s.confLeft = subW * r.ueMax("conf_win_left_offset", MaxSide)
		s.confRight = subW * r.ueMax("conf_win_right_offset", MaxSide)
		s.confTop = subH * r.ueMax("conf_win_top_offset", MaxSide)
		s.confBottom = subH * r.ueMax("conf_win_bottom_offset", MaxSide)
		if r.err == nil && (s.confLeft+s.confRight >= s.width || s.confTop+s.confBottom >= s.height) {
			return nil, formatErr("conformance window leaves no picture")
		}
		// Encoders crop only their padding to whole coding blocks; a
		// larger window would hide the coded size from a caller's pixel
		// budget, which looks at the cropped size.
		if r.err == nil && (s.confLeft+s.confRight > maxCrop || s.confTop+s.confBottom > maxCrop) {
			return nil, unsupported("conformance window cropping more than %d samples", maxCrop)
		}
	}
	s.bitDepthY = 8 + r.ueMax("bit_depth_luma_minus8", 8)
	s.bitDepthC = 8 + r.ueMax("bit_depth_chroma_minus8", 8)
	s.log2MaxPocLsb = 4 + r.ueMax("log2_max_pic_order_cnt_lsb_minus4", 12)
	subLayerOrdering := r.flag()
	start := maxSubLayersMinus1
	if subLayerOrdering {
		start = 0
	}
	for i := start; i <= maxSubLayersMinus1; i++ {
		r.ueMax("sps_max_dec_pic_buffering_minus1", 15)
		r.ueMax("sps_max_num_reorder_pics", 15)
		r.ue() // sps_max_latency_increase_plus1
	}
	s.log2MinCb = 3 + r.ueMax("log2_min_luma_coding_block_size_minus3", 3)
	s.log2Ctb = s.log2MinCb + r.ueMax("log2_diff_max_min_luma_coding_block_size", 3)
	s.log2MinTb = 2 + r.ueMax("log2_min_luma_transform_block_size_minus2", 3)
	s.log2MaxTb = s.log2MinTb + r.ueMax("log2_diff_max_min_luma_transform_block_size", 3)
	r.ueMax("max_transform_hierarchy_depth_inter", 4)
	s.maxTrafoDepthIntra = r.ueMax("max_transform_hierarchy_depth_intra", 4)
	if r.err != nil {
		return nil, r.err
	}
	if s.log2Ctb < 4 || s.log2Ctb > 6 {
		return nil, formatErr("CTB size %d", 1<<s.log2Ctb)
	}
	if s.log2MinTb >= s.log2MinCb || s.log2MaxTb > 5 || s.log2MaxTb > s.log2Ctb {
		return nil, formatErr("transform block sizes %d..%d with coding blocks %d..%d",
			1<<s.log2MinTb, 1<<s.log2MaxTb, 1<<s.log2MinCb, 1<<s.log2Ctb)
	}
	if s.width%(1<<s.log2MinCb) != 0 || s.height%(1<<s.log2MinCb) != 0 {
		return nil, formatErr("picture size %dx%d not a multiple of the minimum coding block %d", s.width, s.height, 1<<s.log2MinCb)
	}
	s.scalingListEnabled = r.flag()
	if s.scalingListEnabled {
		if r.flag() { // sps_scaling_list_data_present_flag
			sf, err := parseScalingListData(r)
			if err != nil {
				return nil, err
			}
			s.scaling = sf
		} else {
			s.scaling = defaultScalingFactors()
		}
	}
	r.u(1) // amp_enabled_flag
	s.sao = r.flag()
	s.pcmEnabled = r.flag()
	if s.pcmEnabled {
		s.pcmBitDepthY = 1 + int(r.u(4))
		s.pcmBitDepthC = 1 + int(r.u(4))
		s.log2MinPcm = 3 + r.ueMax("log2_min_pcm_luma_coding_block_size_minus3", 2)
		s.log2MaxPcm = s.log2MinPcm + r.ueMax("log2_diff_max_min_pcm_luma_coding_block_size", 2)
		s.pcmLoopFilterOff = r.flag()
		if r.err == nil && (s.log2MaxPcm > min(s.log2Ctb, 5) || s.log2MinPcm < min(s.log2MinCb, 5) ||
			s.pcmBitDepthY > s.bitDepthY || s.pcmBitDepthC > s.bitDepthC) {
			return nil, formatErr("PCM parameters out of range")
		}
	}
	s.numShortTermRPS = r.ueMax("num_short_term_ref_pic_sets", 64)
	for i := 0; i < s.numShortTermRPS && r.err == nil; i++ {
		n, err := parseShortTermRPS(r, i, s.numShortTermRPS, s.rpsDeltaCount)
		if err != nil {
			return nil, err
		}
		s.rpsDeltaCount = append(s.rpsDeltaCount, n)
	}
	s.longTermRefsPresent = r.flag()
	if s.longTermRefsPresent {
		s.numLongTermRefsSPS = r.ueMax("num_long_term_ref_pics_sps", 32)
		for range s.numLongTermRefsSPS {
			r.u(s.log2MaxPocLsb)
			r.u(1)
		}
	}
	s.temporalMVP = r.flag()
	s.strongIntraSmooth = r.flag()
	if r.flag() { // vui_parameters_present_flag
		parseVUI(r, s, maxSubLayersMinus1)
	}
	if r.flag() { // sps_extension_present_flag
		rangeExt := r.flag()
		multilayer := r.flag()
		ext3D := r.flag()
		scc := r.flag()
		r.u(4)
		if rangeExt {
			// transform_skip_rotation .. cabac_bypass_alignment: nine flags.
			if f := r.u(9); f != 0 && r.err == nil {
				return nil, unsupported("range extension coding tools (flags %09b)", f)
			}
		}
		if (multilayer || ext3D || scc) && r.err == nil {
			return nil, unsupported("multilayer, 3D or screen content extensions")
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	switch {
	case profile == 1 || profile == 2 || profile == 3 || compat&(1<<(31-1)|1<<(31-2)|1<<(31-3)) != 0:
	case profile == 4 || compat&(1<<(31-4)) != 0:
		// Format range extensions: accepted while within the checks below.
	default:
		return nil, unsupported("profile %d", profile)
	}
	if s.chromaFormat != 0 && s.chromaFormat != 1 {
		return nil, unsupported("chroma format %s", chromaName[s.chromaFormat])
	}
	if s.bitDepthY > 10 || s.bitDepthC > 10 {
		return nil, unsupported("%d-bit samples", max(s.bitDepthY, s.bitDepthC))
	}
	s.picWCtb = (s.width + 1<<s.log2Ctb - 1) >> s.log2Ctb
	s.picHCtb = (s.height + 1<<s.log2Ctb - 1) >> s.log2Ctb
	return s, nil
}

var chromaName = [4]string{"4:0:0", "4:2:0", "4:2:2", "4:4:4"}

// parseShortTermRPS reads st_ref_pic_set(idx) (7.3.7) and returns its
// NumDeltaPocs; intra pictures use no reference, but the syntax must be
// walked to reach the fields behind it.
func parseShortTermRPS(r *bitReader, idx, num int, counts []int) (int, error) {
	if idx != 0 && r.flag() { // inter_ref_pic_set_prediction_flag
		delta := 1
		if idx == num {
			delta = 1 + r.ueMax("delta_idx_minus1", uint32(idx-1))
		}
		r.u(1)                                   // delta_rps_sign
		r.ueMax("abs_delta_rps_minus1", 1<<15-1) // abs_delta_rps_minus1
		ref := idx - delta
		if r.err != nil || ref < 0 || ref >= len(counts) {
			return 0, formatErr("bad reference picture set prediction")
		}
		n := 0
		for j := 0; j <= counts[ref]; j++ {
			used := r.flag()
			useDelta := true
			if !used {
				useDelta = r.flag()
			}
			if useDelta {
				n++
			}
		}
		if n > 16 {
			return 0, formatErr("reference picture set with %d pictures", n)
		}
		return n, r.err
	}
	neg := r.ueMax("num_negative_pics", 16)
	pos := r.ueMax("num_positive_pics", 16)
	if neg+pos > 16 {
		return 0, formatErr("reference picture set with %d pictures", neg+pos)
	}
	for range neg + pos {
		r.ueMax("delta_poc_minus1", 1<<15-1)
		r.u(1)
	}
	return neg + pos, r.err
}

func parseVUI(r *bitReader, s *sps, maxSubLayersMinus1 int) {
	if r.flag() { // aspect_ratio_info_present_flag
		if r.u(8) == 255 {
			r.u(32)
		}
	}
	if r.flag() { // overscan_info_present_flag
		r.u(1)
	}
	if r.flag() { // video_signal_type_present_flag
		r.u(3) // video_format
		s.fullRange = r.flag()
		if r.flag() { // colour_description_present_flag
			s.colourPrimaries, s.transfer, s.matrixCoeffs = int(r.u(8)), int(r.u(8)), int(r.u(8))
		}
	}
	if r.flag() { // chroma_loc_info_present_flag
		r.ue()
		r.ue()
	}
	r.u(3)        // neutral_chroma_indication, field_seq, frame_field_info_present
	if r.flag() { // default_display_window_flag
		for range 4 {
			r.ue()
		}
	}
	if r.flag() { // vui_timing_info_present_flag
		r.u(32)
		r.u(32)
		if r.flag() {
			r.ue()
		}
		if r.flag() { // vui_hrd_parameters_present_flag
			parseHRD(r, true, maxSubLayersMinus1)
		}
	}
	if r.flag() { // bitstream_restriction_flag
		r.u(3)
		for range 5 {
			r.ue()
		}
	}
}

func parseHRD(r *bitReader, common bool, maxSubLayersMinus1 int) {
	nal, vcl, subPic := false, false, false
	if common {
		nal, vcl = r.flag(), r.flag()
		if nal || vcl {
			subPic = r.flag()
			if subPic {
				r.u(8 + 5 + 1 + 5)
			}
			r.u(8)
			if subPic {
				r.u(4)
			}
			r.u(15)
		}
	}
	for i := 0; i <= maxSubLayersMinus1 && r.err == nil; i++ {
		fixedGeneral := r.flag()
		fixedWithin := true
		if !fixedGeneral {
			fixedWithin = r.flag()
		}
		lowDelay := false
		if fixedWithin {
			r.ue()
		} else {
			lowDelay = r.flag()
		}
		cpbCnt := 1
		if !lowDelay {
			cpbCnt = 1 + r.ueMax("cpb_cnt_minus1", 31)
		}
		for range btoi(nal) + btoi(vcl) {
			for range cpbCnt {
				r.ue()
				r.ue()
				if subPic {
					r.ue()
					r.ue()
				}
				r.u(1)
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func parsePPS(data []byte, spss map[int]*sps) (*pps, error) {
	r := &bitReader{data: data}
	p := &pps{}
	p.id = r.ueMax("pps_pic_parameter_set_id", 63)
	p.spsID = r.ueMax("pps_seq_parameter_set_id", 15)
	if r.err != nil {
		return nil, r.err
	}
	s := spss[p.spsID]
	if s == nil {
		return nil, formatErr("PPS refers to missing SPS %d", p.spsID)
	}
	p.dependentSlices = r.flag()
	p.outputFlagPresent = r.flag()
	p.numExtraSliceHeaderBits = int(r.u(3))
	p.signDataHiding = r.flag()
	r.u(1) // cabac_init_present_flag
	r.ueMax("num_ref_idx_l0_default_active_minus1", 14)
	r.ueMax("num_ref_idx_l1_default_active_minus1", 14)
	qpBdOffsetY := 6 * (s.bitDepthY - 8)
	p.initQP = 26 + r.seRange("init_qp_minus26", -(26+qpBdOffsetY), 25)
	r.u(1) // constrained_intra_pred_flag: every block of an intra picture is intra
	p.transformSkip = r.flag()
	p.cuQPDeltaEnabled = r.flag()
	if p.cuQPDeltaEnabled {
		p.diffCuQPDeltaDepth = r.ueMax("diff_cu_qp_delta_depth", uint32(s.log2Ctb-s.log2MinCb))
	}
	p.cbQPOffset = r.seRange("pps_cb_qp_offset", -12, 12)
	p.crQPOffset = r.seRange("pps_cr_qp_offset", -12, 12)
	p.sliceChromaQPOffsets = r.flag()
	r.u(2) // weighted_pred_flag, weighted_bipred_flag
	p.transquantBypass = r.flag()
	p.tiles = r.flag()
	p.entropySync = r.flag()
	if r.err != nil {
		return nil, r.err
	}
	p.numTileCols, p.numTileRow = 1, 1
	if p.tiles {
		p.numTileCols = 1 + r.ueMax("num_tile_columns_minus1", uint32(s.picWCtb-1))
		p.numTileRow = 1 + r.ueMax("num_tile_rows_minus1", uint32(s.picHCtb-1))
		p.uniformSpacing = r.flag()
		if r.err != nil {
			return nil, r.err
		}
		if !p.uniformSpacing {
			p.colWidths = make([]int, p.numTileCols)
			p.rowHeights = make([]int, p.numTileRow)
			sum := 0
			for i := 0; i < p.numTileCols-1; i++ {
				p.colWidths[i] = 1 + r.ueMax("column_width_minus1", uint32(s.picWCtb-1))
				sum += p.colWidths[i]
			}
			if sum >= s.picWCtb {
				return nil, formatErr("tile columns wider than the picture")
			}
			p.colWidths[p.numTileCols-1] = s.picWCtb - sum
			sum = 0
			for i := 0; i < p.numTileRow-1; i++ {
				p.rowHeights[i] = 1 + r.ueMax("row_height_minus1", uint32(s.picHCtb-1))
				sum += p.rowHeights[i]
			}
			if sum >= s.picHCtb {
				return nil, formatErr("tile rows taller than the picture")
			}
			p.rowHeights[p.numTileRow-1] = s.picHCtb - sum
		}
		p.loopFilterAcrossTiles = r.flag()
	}
	if p.uniformSpacing || !p.tiles {
		p.colWidths = make([]int, p.numTileCols)
		for i := range p.colWidths {
			p.colWidths[i] = (i+1)*s.picWCtb/p.numTileCols - i*s.picWCtb/p.numTileCols
		}
		p.rowHeights = make([]int, p.numTileRow)
		for i := range p.rowHeights {
			p.rowHeights[i] = (i+1)*s.picHCtb/p.numTileRow - i*s.picHCtb/p.numTileRow
		}
	}
	p.loopFilterAcrossSlices = r.flag()
	if r.flag() { // deblocking_filter_control_present_flag
		p.deblockOverride = r.flag()
		p.deblockDisabled = r.flag()
		if !p.deblockDisabled {
			p.betaOffset = r.seRange("pps_beta_offset_div2", -6, 6)
			p.tcOffset = r.seRange("pps_tc_offset_div2", -6, 6)
		}
	}
	p.scaling = s.scaling
	if r.flag() { // pps_scaling_list_data_present_flag
		if !s.scalingListEnabled {
			return nil, formatErr("PPS scaling list without scaling_list_enabled_flag")
		}
		sf, err := parseScalingListData(r)
		if err != nil {
			return nil, err
		}
		p.scaling = sf
	}
	p.listsModification = r.flag()
	r.ue() // log2_parallel_merge_level_minus2
	p.sliceHeaderExtension = r.flag()
	if r.flag() { // pps_extension_present_flag
		rangeExt := r.flag()
		other := r.u(7)
		if rangeExt {
			if p.transformSkip {
				if r.ue() != 0 && r.err == nil {
					return nil, unsupported("transform skip on blocks larger than 4x4")
				}
			}
			if r.flag() && r.err == nil {
				return nil, unsupported("cross-component prediction")
			}
			if r.flag() && r.err == nil {
				return nil, unsupported("chroma QP offset lists")
			}
			lumaScale, chromaScale := r.ue(), r.ue() // log2_sao_offset_scale_luma, _chroma
			if (lumaScale != 0 || chromaScale != 0) && r.err == nil {
				return nil, unsupported("scaled SAO offsets")
			}
		}
		if other&0x70 != 0 && r.err == nil {
			return nil, unsupported("multilayer, 3D or screen content extensions")
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return p, nil
}
