package hevc

import "math/bits"

// Context variable indices (9.3.2.2). Only I slices are decoded, so each
// syntax element has the contexts of initType 0.
const (
	ctxSaoMerge       = 0
	ctxSaoType        = ctxSaoMerge + 1
	ctxSplitCU        = ctxSaoType + 1
	ctxBypassFlag     = ctxSplitCU + 3
	ctxPartMode       = ctxBypassFlag + 1
	ctxPrevIntraLuma  = ctxPartMode + 1
	ctxChromaMode     = ctxPrevIntraLuma + 1
	ctxSplitTransform = ctxChromaMode + 1
	ctxCbfLuma        = ctxSplitTransform + 3
	ctxCbfChroma      = ctxCbfLuma + 2
	ctxCuQPDelta      = ctxCbfChroma + 5
	ctxTransformSkip  = ctxCuQPDelta + 2
	ctxLastX          = ctxTransformSkip + 2
	ctxLastY          = ctxLastX + 18
	ctxCodedSubBlock  = ctxLastY + 18
	ctxSig            = ctxCodedSubBlock + 4
	ctxGreater1       = ctxSig + 44
	ctxGreater2       = ctxGreater1 + 24
	numCtx            = ctxGreater2 + 6
)

// ctxInit holds initValue for initType 0 (Tables 9-5 to 9-37), in the
// order of the indices above.
var ctxInit = [numCtx]uint8{
	153,           // sao_merge_left_flag, sao_merge_up_flag
	200,           // sao_type_idx_luma, sao_type_idx_chroma
	139, 141, 157, // split_cu_flag
	154,           // cu_transquant_bypass_flag
	184,           // part_mode
	184,           // prev_intra_luma_pred_flag
	63,            // intra_chroma_pred_mode
	153, 138, 138, // split_transform_flag
	111, 141, // cbf_luma
	94, 138, 182, 154, 154, // cbf_cb, cbf_cr
	154, 154, // cu_qp_delta_abs
	139, 139, // transform_skip_flag (luma, chroma)
	// last_sig_coeff_x_prefix
	110, 110, 124, 125, 140, 153, 125, 127, 140, 109, 111, 143, 127, 111, 79, 108, 123, 63,
	// last_sig_coeff_y_prefix
	110, 110, 124, 125, 140, 153, 125, 127, 140, 109, 111, 143, 127, 111, 79, 108, 123, 63,
	91, 171, 134, 141, // coded_sub_block_flag
	// sig_coeff_flag
	111, 111, 125, 110, 110, 94, 124, 108, 124, 107, 125, 141, 179, 153, 125, 107,
	125, 141, 179, 153, 125, 107, 125, 141, 179, 153, 125, 140, 139, 182, 182, 152,
	136, 152, 136, 153, 136, 139, 111, 136, 139, 111, 141, 111,
	// coeff_abs_level_greater1_flag
	140, 92, 137, 138, 140, 152, 138, 139, 153, 74, 149, 92, 139, 107, 122, 152,
	140, 179, 166, 182, 140, 227, 122, 197,
	138, 153, 136, 167, 152, 152, // coeff_abs_level_greater2_flag
}

// rangeTabLps is Table 9-52, indexed by pStateIdx and qRangeIdx.
var rangeTabLps = [64][4]uint8{
	{128, 176, 208, 240}, {128, 167, 197, 227}, {128, 158, 187, 216}, {123, 150, 178, 205},
	{116, 142, 169, 195}, {111, 135, 160, 185}, {105, 128, 152, 175}, {100, 122, 144, 166},
	{95, 116, 137, 158}, {90, 110, 130, 150}, {85, 104, 123, 142}, {81, 99, 117, 135},
	{77, 94, 111, 128}, {73, 89, 105, 122}, {69, 85, 100, 116}, {66, 80, 95, 110},
	{62, 76, 90, 104}, {59, 72, 86, 99}, {56, 69, 81, 94}, {53, 65, 77, 89},
	{51, 62, 73, 85}, {48, 59, 69, 80}, {46, 56, 66, 76}, {43, 53, 63, 72},
	{41, 50, 59, 69}, {39, 48, 56, 65}, {37, 45, 54, 62}, {35, 43, 51, 59},
	{33, 41, 48, 56}, {32, 39, 46, 53}, {30, 37, 43, 50}, {29, 35, 41, 48},
	{27, 33, 39, 45}, {26, 31, 37, 43}, {24, 30, 35, 41}, {23, 28, 33, 39},
	{22, 27, 32, 37}, {21, 26, 30, 35}, {20, 24, 29, 33}, {19, 23, 27, 31},
	{18, 22, 26, 30}, {17, 21, 25, 28}, {16, 20, 23, 27}, {15, 19, 22, 25},
	{14, 18, 21, 24}, {14, 17, 20, 23}, {13, 16, 19, 22}, {12, 15, 18, 21},
	{12, 14, 17, 20}, {11, 14, 16, 19}, {11, 13, 15, 18}, {10, 12, 15, 17},
	{10, 12, 14, 16}, {9, 11, 13, 15}, {9, 11, 12, 14}, {8, 10, 12, 14},
	{8, 9, 11, 13}, {7, 9, 11, 12}, {7, 9, 10, 12}, {7, 8, 10, 11},
	{6, 8, 9, 11}, {6, 7, 9, 10}, {6, 7, 8, 9}, {2, 2, 2, 2},
}

// transIdxLps is Table 9-53's LPS column; the MPS transition is state+1
// up to 62.
var transIdxLps = [64]uint8{
	0, 0, 1, 2, 2, 4, 4, 5, 6, 7, 8, 9, 9, 11, 11, 12,
	13, 13, 15, 15, 16, 16, 18, 18, 19, 19, 21, 21, 22, 22, 23, 24,
	24, 25, 26, 26, 27, 27, 28, 29, 29, 30, 30, 30, 31, 32, 32, 33,
	33, 33, 34, 34, 35, 35, 35, 36, 36, 36, 37, 37, 37, 38, 38, 63,
}

// A context variable is pStateIdx<<1 | valMps; nextMps and nextLps give
// the state after decoding the most or least probable symbol.
var nextMps, nextLps [128]uint8

func init() {
	for st := range 64 {
		for mps := range 2 {
			s := st<<1 | mps
			nextMps[s] = uint8(min(st+1, 62)<<1 | mps)
			if st == 63 {
				nextMps[s] = uint8(s)
			}
			if st == 0 {
				nextLps[s] = uint8(1 - mps)
			} else {
				nextLps[s] = transIdxLps[st]<<1 | uint8(mps)
			}
		}
	}
}

// cabac is the arithmetic decoding engine (9.3.4.3). val holds the 9-bit
// ivlOffset shifted left by 7 plus up to 7 bits read ahead; bitsNeeded
// counts from -8 up to 0 the shifts until the next byte is due.
type cabac struct {
	data       []byte
	pos        int
	rng        uint32
	val        uint32
	bitsNeeded int32
	ctx        [numCtx]uint8
}

func (c *cabac) readByte() uint32 {
	var b uint32
	if c.pos < len(c.data) {
		b = uint32(c.data[c.pos])
	}
	c.pos++
	return b
}

// start initializes the decoding engine at byte offset off (9.3.2.5).
func (c *cabac) start(off int) {
	c.pos = off
	c.rng = 510
	c.val = c.readByte()<<8 | c.readByte()
	c.bitsNeeded = -8
}

// overrun reports whether the engine has read past the end of the data by
// more than the look-ahead: the stream is truncated.
func (c *cabac) overrun() bool { return c.pos > len(c.data)+1 }

// initContexts initializes all context variables for SliceQpY qp (9.3.2.2).
func (c *cabac) initContexts(qp int) {
	qp = min(max(qp, 0), 51)
	for i, v := range ctxInit {
		m := int(v>>4)*5 - 45
		n := int(v&15)<<3 - 16
		pre := min(max((m*qp)>>4+n, 1), 126)
		if pre <= 63 {
			c.ctx[i] = uint8(63-pre) << 1
		} else {
			c.ctx[i] = uint8(pre-64)<<1 | 1
		}
	}
}

func (c *cabac) decodeBin(ci int) int {
	s := c.ctx[ci]
	lps := uint32(rangeTabLps[s>>1][(c.rng>>6)&3])
	c.rng -= lps
	scaled := c.rng << 7
	if c.val < scaled {
		c.ctx[ci] = nextMps[s]
		if scaled < 256<<7 {
			c.rng = scaled >> 6
			c.val <<= 1
			c.bitsNeeded++
			if c.bitsNeeded == 0 {
				c.bitsNeeded = -8
				c.val |= c.readByte()
			}
		}
		return int(s & 1)
	}
	c.val -= scaled
	n := bits.LeadingZeros32(lps) - 23
	c.val <<= uint(n)
	c.rng = lps << uint(n)
	c.ctx[ci] = nextLps[s]
	c.bitsNeeded += int32(n)
	if c.bitsNeeded >= 0 {
		c.val |= c.readByte() << uint(c.bitsNeeded)
		c.bitsNeeded -= 8
	}
	return int(s&1) ^ 1
}

func (c *cabac) bypass() int {
	c.val <<= 1
	c.bitsNeeded++
	if c.bitsNeeded >= 0 {
		c.bitsNeeded = -8
		c.val |= c.readByte()
	}
	scaled := c.rng << 7
	if c.val >= scaled {
		c.val -= scaled
		return 1
	}
	return 0
}

// bypassBits reads n bypass bins as an unsigned number, first bin most
// significant (fixed-length binarization).
func (c *cabac) bypassBits(n int) int {
	v := 0
	for range n {
		v = v<<1 | c.bypass()
	}
	return v
}

func (c *cabac) terminate() int {
	c.rng -= 2
	scaled := c.rng << 7
	if c.val >= scaled {
		return 1
	}
	if scaled < 256<<7 {
		c.rng = scaled >> 6
		c.val <<= 1
		c.bitsNeeded++
		if c.bitsNeeded == 0 {
			c.bitsNeeded = -8
			c.val |= c.readByte()
		}
	}
	return 0
}

// alignedPos is the byte offset after a terminating bin equal to 1: the
// encoder's flush (9.3.5.6) ends the code word with a one bit that is the
// last bit of the 9-bit window, followed by zero bits up to the byte
// boundary, and the engine has read exactly up to that boundary.
func (c *cabac) alignedPos() int { return c.pos }
