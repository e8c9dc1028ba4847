package dctjpeg

import (
	"bytes"
	"encoding/binary"
	"io"
)

// sourceBufSize is large enough that refills are rare and small enough that
// the decoder never holds more than a sliver of the compressed file.
const sourceBufSize = 64 << 10

// source is a buffered reader that lets the bit reader look at raw bytes
// and lets the marker scanner skip entropy-coded data without copying it.
type source struct {
	r   io.Reader
	buf []byte
	pos int // next unread byte
	end int // end of valid bytes
	eof bool
	err error // first non-EOF read error
}

func newSource(r io.Reader) *source {
	return &source{r: r, buf: make([]byte, sourceBufSize)}
}

// fill moves the unread bytes to the front of the buffer and reads more. It
// reports whether at least one new byte arrived.
func (s *source) fill() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	for zeros := 0; s.end < len(s.buf); {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
		// A reader that keeps returning (0, nil) must not spin forever.
		if zeros++; zeros > 100 {
			s.eof = true
			s.err = io.ErrNoProgress
			return false
		}
	}
	return true
}

// ensure makes at least n unread bytes available, returning false at the end
// of the input.
func (s *source) ensure(n int) bool {
	for s.end-s.pos < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// eofError is the error to report when the input ends early.
func (s *source) eofError(what string) error {
	if s.err != nil {
		return s.err
	}
	return formatErr("unexpected end of data in %s", what)
}

func (s *source) readByte(what string) (byte, error) {
	if !s.ensure(1) {
		return 0, s.eofError(what)
	}
	b := s.buf[s.pos]
	s.pos++
	return b, nil
}

func (s *source) readUint16(what string) (int, error) {
	if !s.ensure(2) {
		return 0, s.eofError(what)
	}
	v := binary.BigEndian.Uint16(s.buf[s.pos:])
	s.pos += 2
	return int(v), nil
}

// readFull reads len(p) bytes into p.
func (s *source) readFull(p []byte, what string) error {
	for len(p) > 0 {
		if s.pos == s.end && !s.fill() {
			return s.eofError(what)
		}
		n := copy(p, s.buf[s.pos:s.end])
		s.pos += n
		p = p[n:]
	}
	return nil
}

func (s *source) skip(n int, what string) error {
	for n > 0 {
		if s.pos == s.end && !s.fill() {
			return s.eofError(what)
		}
		k := min(n, s.end-s.pos)
		s.pos += k
		n -= k
	}
	return nil
}

// nextMarker skips any bytes up to the next marker and returns its code
// (the byte after 0xFF). Stuffed zero bytes and restart markers inside
// entropy-coded data are skipped when skipRST is set, which is how scans
// that add nothing at the chosen scale are passed over without decoding.
func (s *source) nextMarker(skipRST bool) (byte, error) {
	for {
		if s.pos == s.end && !s.fill() {
			return 0, s.eofError("marker search")
		}
		i := bytes.IndexByte(s.buf[s.pos:s.end], 0xFF)
		if i < 0 {
			s.pos = s.end
			continue
		}
		s.pos += i
		if !s.ensure(2) {
			return 0, s.eofError("marker search")
		}
		m := s.buf[s.pos+1]
		switch {
		case m == 0x00:
			s.pos += 2
		case m == 0xFF:
			// Fill byte: the marker code follows later.
			s.pos++
		case skipRST && m >= rst0 && m <= rst7:
			s.pos += 2
		default:
			s.pos += 2
			return m, nil
		}
	}
}
