package heif

import "encoding/binary"

// A reader reads big-endian fields from a box's payload. The first read
// past the end sets err and every later read returns zero, so a parser
// reads a whole structure and checks once.
type reader struct {
	b   []byte
	err error
	ctx string // the box being read, for errors
}

func (r *reader) need(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = formatErr("%s is truncated", r.ctx)
		r.b = nil
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u8() int {
	if p := r.need(1); p != nil {
		return int(p[0])
	}
	return 0
}

func (r *reader) u16() int {
	if p := r.need(2); p != nil {
		return int(binary.BigEndian.Uint16(p))
	}
	return 0
}

func (r *reader) u32() uint32 {
	if p := r.need(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if p := r.need(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

// sized reads an unsigned field of n bytes (0, 4 or 8, as iloc allows; 2
// for the 16-bit item IDs of older box versions).
func (r *reader) sized(n int) uint64 {
	switch n {
	case 0:
		return 0
	case 2:
		return uint64(r.u16())
	case 4:
		return uint64(r.u32())
	case 8:
		return r.u64()
	}
	r.err = formatErr("%s has a field size of %d bytes", r.ctx, n)
	return 0
}

func (r *reader) fourCC() string { return string(r.need(4)) }

// fullBox reads the version and flags of a FullBox.
func (r *reader) fullBox() (version int, flags uint32) {
	v := r.u32()
	return int(v >> 24), v & 0xffffff
}

// A box is one box: its type and its payload (after the header).
type box struct {
	typ     string
	payload []byte
}

// boxes splits data into the boxes it consists of. Each box must lie wholly
// inside data; a size of 0 means "to the end", as at the top level.
func boxes(data []byte, ctx string) ([]box, error) {
	var out []box
	for len(data) > 0 {
		if len(data) < 8 {
			return nil, formatErr("%s ends in a partial box header", ctx)
		}
		size := uint64(binary.BigEndian.Uint32(data))
		typ := string(data[4:8])
		hdr := uint64(8)
		switch size {
		case 0:
			size = uint64(len(data))
		case 1:
			if len(data) < 16 {
				return nil, formatErr("%s box in %s is truncated", typ, ctx)
			}
			size, hdr = binary.BigEndian.Uint64(data[8:]), 16
		}
		if typ == "uuid" {
			hdr += 16
		}
		if size < hdr || size > uint64(len(data)) {
			return nil, formatErr("%s box in %s claims %d bytes where %d remain", typ, ctx, size, len(data))
		}
		out = append(out, box{typ: typ, payload: data[hdr:size]})
		data = data[size:]
	}
	return out, nil
}

func find(bs []box, typ string) *box {
	for i := range bs {
		if bs[i].typ == typ {
			return &bs[i]
		}
	}
	return nil
}
