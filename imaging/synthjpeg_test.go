package imaging

import (
	"bytes"
	"math"
	"math/bits"
	"testing"
)

// synthJPEG describes a JPEG written straight from made-up DCT
// coefficients: image/jpeg writes only baseline 4:2:0, and the decoder's
// memory depends on the process and the sampling, not on the picture.
type synthJPEG struct {
	w, h         int
	hLuma, vLuma int  // the luma's sampling factors; chroma is 1x1
	progressive  bool // spectral selection: DC of all components, then AC 1-5 and 6-63 of each
}

// encode writes the JPEG. Every coefficient is quantized by 1, as at
// quality 100; the picture is smooth shading with some texture, in every
// frequency band, so that each scan carries data.
func (j synthJPEG) encode(t testing.TB) []byte {
	t.Helper()
	type comp struct{ h, v, bw, bh int }
	comps := []comp{{h: j.hLuma, v: j.vLuma}, {h: 1, v: 1}, {h: 1, v: 1}}
	mcusX, mcusY := ceilDivInt(j.w, 8*j.hLuma), ceilDivInt(j.h, 8*j.vLuma)
	for i := range comps {
		c := &comps[i]
		c.bw = ceilDivInt(ceilDivInt(j.w*c.h, j.hLuma), 8)
		c.bh = ceilDivInt(ceilDivInt(j.h*c.v, j.vLuma), 8)
	}
	// coef is coefficient k (in zigzag order) of a block of component c.
	coef := func(c, bx, by, k int) int {
		cm := comps[c]
		fx := float64(bx) / float64(mcusX*cm.h)
		fy := float64(by) / float64(mcusY*cm.v)
		if k == 0 {
			level := 90 * math.Sin(5*fx+2*fy+float64(c))
			return int(8 * level)
		}
		hash := uint32(bx*73856093^by*19349663^c*83492791^k*2654435761) * 2246822519
		hash ^= hash >> 15
		switch {
		case k <= 2:
			return int(hash%41) - 20
		case hash%61 == 0:
			return int(hash>>8%7) - 3
		}
		return 0
	}

	var out bytes.Buffer
	seg := func(marker byte, body ...byte) {
		out.Write([]byte{0xFF, marker, byte((len(body) + 2) >> 8), byte(len(body) + 2)})
		out.Write(body)
	}
	out.Write([]byte{0xFF, 0xD8})
	seg(0xDB, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)
	sof := byte(0xC0)
	if j.progressive {
		sof = 0xC2
	}
	frame := []byte{8, byte(j.h >> 8), byte(j.h), byte(j.w >> 8), byte(j.w), byte(len(comps))}
	for i, c := range comps {
		frame = append(frame, byte(i+1), byte(c.h<<4|c.v), 0)
	}
	seg(sof, frame...)

	// One table of each class, every code as long as the next: DC
	// categories 0-11 in 4 bits; AC run/size symbols, ZRL and the EOB
	// runs in 8 bits.
	acSymbols := []byte{0x00, 0xF0}
	for r := range 16 {
		for s := 1; s <= 10; s++ {
			acSymbols = append(acSymbols, byte(r<<4|s))
		}
	}
	if j.progressive {
		for n := 1; n <= 14; n++ {
			acSymbols = append(acSymbols, byte(n<<4))
		}
	}
	dht := []byte{0x00}
	dht = append(dht, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	dht = append(dht, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	dht = append(dht, 0x10, 0, 0, 0, 0, 0, 0, 0, byte(len(acSymbols)), 0, 0, 0, 0, 0, 0, 0, 0)
	dht = append(dht, acSymbols...)
	seg(0xC4, dht...)
	acCode := map[int]int{}
	for i, s := range acSymbols {
		acCode[int(s)] = i
	}

	var bw bitWriter
	bw.out = &out
	category := func(v int) (s, b int) {
		s = bits.Len(uint(max(v, -v)))
		if v < 0 {
			v += 1<<s - 1
		}
		return s, v & (1<<s - 1)
	}
	eobrun := 0
	flushEOB := func() {
		if eobrun == 0 {
			return
		}
		n := bits.Len(uint(eobrun)) - 1
		bw.put(acCode[n<<4], 8)
		bw.put(eobrun-1<<n, n)
		eobrun = 0
	}
	// ac codes coefficients ss..se of a block, as a sequential scan
	// (one EOB per block) or a progressive first scan (EOB runs) does.
	ac := func(c, bx, by, ss, se int) {
		run := 0
		for k := ss; k <= se; k++ {
			v := coef(c, bx, by, k)
			if v == 0 {
				run++
				continue
			}
			flushEOB()
			for ; run > 15; run -= 16 {
				bw.put(acCode[0xF0], 8)
			}
			s, b := category(v)
			bw.put(acCode[run<<4|s], 8)
			bw.put(b, s)
			run = 0
		}
		if run > 0 {
			if !j.progressive {
				bw.put(acCode[0x00], 8)
				return
			}
			if eobrun++; eobrun == 0x7FFF {
				flushEOB()
			}
		}
	}
	scan := func(ids []int, ss, se int, body func()) {
		sos := []byte{byte(len(ids))}
		for _, id := range ids {
			sos = append(sos, byte(id+1), 0x00)
		}
		seg(0xDA, append(sos, byte(ss), byte(se), 0)...)
		body()
		flushEOB()
		bw.flush()
	}

	dcSe := 63
	if j.progressive {
		dcSe = 0
	}
	scan([]int{0, 1, 2}, 0, dcSe, func() {
		pred := make([]int, len(comps))
		for my := range mcusY {
			for mx := range mcusX {
				for c, cm := range comps {
					for v := range cm.v {
						for h := range cm.h {
							bx, by := mx*cm.h+h, my*cm.v+v
							dc := coef(c, bx, by, 0)
							s, b := category(dc - pred[c])
							pred[c] = dc
							bw.put(s, 4)
							bw.put(b, s)
							if !j.progressive {
								ac(c, bx, by, 1, 63)
							}
						}
					}
				}
			}
		}
	})
	if j.progressive {
		for c, cm := range comps {
			for _, band := range [][2]int{{1, 5}, {6, 63}} {
				scan([]int{c}, band[0], band[1], func() {
					for by := range cm.bh {
						for bx := range cm.bw {
							ac(c, bx, by, band[0], band[1])
						}
					}
				})
			}
		}
	}
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

func ceilDivInt(a, b int) int { return (a + b - 1) / b }

// bitWriter writes entropy-coded data, stuffing a zero after each 0xFF.
type bitWriter struct {
	out  *bytes.Buffer
	acc  uint64
	nacc int
}

func (b *bitWriter) put(v, n int) {
	b.acc = b.acc<<n | uint64(v)&(1<<n-1)
	b.nacc += n
	for b.nacc >= 8 {
		c := byte(b.acc >> (b.nacc - 8))
		b.out.WriteByte(c)
		if c == 0xFF {
			b.out.WriteByte(0)
		}
		b.nacc -= 8
	}
}

// flush pads the last byte with ones, as T.81 asks.
func (b *bitWriter) flush() {
	if b.nacc > 0 {
		b.put(1<<(8-b.nacc)-1, 8-b.nacc)
	}
	b.acc, b.nacc = 0, 0
}
