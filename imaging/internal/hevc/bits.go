package hevc

// rbsp removes the emulation prevention bytes (0x000003) from a NAL unit's
// payload, as H.265 clause 7.4.2 describes.
func rbsp(nal []byte) []byte {
	out := make([]byte, 0, len(nal))
	zeros := 0
	for _, b := range nal {
		if zeros >= 2 && b == 3 {
			zeros = 0
			continue
		}
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, b)
	}
	return out
}

// bitReader reads the fixed- and variable-length codes of parameter sets
// and slice headers (clause 7.2, 9.2). Reading past the end sets err and
// yields zeros, so that a parser checks once per structure.
type bitReader struct {
	data []byte
	pos  int // in bits
	err  error
}

func (r *bitReader) u(n int) uint32 {
	var v uint32
	for range n {
		v <<= 1
		if r.pos >= len(r.data)*8 {
			if r.err == nil {
				r.err = formatErr("truncated header")
			}
			r.pos++
			continue
		}
		v |= uint32(r.data[r.pos>>3]>>(7-r.pos&7)) & 1
		r.pos++
	}
	return v
}

func (r *bitReader) flag() bool { return r.u(1) == 1 }

// ue reads an unsigned Exp-Golomb code; codes longer than 32 bits are
// invalid in every syntax element this package reads.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.u(1) == 0 {
		zeros++
		if zeros > 31 || r.err != nil {
			if r.err == nil {
				r.err = formatErr("Exp-Golomb code too long")
			}
			return 0
		}
	}
	if zeros == 0 {
		return 0
	}
	return (1<<zeros - 1) + r.u(zeros)
}

func (r *bitReader) se() int32 {
	k := r.ue()
	if k&1 == 1 {
		return int32((k + 1) / 2)
	}
	return -int32(k / 2)
}

// ueMax reads ue(v) and checks it against the inclusive bound max.
func (r *bitReader) ueMax(name string, max uint32) int {
	v := r.ue()
	if v > max && r.err == nil {
		r.err = formatErr("%s %d out of range 0..%d", name, v, max)
	}
	if r.err != nil {
		return 0
	}
	return int(v)
}

// seRange reads se(v) and checks it against the inclusive range min..max.
func (r *bitReader) seRange(name string, min, max int) int {
	v := int(r.se())
	if (v < min || v > max) && r.err == nil {
		r.err = formatErr("%s %d out of range %d..%d", name, v, min, max)
	}
	if r.err != nil {
		return 0
	}
	return v
}
