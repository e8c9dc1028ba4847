package hevc

import (
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// x265 writes neither PCM coding units nor tiles, so these streams are made
// here: pictures of PCM coding units in tiles, with wavefront entry points,
// SAO and deblocking, coded with the CABAC encoding process of H.265 9.3.5.
// make.sh writes them with -write-pcm and takes libde265's decode of them
// as the reference, like for x265's streams.
var writePCM = flag.Bool("write-pcm", false, "write the PCM and tile streams into testdata")

type pcmOptions struct {
	name           string
	w, h           int
	tileCols, rows int
	wpp            bool
	pcmDepth       int
	bitDepth       int  // 8 when zero
	mono           bool // 4:0:0
	loopFilterOff  bool // pcm_loop_filter_disabled_flag
	acrossTiles    bool // loop_filter_across_tiles_enabled_flag
	sao            bool
	segments       []int  // tile-scan addresses where slice segments start, after the first
	dependent      []bool // whether each of those is a dependent slice segment
	lfAcrossSlices bool   // pps_loop_filter_across_slices_enabled_flag
	seed           uint64
}

var pcmStreams = []pcmOptions{
	{name: "pcm-tiles-2x2", w: 96, h: 64, tileCols: 2, rows: 2, pcmDepth: 8, acrossTiles: true, sao: true, seed: 1},
	{name: "pcm-tiles-3x2-nolfacross", w: 112, h: 80, tileCols: 3, rows: 2, pcmDepth: 7, sao: true, seed: 2},
	{name: "pcm-tiles-1x3", w: 80, h: 64, tileCols: 1, rows: 3, pcmDepth: 8, sao: true, seed: 3},
	{name: "pcm-wpp-lfoff", w: 64, h: 48, tileCols: 1, rows: 1, wpp: true, pcmDepth: 5, loopFilterOff: true, sao: true, seed: 4},
	{name: "pcm-single", w: 48, h: 32, tileCols: 1, rows: 1, pcmDepth: 8, seed: 5},
	{name: "pcm-10bit-tiles", w: 64, h: 48, tileCols: 2, rows: 2, pcmDepth: 9, bitDepth: 10, sao: true, acrossTiles: true, seed: 9},
	{name: "pcm-400", w: 64, h: 48, tileCols: 2, rows: 1, pcmDepth: 6, mono: true, sao: true, seed: 10},
	{name: "pcm-400-10bit-lfoff", w: 48, h: 48, tileCols: 1, rows: 1, wpp: true, pcmDepth: 10, bitDepth: 10, mono: true, loopFilterOff: true, sao: true, seed: 11},
	{name: "pcm-slices", w: 80, h: 64, tileCols: 1, rows: 1, pcmDepth: 8, sao: true, seed: 6,
		segments: []int{3, 7, 12, 13}, dependent: []bool{true, false, true, true}, lfAcrossSlices: true},
	{name: "pcm-slices-wpp", w: 80, h: 64, tileCols: 1, rows: 1, wpp: true, pcmDepth: 8, sao: true, seed: 7,
		segments: []int{5, 8, 10, 15}, dependent: []bool{true, true, false, true}},
	{name: "pcm-slices-tiles", w: 96, h: 64, tileCols: 2, rows: 2, pcmDepth: 6, sao: true, acrossTiles: true, seed: 8,
		segments: []int{2, 6, 12}, dependent: []bool{true, false, true}},
}

func TestWritePCMStreams(t *testing.T) {
	if !*writePCM {
		t.Skip("run with -write-pcm to write the streams")
	}
	for _, o := range pcmStreams {
		if err := os.WriteFile(filepath.Join("testdata", o.name+".hevc"), pcmStream(o), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPCMStreamsUpToDate checks that the committed streams are the ones the
// writer makes, so that md5.txt describes them.
func TestPCMStreamsUpToDate(t *testing.T) {
	for _, o := range pcmStreams {
		data, err := os.ReadFile(filepath.Join("testdata", o.name+".hevc"))
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != string(pcmStream(o)) {
			t.Errorf("%s: differs from what the writer makes; run make.sh", o.name)
		}
	}
}

type bitWriter struct {
	buf  []byte
	nbit int
}

func (w *bitWriter) u(n int, v uint64) {
	for i := n - 1; i >= 0; i-- {
		if w.nbit%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		if v>>uint(i)&1 != 0 {
			w.buf[len(w.buf)-1] |= 0x80 >> (w.nbit % 8)
		}
		w.nbit++
	}
}

func (w *bitWriter) ue(v uint64) {
	n := 0
	for (v+1)>>uint(n+1) != 0 {
		n++
	}
	w.u(n, 0)
	w.u(n+1, v+1)
}

func (w *bitWriter) se(v int64) {
	if v > 0 {
		w.ue(uint64(2*v - 1))
	} else {
		w.ue(uint64(-2 * v))
	}
}

func (w *bitWriter) align() {
	for w.nbit%8 != 0 {
		w.u(1, 0)
	}
}

func (w *bitWriter) trailing() {
	w.u(1, 1)
	w.align()
}

// nal adds the two-byte header and emulation prevention bytes.
func nal(typ int, payload []byte) []byte {
	out := []byte{byte(typ << 1), 1}
	zeros := 0
	for _, b := range payload {
		if zeros >= 2 && b <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

func epbCount(data []byte) int {
	return len(nal(0, data)) - 2 - len(data)
}

func profileTierLevel(w *bitWriter, profile int) {
	w.u(2, 0)
	w.u(1, 0)
	w.u(5, uint64(profile))
	w.u(32, 1<<(31-1)|1<<(31-2)) // compatible with Main and Main 10
	w.u(4, 0b1001)               // progressive, frame only
	w.u(44, 0)
	w.u(8, 93)
}

// cabacWriter is the arithmetic encoder of 9.3.5.
type cabacWriter struct {
	w           *bitWriter
	low, rng    uint32
	first       bool
	outstanding int
	ctx         [numCtx]uint8
}

func (c *cabacWriter) start() { c.low, c.rng, c.first, c.outstanding = 0, 510, true, 0 }

func (c *cabacWriter) putBit(b uint32) {
	if c.first {
		c.first = false
	} else {
		c.w.u(1, uint64(b))
	}
	for ; c.outstanding > 0; c.outstanding-- {
		c.w.u(1, uint64(1-b))
	}
}

func (c *cabacWriter) renorm() {
	for c.rng < 256 {
		switch {
		case c.low < 256:
			c.putBit(0)
		case c.low >= 512:
			c.low -= 512
			c.putBit(1)
		default:
			c.low -= 256
			c.outstanding++
		}
		c.rng <<= 1
		c.low <<= 1
	}
}

func (c *cabacWriter) bin(ci, b int) {
	s := c.ctx[ci]
	lps := uint32(rangeTabLps[s>>1][(c.rng>>6)&3])
	c.rng -= lps
	if b != int(s&1) {
		c.low += c.rng
		c.rng = lps
		c.ctx[ci] = nextLps[s]
	} else {
		c.ctx[ci] = nextMps[s]
	}
	c.renorm()
}

func (c *cabacWriter) bypass(b int) {
	c.low <<= 1
	if b != 0 {
		c.low += c.rng
	}
	switch {
	case c.low >= 1024:
		c.putBit(1)
		c.low -= 1024
	case c.low < 512:
		c.putBit(0)
	default:
		c.low -= 512
		c.outstanding++
	}
}

// terminate codes a terminating bin; a one ends the arithmetic code word
// and the writer aligns to the next byte.
func (c *cabacWriter) terminate(b int) {
	c.rng -= 2
	if b == 0 {
		c.renorm()
		return
	}
	c.low += c.rng
	c.rng = 2
	c.renorm()
	c.putBit((c.low >> 9) & 1)
	c.w.u(2, uint64((c.low>>7)&3|1))
	c.w.align()
}

func pcmStream(o pcmOptions) []byte {
	rng := rand.New(rand.NewPCG(o.seed, 99))
	const log2Ctb = 4
	wCtb, hCtb := o.w>>log2Ctb, o.h>>log2Ctb
	var out []byte
	annexB := func(n []byte) { out = append(append(out, 0, 0, 0, 1), n...) }

	bitDepth := max(o.bitDepth, 8)
	profile := 1 // Main
	switch {
	case o.mono:
		profile = 4 // format range extensions
	case bitDepth > 8:
		profile = 2 // Main 10
	}
	vps := &bitWriter{}
	vps.u(4, 0)
	vps.u(2, 3)
	vps.u(6, 0)
	vps.u(3, 0)
	vps.u(1, 1)
	vps.u(16, 0xFFFF)
	profileTierLevel(vps, profile)
	vps.u(1, 1)
	vps.ue(0)
	vps.ue(0)
	vps.ue(0)
	vps.u(6, 0)
	vps.ue(0)
	vps.u(1, 0)
	vps.u(1, 0)
	vps.trailing()
	annexB(nal(nalVPS, vps.buf))

	spsW := &bitWriter{}
	spsW.u(4, 0)
	spsW.u(3, 0)
	spsW.u(1, 1)
	profileTierLevel(spsW, profile)
	spsW.ue(0)
	spsW.ue(uint64(btoi(!o.mono))) // chroma_format_idc
	spsW.ue(uint64(o.w))
	spsW.ue(uint64(o.h))
	spsW.u(1, 0)
	spsW.ue(uint64(bitDepth - 8))
	spsW.ue(uint64(bitDepth - 8))
	spsW.ue(4)
	spsW.u(1, 1)
	spsW.ue(0)
	spsW.ue(0)
	spsW.ue(0)
	spsW.ue(0) // min CB 8
	spsW.ue(1) // CTB 16
	spsW.ue(0) // min TB 4
	spsW.ue(2) // max TB 16
	spsW.ue(0)
	spsW.ue(0)
	spsW.u(1, 0) // scaling lists
	spsW.u(1, 0) // AMP
	spsW.u(1, uint64(btoi(o.sao)))
	spsW.u(1, 1) // PCM
	spsW.u(4, uint64(o.pcmDepth-1))
	spsW.u(4, uint64(o.pcmDepth-1))
	spsW.ue(0) // PCM 8 to 16
	spsW.ue(1)
	spsW.u(1, uint64(btoi(o.loopFilterOff)))
	spsW.ue(0)
	spsW.u(1, 0)
	spsW.u(1, 0)
	spsW.u(1, 0)
	spsW.u(1, 0) // VUI
	spsW.u(1, 0)
	spsW.trailing()
	annexB(nal(nalSPS, spsW.buf))

	tiles := o.tileCols > 1 || o.rows > 1
	ppsW := &bitWriter{}
	ppsW.ue(0)
	ppsW.ue(0)
	ppsW.u(1, uint64(btoi(len(o.dependent) > 0))) // dependent_slice_segments_enabled_flag
	ppsW.u(1, 0)
	ppsW.u(3, 0)
	ppsW.u(1, 0)
	ppsW.u(1, 0)
	ppsW.ue(0)
	ppsW.ue(0)
	ppsW.se(0)
	ppsW.u(1, 0)
	ppsW.u(1, 0)
	ppsW.u(1, 0)
	ppsW.se(0)
	ppsW.se(0)
	ppsW.u(1, 0)
	ppsW.u(1, 0)
	ppsW.u(1, 0)
	ppsW.u(1, 0)
	ppsW.u(1, uint64(btoi(tiles)))
	ppsW.u(1, uint64(btoi(o.wpp)))
	if tiles {
		ppsW.ue(uint64(o.tileCols - 1))
		ppsW.ue(uint64(o.rows - 1))
		ppsW.u(1, 1) // uniform spacing
		ppsW.u(1, uint64(btoi(o.acrossTiles)))
	}
	ppsW.u(1, uint64(btoi(o.lfAcrossSlices)))
	ppsW.u(1, 0) // deblocking control
	ppsW.u(1, 0)
	ppsW.u(1, 0)
	ppsW.ue(0)
	ppsW.u(1, 0)
	ppsW.u(1, 0)
	ppsW.trailing()
	annexB(nal(nalPPS, ppsW.buf))

	// Tile scan, as the decoder derives it.
	s := &sps{width: o.w, height: o.h, log2Ctb: log2Ctb, picWCtb: wCtb, picHCtb: hCtb}
	p := &pps{numTileCols: o.tileCols, numTileRow: o.rows, uniformSpacing: true}
	p.colWidths = make([]int, o.tileCols)
	for i := range p.colWidths {
		p.colWidths[i] = (i+1)*wCtb/o.tileCols - i*wCtb/o.tileCols
	}
	p.rowHeights = make([]int, o.rows)
	for i := range p.rowHeights {
		p.rowHeights[i] = (i+1)*hCtb/o.rows - i*hCtb/o.rows
	}
	d := &picDecoder{s: s, p: p}
	d.setup()

	segStart := map[int]bool{}
	for _, ts := range o.segments {
		segStart[ts] = true
	}
	data := &bitWriter{}
	c := &cabacWriter{w: data}
	var substreams []int            // byte length of each substream of the segment
	depth := make([]int, wCtb*hCtb) // 1: split into 8x8 coding units
	sliceOf := make([]int, wCtb*hCtb)
	var wppCtx [numCtx]uint8
	subStart, sliceAddr, segAddr, dependent := 0, 0, 0, false
	sample := func(n int) {
		for range n {
			data.u(o.pcmDepth, uint64(1+rng.IntN(1<<o.pcmDepth-2)))
		}
	}
	pcmCU := func(size int) {
		c.terminate(1) // pcm_flag
		sample(size * size)
		if !o.mono {
			sample(size * size / 2)
		}
		c.start()
	}
	// emit writes the slice segment that ends here as a NAL unit.
	emit := func() {
		substreams = append(substreams, len(data.buf)-subStart)
		hdr := &bitWriter{}
		hdr.u(1, uint64(btoi(segAddr == 0)))
		hdr.u(1, 0)
		hdr.ue(0)
		if segAddr != 0 {
			if len(o.dependent) > 0 {
				hdr.u(1, uint64(btoi(dependent)))
			}
			hdr.u(ceilLog2(wCtb*hCtb), uint64(segAddr))
		}
		if !dependent {
			hdr.ue(sliceI)
			if o.sao {
				hdr.u(1, 1) // slice_sao_luma_flag
				if !o.mono {
					hdr.u(1, 1)
				}
			}
			hdr.se(0)
			if o.lfAcrossSlices {
				hdr.u(1, uint64(rng.IntN(2))) // slice_loop_filter_across_slices_enabled_flag
			}
		}
		if tiles || o.wpp {
			hdr.ue(uint64(len(substreams) - 1))
			if len(substreams) > 1 {
				hdr.ue(31)
				off := 0
				for _, n := range substreams[:len(substreams)-1] {
					size := n + epbCount(data.buf[off:off+n])
					hdr.u(32, uint64(size-1))
					off += n
				}
			}
		}
		hdr.trailing()
		annexB(nal(nalIDRWRADL, append(hdr.buf, data.buf...)))
	}
	initCtx := func() {
		init := &cabac{}
		init.initContexts(26)
		c.ctx = init.ctx
	}
	for ts := range wCtb * hCtb {
		rs := int(d.ctbTsToRs[ts])
		x, y := rs%wCtb, rs/wCtb
		firstInTile := ts == 0 || d.tileID[rs] != d.tileID[d.ctbTsToRs[ts-1]]
		rowStart := o.wpp && (x == 0 || d.tileID[rs] != d.tileID[rs-1])
		newSegment := ts == 0 || segStart[ts]
		if newSegment {
			data = &bitWriter{}
			c.w = data
			substreams, subStart, segAddr = nil, 0, rs
			dependent = false
			for i, a := range o.segments {
				if a == ts {
					dependent = o.dependent[i]
				}
			}
			if !dependent {
				sliceAddr = rs
			}
		}
		sliceOf[rs] = sliceAddr
		// same reports whether CTB nb is available: same slice and tile.
		same := func(nb int) bool { return sliceOf[nb] == sliceAddr && d.tileID[nb] == d.tileID[rs] }
		if newSegment || firstInTile || rowStart {
			c.start()
			switch {
			case firstInTile:
				initCtx()
			case rowStart:
				if x+1 < wCtb && y > 0 && same(rs-wCtb+1) {
					c.ctx = wppCtx
				} else {
					initCtx()
				}
			case newSegment && !dependent:
				initCtx()
			}
		}
		if o.sao {
			merged := false
			if x > 0 && rs-1 >= sliceAddr && d.tileID[rs-1] == d.tileID[rs] {
				merged = rng.IntN(3) == 0
				c.bin(ctxSaoMerge, btoi(merged))
			}
			if !merged && y > 0 && rs-wCtb >= sliceAddr && d.tileID[rs-wCtb] == d.tileID[rs] {
				merged = rng.IntN(3) == 0
				c.bin(ctxSaoMerge, btoi(merged))
			}
			if !merged {
				var typ [3]int
				for cIdx := range 3 - 2*btoi(o.mono) {
					if cIdx < 2 {
						typ[cIdx] = rng.IntN(3)
						c.bin(ctxSaoType, btoi(typ[cIdx] != 0))
						if typ[cIdx] != 0 {
							c.bypass(typ[cIdx] - 1)
						}
					} else {
						typ[2] = typ[1]
					}
					if typ[cIdx] == 0 {
						continue
					}
					cMax := 1<<(min(bitDepth, 10)-5) - 1
					var abs [4]int
					for i := range abs {
						abs[i] = rng.IntN(cMax + 1)
						for range abs[i] {
							c.bypass(1)
						}
						if abs[i] < cMax {
							c.bypass(0)
						}
					}
					if typ[cIdx] == 1 {
						for i := range abs {
							if abs[i] != 0 {
								c.bypass(rng.IntN(2))
							}
						}
						band := rng.IntN(32)
						for b := 4; b >= 0; b-- {
							c.bypass(band >> b & 1)
						}
					} else if cIdx < 2 {
						class := rng.IntN(4)
						c.bypass(class >> 1)
						c.bypass(class & 1)
					}
				}
			}
		}
		split := rng.IntN(2) == 1
		inc := 0
		if x > 0 && same(rs-1) && depth[rs-1] > 0 {
			inc++
		}
		if y > 0 && same(rs-wCtb) && depth[rs-wCtb] > 0 {
			inc++
		}
		c.bin(ctxSplitCU+inc, btoi(split))
		if split {
			depth[rs] = 1
			for range 4 {
				c.bin(ctxPartMode, 1) // 2Nx2N
				pcmCU(8)
			}
		} else {
			pcmCU(16)
		}
		if o.wpp && (x == 1 || (rs > 1 && d.tileID[rs] != d.tileID[rs-2])) {
			wppCtx = c.ctx
		}
		last := ts == wCtb*hCtb-1 || segStart[ts+1]
		c.terminate(btoi(last)) // end_of_slice_segment_flag
		if last {
			emit()
			continue
		}
		next := int(d.ctbTsToRs[ts+1])
		if d.tileID[next] != d.tileID[rs] || (o.wpp && (next%wCtb == 0 || d.tileID[next] != d.tileID[next-1])) {
			c.terminate(1) // end_of_subset_one_bit
			substreams = append(substreams, len(data.buf)-subStart)
			subStart = len(data.buf)
		}
	}
	return out
}
