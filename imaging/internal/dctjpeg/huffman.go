package dctjpeg

import "encoding/binary"

// lutBits is the number of bits resolved by one table lookup. Codes up to
// this length (nearly all of them in real files) decode in a single step.
const lutBits = 10

// huffTable is a decoding table built from a DHT segment (T.81 Annex C).
type huffTable struct {
	// lut maps the next lutBits bits to length<<8 | symbol, or 0 when the
	// code is longer than lutBits.
	lut [1 << lutBits]uint16
	// ac maps the next lutBits bits to a whole AC coefficient of a
	// sequential scan when the code and its magnitude bits both fit:
	// value<<16 | run<<8 | total length. An end of block has run acEOB,
	// which moves the zigzag index past the block. Zero means "use lut".
	ac [1 << lutBits]int32
	// For longer codes: the largest code of each length (-1 when none) and
	// the index in vals of the first code of each length, minus that code.
	maxCode [17]int32
	valOff  [17]int32
	vals    [256]uint8
	defined bool
}

// build fills t from the 16 code counts and the symbols of a DHT segment.
func (t *huffTable) build(counts *[16]uint8, symbols []uint8) error {
	*t = huffTable{}
	copy(t.vals[:], symbols)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		t.maxCode[l] = -1
		// All codes of length l must fit in l bits (C.2).
		if code+n > 1<<l {
			return formatErr("Huffman table has too many codes of length %d", l)
		}
		if n > 0 {
			t.valOff[l] = k - code
			for i := int32(0); i < n; i++ {
				c := code + i
				if l <= lutBits {
					sym := symbols[k+i]
					shift := lutBits - l
					e := uint16(l)<<8 | uint16(sym)
					for j := c << shift; j < (c+1)<<shift; j++ {
						t.lut[j] = e
					}
				}
			}
			code += n
			k += n
			t.maxCode[l] = code - 1
		}
		code <<= 1
	}
	for i, e := range t.lut {
		if e == 0 {
			continue
		}
		l, rs := int(e>>8), int(e&0xFF)
		run, size := rs>>4, rs&15
		if size == 0 {
			switch rs {
			case 0xF0: // ZRL: sixteen zeros, stored as a zero after a run of 15
				t.ac[i] = 15<<8 | int32(l)
			default: // EOB (or, invalid in a sequential scan, an EOB run)
				t.ac[i] = acEOB<<8 | int32(l)
			}
			continue
		}
		if l+size > lutBits {
			continue
		}
		bits := (i >> (lutBits - l - size)) & (1<<size - 1)
		v := extend(int32(bits), uint(size))
		t.ac[i] = v<<16 | int32(run)<<8 | int32(l+size)
	}
	t.defined = true
	return nil
}

// acEOB is the run of an end-of-block entry in huffTable.ac.
const acEOB = 64

// extend turns the size-bit magnitude category value into a signed value
// (T.81 F.2.2.1, "EXTEND").
func extend(v int32, size uint) int32 {
	if v < 1<<(size-1) {
		return v - (1 << size) + 1
	}
	return v
}

// bitReader reads entropy-coded bits from a source, removing the 0x00 bytes
// stuffed after each 0xFF. At a marker or at the end of the input it feeds
// zero bits instead and counts them, so that the hot loops never check for
// the end: consuming a fed bit is detected in refill and reported as a
// corrupt stream.
type bitReader struct {
	acc    uint64 // the next n bits, most significant first
	n      uint
	padded uint // zero bytes fed in after a marker or the end of input
	src    *source
	err    error
}

// refill tops the accumulator up to at least 57 bits.
func (b *bitReader) refill() {
	s := b.src
	if s.end-s.pos >= 8 && b.padded == 0 {
		v := binary.BigEndian.Uint64(s.buf[s.pos:])
		// No 0xFF byte among the eight: take as many whole bytes as fit.
		if x := ^v; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			k := (64 - b.n) >> 3
			if k < 8 {
				v &^= 1<<(64-8*k) - 1
			}
			b.acc |= v >> b.n
			b.n += 8 * k
			s.pos += int(k)
			return
		}
	}
	b.refillSlow()
}

func (b *bitReader) refillSlow() {
	s := b.src
	for b.n <= 56 {
		if b.padded == 0 && s.ensure(1) {
			c := s.buf[s.pos]
			if c != 0xFF {
				b.acc |= uint64(c) << (56 - b.n)
				b.n += 8
				s.pos++
				continue
			}
			if s.ensure(2) && s.buf[s.pos+1] == 0x00 {
				b.acc |= 0xFF << (56 - b.n)
				b.n += 8
				s.pos += 2
				continue
			}
		}
		// A marker or the end of input: feed zeros, leaving the marker unread.
		b.padded++
		b.n += 8
	}
	if b.n < 8*b.padded && b.err == nil {
		b.err = formatErr("entropy-coded data ends early (truncated or corrupt)")
	}
}

// reset drops buffered bits at the end of a scan or restart interval. The
// refill never reads past a marker, so the source is left at or before the
// marker that ends the interval.
func (b *bitReader) reset() {
	b.acc, b.n, b.padded = 0, 0, 0
}

// decode reads one Huffman-coded symbol. The caller guarantees n >= 16.
func (b *bitReader) decode(t *huffTable) uint8 {
	if e := t.lut[b.acc>>(64-lutBits)]; e != 0 {
		l := uint(e >> 8)
		b.acc <<= l
		b.n -= l
		return uint8(e)
	}
	return b.decodeSlow(t)
}

func (b *bitReader) decodeSlow(t *huffTable) uint8 {
	code := int32(b.acc >> 48)
	for l := uint(lutBits + 1); l <= 16; l++ {
		c := code >> (16 - l)
		if c <= t.maxCode[l] {
			b.acc <<= l
			b.n -= l
			return t.vals[uint8(c+t.valOff[l])]
		}
	}
	if b.err == nil {
		b.err = formatErr("bad Huffman code")
	}
	// Consume something so that callers make progress and stop soon.
	b.acc <<= 16
	b.n -= 16
	return 0
}

// receive reads size raw bits and sign-extends them. The caller guarantees
// n >= size.
func (b *bitReader) receive(size uint) int32 {
	if size == 0 {
		return 0
	}
	v := int32(b.acc >> (64 - size))
	b.acc <<= size
	b.n -= size
	return extend(v, size)
}

// bits reads size raw bits (size <= 16).
func (b *bitReader) bits(size uint) uint32 {
	if size == 0 {
		return 0
	}
	if b.n < size {
		b.refill()
	}
	v := uint32(b.acc >> (64 - size))
	b.acc <<= size
	b.n -= size
	return v
}
