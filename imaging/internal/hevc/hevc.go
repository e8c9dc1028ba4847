package hevc

// Picture is one decoded picture, cropped by the SPS conformance window.
type Picture struct {
	Width, Height                int // luma samples
	ChromaFormat                 int // 0 = 4:0:0, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4
	BitDepthLuma, BitDepthChroma int
	Y, Cb, Cr                    []uint16 // Cb, Cr nil for 4:0:0
	YStride, CStride             int      // in samples
}

// Config is what the parameter sets say, before any sample is allocated.
type Config struct {
	Width, Height, ChromaFormat, BitDepthLuma, BitDepthChroma int
	// The VUI's video signal type (H.265 E.2.1): the code points of
	// ITU-T H.273, 2 (unspecified) where the VUI gives none, and FullRange
	// false where it does not say, as H.265 infers.
	ColourPrimaries, TransferCharacteristics, MatrixCoeffs int
	FullRange                                              bool
}

// stream is the parameter sets and slice segment NAL units of one picture.
type stream struct {
	spss   map[int]*sps
	ppss   map[int]*pps
	slices []nalUnit
}

type nalUnit struct {
	typ  int
	data []byte // RBSP after the two-byte header
}

func parseStream(nals [][]byte) (*stream, error) {
	st := &stream{spss: map[int]*sps{}, ppss: map[int]*pps{}}
	var ppsData [][]byte
	for _, nal := range nals {
		if len(nal) < 2 {
			return nil, formatErr("NAL unit of %d bytes", len(nal))
		}
		if nal[0]&0x80 != 0 {
			return nil, formatErr("forbidden_zero_bit set")
		}
		typ := int(nal[0] >> 1)
		layer := int(nal[0]&1)<<5 | int(nal[1]>>3)
		if layer != 0 {
			continue // another layer of a multi-layer stream: not the picture
		}
		switch {
		case typ == nalVPS:
			if err := parseVPS(rbsp(nal[2:])); err != nil {
				return nil, err
			}
		case typ == nalSPS:
			s, err := parseSPS(rbsp(nal[2:]))
			if err != nil {
				return nil, err
			}
			st.spss[s.id] = s
		case typ == nalPPS:
			// Parsed once all SPSs are known: a PPS may come first.
			ppsData = append(ppsData, rbsp(nal[2:]))
		case typ <= 9 || (typ >= nalBLAWLP && typ <= nalIDRNLP+1):
			// Coded slice segments; reserved VCL types are ignored (7.4.2.2).
			st.slices = append(st.slices, nalUnit{typ: typ, data: rbsp(nal[2:])})
		}
	}
	for _, data := range ppsData {
		p, err := parsePPS(data, st.spss)
		if err != nil {
			return nil, err
		}
		st.ppss[p.id] = p
	}
	if len(st.spss) == 0 {
		return nil, formatErr("no sequence parameter set")
	}
	return st, nil
}

// activeSPS is the SPS that the first slice's PPS names, or the only SPS
// when there is no slice.
func (st *stream) activeSPS() (*sps, error) {
	if len(st.slices) > 0 {
		r := &bitReader{data: st.slices[0].data}
		r.u(1) // first_slice_segment_in_pic_flag
		if st.slices[0].typ >= nalBLAWLP && st.slices[0].typ <= nalRsvIRAP23 {
			r.u(1)
		}
		id := r.ueMax("slice_pic_parameter_set_id", 63)
		if r.err != nil {
			return nil, r.err
		}
		p := st.ppss[id]
		if p == nil {
			return nil, formatErr("slice refers to missing PPS %d", id)
		}
		return st.spss[p.spsID], nil
	}
	if len(st.spss) > 1 {
		return nil, formatErr("several sequence parameter sets and no slice to choose one")
	}
	for _, s := range st.spss {
		return s, nil
	}
	return nil, formatErr("no sequence parameter set")
}

func (s *sps) config() Config {
	return Config{
		Width:          s.width - s.confLeft - s.confRight,
		Height:         s.height - s.confTop - s.confBottom,
		ChromaFormat:   s.chromaFormat,
		BitDepthLuma:   s.bitDepthY,
		BitDepthChroma: s.bitDepthC,

		ColourPrimaries:         s.colourPrimaries,
		TransferCharacteristics: s.transfer,
		MatrixCoeffs:            s.matrixCoeffs,
		FullRange:               s.fullRange,
	}
}

// DecodeConfig parses the parameter sets and returns the size and format of
// the picture that Decode would return, without decoding any sample.
// nals is as for Decode; slice segments may be left out.
func DecodeConfig(nals [][]byte) (Config, error) {
	st, err := parseStream(nals)
	if err != nil {
		return Config{}, err
	}
	s, err := st.activeSPS()
	if err != nil {
		return Config{}, err
	}
	return s.config(), nil
}

// Decode decodes one intra-coded picture.
// nals: VPS, SPS, PPS and the slice segment NAL units of one picture, each a raw NAL unit
// (2-byte header, emulation-prevention bytes still present), no start codes or length prefixes.
func Decode(nals [][]byte) (*Picture, error) {
	st, err := parseStream(nals)
	if err != nil {
		return nil, err
	}
	if len(st.slices) == 0 {
		return nil, formatErr("no slice segment")
	}
	s, err := st.activeSPS()
	if err != nil {
		return nil, err
	}
	d, err := decodePicture(st, s)
	if err != nil {
		return nil, err
	}
	pic := d.output()
	d.release()
	return pic, nil
}
