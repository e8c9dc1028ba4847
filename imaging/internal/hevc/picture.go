package hevc

import "sync"

// Per 4x4 luma block flags.
const (
	flagNoFilter = 1 << iota // PCM with loop filter off, or transquant bypass
	flagEdgeV                // a transform or coding block edge on the left
	flagEdgeH                // a transform or coding block edge on top
)

// saoParams are the SAO parameters of one CTB for Y, Cb, Cr (7.4.9.3).
type saoParams struct {
	typ     [3]uint8 // 0 off, 1 band offset, 2 edge offset
	class   [3]uint8 // band position or edge offset class
	offsets [3][4]int8
}

// scratch is the memory a picture's decoding needs besides its planes,
// kept in a pool from one picture to the next: a photo's tiles are decoded
// one after another.
type scratch struct {
	// Per 4x4 luma block.
	zaddr []int32 // z-scan order address in the picture (MinTbAddrZs at 4x4)
	ipm   []uint8 // IntraPredModeY
	qp    []int8  // QpY
	depth []uint8 // CtDepth
	flags []uint8

	// Per CTB in raster scan.
	ctbRsToTs, ctbTsToRs []int32
	tileID               []int32
	ctbSlice             []int32 // index in headers; -1 before decoding
	sao                  []saoParams

	saoSrc []uint16 // a plane before SAO
}

var decoderPool = sync.Pool{New: func() any { return new(picDecoder) }}

// newPicDecoder takes a decoder from the pool, keeping only its scratch.
func newPicDecoder(s *sps) *picDecoder {
	d := decoderPool.Get().(*picDecoder)
	*d = picDecoder{s: s, scratch: d.scratch}
	return d
}

// release returns d to the pool; the planes stay with the picture.
func (d *picDecoder) release() {
	d.planes = [3][]uint16{}
	d.headers = nil
	d.c.data = nil
	d.s, d.p, d.h = nil, nil, nil
	decoderPool.Put(d)
}

// grow returns a zeroed slice of n elements, reusing a's memory if it can.
func grow[T any](a []T, n int) []T {
	if cap(a) < n {
		return make([]T, n)
	}
	a = a[:n]
	clear(a)
	return a
}

// picDecoder holds the state of decoding one picture.
type picDecoder struct {
	s *sps
	p *pps

	planes    [3][]uint16
	stride    [3]int
	numPlanes int

	// Per 4x4 luma block, row-major with w4 blocks a row.
	w4, h4 int
	scratch
	headers []*sliceHeader

	// State of the slice segment being decoded.
	c          cabac
	h          *sliceHeader
	sliceIdx   int32
	ctbAddrRs  int
	ctbAddrTs  int
	wppCtx     [numCtx]uint8
	dsCtx      [numCtx]uint8
	qpBdY      int
	qpBdC      int
	log2QG     int
	qpY        int  // QpY of the current coding unit
	qpPred     int  // qPY_PRED of the current quantization group
	lastQpY    int  // QpY of the previous coding unit
	resetQP    bool // the next quantization group predicts from SliceQpY
	cuQPDelta  int
	qpDeltaSet bool
	cuBypass   bool
	intraSplit bool
	chromaMode int // IntraPredModeC of the current coding unit

	coeff [32 * 32]int32
	res   [32 * 32]int32
	tmp   [32 * 32]int32
	ref   [4*64 + 1]int32
	refOK [4*64 + 1]bool
	refF  [4*64 + 1]int32
	main  [3*64 + 1]int32
	left  [2*64 + 1]int32
}

func decodePicture(st *stream, s *sps) (*picDecoder, error) {
	d := newPicDecoder(s)
	var prev *sliceHeader
	for i, nal := range st.slices {
		h, p, err := parseSliceHeader(nal, st.ppss, st.spss, prev)
		if err != nil {
			return nil, err
		}
		if st.spss[p.spsID] != s {
			return nil, formatErr("slice segments of one picture name different SPSs")
		}
		if i == 0 {
			d.p = p
			d.setup()
		}
		d.headers = append(d.headers, h)
		if err := d.decodeSliceSegment(nal.data, h, int32(i)); err != nil {
			return nil, err
		}
		prev = h
	}
	for _, sl := range d.ctbSlice {
		if sl < 0 {
			return nil, formatErr("slice segments missing: the picture is not complete")
		}
	}
	d.deblock()
	d.applySAO()
	return d, nil
}

// setup allocates the planes and the per-block arrays and derives the tile
// scan (6.5.1, 6.5.2).
func (d *picDecoder) setup() {
	s, p := d.s, d.p
	d.numPlanes = 1
	d.stride[0] = s.width
	d.planes[0] = make([]uint16, s.width*s.height)
	if s.chromaFormat == 1 {
		d.numPlanes = 3
		cw, ch := s.width/2, s.height/2
		for c := 1; c < 3; c++ {
			d.stride[c] = cw
			d.planes[c] = make([]uint16, cw*ch)
		}
	}
	d.w4, d.h4 = s.width>>2, s.height>>2
	n4 := d.w4 * d.h4
	d.zaddr = grow(d.zaddr, n4)
	d.ipm = grow(d.ipm, n4)
	d.qp = grow(d.qp, n4)
	d.depth = grow(d.depth, n4)
	d.flags = grow(d.flags, n4)
	d.qpBdY = 6 * (s.bitDepthY - 8)
	d.qpBdC = 6 * (s.bitDepthC - 8)
	d.log2QG = s.log2Ctb - p.diffCuQPDeltaDepth

	nCtb := s.picWCtb * s.picHCtb
	d.ctbRsToTs = grow(d.ctbRsToTs, nCtb)
	d.ctbTsToRs = grow(d.ctbTsToRs, nCtb)
	d.tileID = grow(d.tileID, nCtb)
	d.ctbSlice = grow(d.ctbSlice, nCtb)
	d.sao = grow(d.sao, nCtb)
	for i := range d.ctbSlice {
		d.ctbSlice[i] = -1
	}
	colBd := make([]int, len(p.colWidths)+1)
	for i, w := range p.colWidths {
		colBd[i+1] = colBd[i] + w
	}
	rowBd := make([]int, len(p.rowHeights)+1)
	for i, h := range p.rowHeights {
		rowBd[i+1] = rowBd[i] + h
	}
	for rs := range nCtb {
		tbX, tbY := rs%s.picWCtb, rs/s.picWCtb
		tileX, tileY := 0, 0
		for i := range p.colWidths {
			if tbX >= colBd[i] {
				tileX = i
			}
		}
		for j := range p.rowHeights {
			if tbY >= rowBd[j] {
				tileY = j
			}
		}
		ts := 0
		for i := range tileX {
			ts += p.rowHeights[tileY] * p.colWidths[i]
		}
		for j := range tileY {
			ts += s.picWCtb * p.rowHeights[j]
		}
		ts += (tbY-rowBd[tileY])*p.colWidths[tileX] + tbX - colBd[tileX]
		d.ctbRsToTs[rs] = int32(ts)
		d.ctbTsToRs[ts] = int32(rs)
		d.tileID[rs] = int32(tileY*len(p.colWidths) + tileX)
	}
	// z-scan addresses of the 4x4 blocks: CTBs in tile scan, z-order inside.
	sh := 2 * (s.log2Ctb - 2)
	for y4 := range d.h4 {
		for x4 := range d.w4 {
			rs := (y4<<2>>s.log2Ctb)*s.picWCtb + x4<<2>>s.log2Ctb
			m := s.log2Ctb - 2
			z := 0
			for b := range m {
				z |= (x4>>b&1)<<(2*b) | (y4>>b&1)<<(2*b+1)
			}
			d.zaddr[y4*d.w4+x4] = d.ctbRsToTs[rs]<<sh | int32(z)
		}
	}
}

// avail reports whether the block at luma location (xN, yN) is available
// for prediction of the block at (xC, yC) (6.4.1): inside the picture,
// decoded before it, and in the same slice and tile.
func (d *picDecoder) avail(xC, yC, xN, yN int) bool {
	if xN < 0 || yN < 0 || xN >= d.s.width || yN >= d.s.height {
		return false
	}
	n := (yN>>2)*d.w4 + xN>>2
	if d.zaddr[n] > d.zaddr[(yC>>2)*d.w4+xC>>2] {
		return false
	}
	ctbN := (yN>>d.s.log2Ctb)*d.s.picWCtb + xN>>d.s.log2Ctb
	sl := d.ctbSlice[ctbN]
	if sl < 0 || d.headers[sl].sliceAddrRs != d.h.sliceAddrRs {
		return false
	}
	return d.tileID[ctbN] == d.tileID[d.ctbAddrRs]
}

func (d *picDecoder) decodeSliceSegment(data []byte, h *sliceHeader, idx int32) error {
	s, p := d.s, d.p
	d.h, d.sliceIdx = h, idx
	d.c.data = data
	nCtb := s.picWCtb * s.picHCtb
	startTs := int(d.ctbRsToTs[h.segmentAddr])
	if idx > 0 && (startTs == 0 || d.ctbSlice[d.ctbTsToRs[startTs-1]] != idx-1 || d.ctbSlice[h.segmentAddr] >= 0) {
		return formatErr("slice segment at CTB %d does not follow the previous one", h.segmentAddr)
	}
	if !h.dependent {
		d.resetQP = true
	}
	for ts := startTs; ; {
		d.ctbAddrTs = ts
		d.ctbAddrRs = int(d.ctbTsToRs[ts])
		rs := d.ctbAddrRs
		d.ctbSlice[rs] = idx
		firstInTile := ts == 0 || d.tileID[rs] != d.tileID[d.ctbTsToRs[ts-1]]
		rowStart := p.entropySync && (rs%s.picWCtb == 0 || d.tileID[rs] != d.tileID[rs-1])
		if ts == startTs || firstInTile || rowStart {
			if ts == startTs {
				d.c.start(h.dataOffset)
			} else {
				d.c.start(d.c.alignedPos())
			}
			x0 := (rs % s.picWCtb) << s.log2Ctb
			y0 := (rs / s.picWCtb) << s.log2Ctb
			switch {
			case firstInTile:
				d.c.initContexts(h.qpY)
			case rowStart:
				if d.avail(x0, y0, x0+1<<s.log2Ctb, y0-1<<s.log2Ctb) {
					d.c.ctx = d.wppCtx
				} else {
					d.c.initContexts(h.qpY)
				}
			case h.dependent:
				d.c.ctx = d.dsCtx
			default:
				d.c.initContexts(h.qpY)
			}
			if firstInTile || rowStart {
				d.resetQP = true
			}
		}
		if err := d.codingTreeUnit(); err != nil {
			return err
		}
		if p.entropySync && (rs%s.picWCtb == 1 || (rs > 1 && s.picWCtb > 1 && d.tileID[rs] != d.tileID[rs-2])) {
			d.wppCtx = d.c.ctx
		}
		end := d.c.terminate() == 1
		if d.c.overrun() {
			return formatErr("slice segment data truncated")
		}
		if end {
			if p.dependentSlices {
				d.dsCtx = d.c.ctx
			}
			return nil
		}
		ts++
		if ts >= nCtb {
			return formatErr("slice segment runs past the end of the picture")
		}
		next := d.ctbTsToRs[ts]
		if (p.tiles && d.tileID[next] != d.tileID[rs]) ||
			(p.entropySync && (int(next)%s.picWCtb == 0 || d.tileID[next] != d.tileID[next-1])) {
			if d.c.terminate() != 1 {
				return formatErr("end_of_subset_one_bit is zero after CTB %d", rs)
			}
		}
	}
}

// output crops the picture to the conformance window.
func (d *picDecoder) output() *Picture {
	s := d.s
	pic := &Picture{
		Width:          s.width - s.confLeft - s.confRight,
		Height:         s.height - s.confTop - s.confBottom,
		ChromaFormat:   s.chromaFormat,
		BitDepthLuma:   s.bitDepthY,
		BitDepthChroma: s.bitDepthC,
		YStride:        d.stride[0],
	}
	pic.Y = d.planes[0][s.confTop*d.stride[0]+s.confLeft:]
	if d.numPlanes == 3 {
		pic.CStride = d.stride[1]
		off := s.confTop/2*d.stride[1] + s.confLeft/2
		pic.Cb = d.planes[1][off:]
		pic.Cr = d.planes[2][off:]
	}
	return pic
}
