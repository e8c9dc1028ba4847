package dctjpeg

type component struct {
	id     uint8
	h, v   int // sampling factors
	tq     uint8
	cw, ch int // size in samples at full scale
	bw, bh int // blocks per row and column, padded to whole MCUs

	// The component's own reduction: a subsampled component is decoded
	// with a larger inverse DCT where that brings it to the luma's
	// resolution, as libjpeg does, instead of being upsampled later.
	n, scale int
	eh, ev   int // sampling factors as decoded: h*n and v*n over the frame's n
	// Window of kept coefficients at this scale.
	slot   [64]int8 // zigzag index -> n×n position, or -1
	window uint64   // bit k set when zigzag index k is kept
	maxK   int      // largest kept zigzag index

	pix    []byte // output plane, bw*n × bh*n
	stride int

	// Progressive only: the n×n kept coefficients of every block, and for
	// coefficients outside them whose band is refined later, one bit per
	// zigzag index recording a nonzero history (T.81 G.1.2.3).
	coef []int16
	nz   []uint64

	pred      int32 // DC predictor
	dcTable   *huffTable
	acTable   *huffTable
	td, ta    uint8 // the scan's DC and AC table (or conditioning) ids
	dcContext int   // arithmetic DC conditioning (F.1.4.4.1.2)
	// have has a bit per block set once its data arrived: its sequential
	// scan, or for progressive files its first DC scan.
	have     []uint64
	weights  [64]float32 // by zigzag index, for the current scan
	weights8 [64]float32 // the same at full scale, for edge blocks
	skipped  uint64      // zigzag indices whose first scan was skipped
	// precision is, per zigzag index, the Al of the last scan that coded
	// it: 0 once exact, -1 while none has (progressive only).
	precision [64]int8
}

type decoder struct {
	src *source
	br  bitReader

	scale, n int // reduction and output block size (8/scale)

	arith bool // arithmetic coding (SOF9, SOF10)
	ar    arithDecoder

	// Recovery from damaged data, as libjpeg does it: starved is set from
	// the point where an interval's data runs out or turns out corrupt
	// until the next restart marker; its blocks are not decoded.
	starved   bool
	truncated bool   // the input ended before the image did
	corrupted string // the first corruption met, "" when none

	width, height int
	progressive   bool
	frameSeen     bool
	comps         []component
	hmax, vmax    int
	mcusX, mcusY  int

	quant        [4][64]uint16 // zigzag order
	quantDefined [4]bool
	dcTables     [4]huffTable
	acTables     [4]huffTable
	restart      int

	// unsupported is set by a frame header this decoder does not handle;
	// DecodeConfig still reports the frame, Decode returns it.
	unsupported error

	jfif           bool
	adobe          bool
	adobeTransform uint8

	eobrun       int
	decodedScans int
	blk          [64]float32
}

// readHeaders reads markers up to and including the frame header.
func (d *decoder) readHeaders() error {
	b0, err := d.src.readByte("SOI")
	if err != nil {
		return err
	}
	b1, err := d.src.readByte("SOI")
	if err != nil {
		return err
	}
	if b0 != 0xFF || b1 != soi {
		return formatErr("missing SOI marker")
	}
	for !d.frameSeen {
		m, err := d.src.nextMarker(false)
		if err != nil {
			return err
		}
		if err := d.segment(m); err != nil {
			return err
		}
	}
	return nil
}

// readScans reads the rest of the stream after the frame header. Input
// that ends early ends the image, as in libjpeg: what arrived is kept and
// the rest is recorded as missing.
func (d *decoder) readScans() error {
	for {
		m, err := d.src.nextMarker(false)
		if err == nil {
			switch m {
			case eoi:
				return d.scansRead()
			case sos:
				err = d.scan()
			default:
				err = d.segment(m)
			}
		}
		if err != nil {
			if d.src.eof && d.src.err == nil && d.src.pos >= d.src.end {
				d.truncated = true
				return d.scansRead()
			}
			return err
		}
	}
}

// scansRead checks, at the end of the data, that there is an image at all.
func (d *decoder) scansRead() error {
	if d.decodedScans == 0 {
		if d.truncated {
			return formatErr("the data ends before the first scan")
		}
		return formatErr("no image data")
	}
	return nil
}

// segment handles one marker segment other than SOS and EOI.
func (d *decoder) segment(m byte) error {
	switch {
	case m == sof0 || m == sof1 || m == sof2 || m == sof9 || m == sof10:
		if d.frameSeen {
			return formatErr("more than one frame header")
		}
		d.arith = m == sof9 || m == sof10
		return d.frame(m == sof2 || m == sof10)
	case m == sof3 || m >= 0xC5 && m <= sof15 && m != 0xC8 && m != dac:
		// Read the header of frames this decoder does not handle, so that
		// DecodeConfig reports their size for a fallback decoder.
		if d.frameSeen {
			return formatErr("more than one frame header")
		}
		switch {
		case m == sof3 || m == 0xCB:
			d.unsupported = unsupported("lossless JPEG (T.81 Annex H)")
		default:
			d.unsupported = unsupported("hierarchical JPEG (T.81 Annex J)")
		}
		return d.frame(m == 0xC6 || m == 0xCA || m == 0xCE)
	case m == dac:
		return d.arithConditioning()
	case m == dht:
		return d.huffman()
	case m == dqt:
		return d.quantTables()
	case m == dri:
		return d.restartInterval()
	case m == dnl:
		// The frame header gave the height; libjpeg ignores a DNL then.
		return d.skipSegment()
	case m >= rst0 && m <= rst7:
		// Some encoders end a scan with a restart marker; it carries no data.
		return nil
	case m == soi:
		return formatErr("unexpected SOI marker")
	case m == eoi:
		return formatErr("EOI marker before any image data")
	case m == sos:
		return formatErr("SOS marker before the frame header")
	case m == app0 || m == app14:
		return d.app(m)
	case m >= 0xE0 && m <= 0xEF || m == com || m == 0xC8 || m >= 0xF0 && m <= 0xFD:
		return d.skipSegment()
	}
	return formatErr("unknown marker 0x%02X", m)
}

func (d *decoder) segmentLength(what string) (int, error) {
	n, err := d.src.readUint16(what)
	if err != nil {
		return 0, err
	}
	if n < 2 {
		return 0, formatErr("%s segment length %d", what, n)
	}
	return n - 2, nil
}

func (d *decoder) skipSegment() error {
	n, err := d.segmentLength("marker segment")
	if err != nil {
		return err
	}
	return d.src.skip(n, "marker segment")
}

func (d *decoder) app(m byte) error {
	n, err := d.segmentLength("APPn")
	if err != nil {
		return err
	}
	var head [12]byte
	k := min(n, len(head))
	if err := d.src.readFull(head[:k], "APPn"); err != nil {
		return err
	}
	switch {
	case m == app0 && k >= 5 && string(head[:5]) == "JFIF\x00":
		d.jfif = true
	case m == app14 && k >= 12 && string(head[:5]) == "Adobe":
		d.adobe = true
		d.adobeTransform = head[11]
	}
	return d.src.skip(n-k, "APPn")
}

func (d *decoder) frame(progressive bool) error {
	n, err := d.segmentLength("SOF")
	if err != nil {
		return err
	}
	var b [6 + 3*255]byte
	if n < 6 || n > len(b) {
		return formatErr("SOF segment length %d", n+2)
	}
	if err := d.src.readFull(b[:n], "SOF"); err != nil {
		return err
	}
	switch p := b[0]; {
	case p == 8:
	case p == 12 || p == 16 || d.unsupported != nil && p >= 2 && p <= 16:
		if d.unsupported == nil {
			d.unsupported = unsupported("%d-bit samples", p)
		}
	default:
		return formatErr("sample precision %d", p)
	}
	d.height = int(b[1])<<8 | int(b[2])
	d.width = int(b[3])<<8 | int(b[4])
	nc := int(b[5])
	if d.height == 0 {
		return unsupported("height defined by a DNL marker")
	}
	if d.width == 0 {
		return formatErr("zero width")
	}
	switch nc {
	case 1, 3, 4:
	case 2:
		return unsupported("2-component JPEG")
	default:
		return formatErr("%d components", nc)
	}
	if n != 6+3*nc {
		return formatErr("SOF segment length %d for %d components", n+2, nc)
	}
	d.progressive = progressive
	d.comps = make([]component, nc)
	d.hmax, d.vmax = 1, 1
	for i := range d.comps {
		c := &d.comps[i]
		p := b[6+3*i:]
		c.id = p[0]
		c.h, c.v = int(p[1]>>4), int(p[1]&15)
		c.tq = p[2]
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return formatErr("sampling factors %dx%d", c.h, c.v)
		}
		if c.tq > 3 {
			return formatErr("quantization table %d", c.tq)
		}
		for j := range i {
			if d.comps[j].id == c.id {
				return formatErr("duplicate component id %d", c.id)
			}
		}
		if nc == 1 {
			// A lone component is never interleaved, so its factors do
			// not matter (A.2.2).
			c.h, c.v = 1, 1
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	d.mcusX = ceilDiv(d.width, 8*d.hmax)
	d.mcusY = ceilDiv(d.height, 8*d.vmax)
	for i := range d.comps {
		c := &d.comps[i]
		c.cw = ceilDiv(d.width*c.h, d.hmax)
		c.ch = ceilDiv(d.height*c.v, d.vmax)
		c.bw = d.mcusX * c.h
		c.bh = d.mcusY * c.v
	}
	for i := range d.comps {
		for k := range d.comps[i].precision {
			d.comps[i].precision[k] = -1
		}
	}
	d.frameSeen = true
	return nil
}

func (d *decoder) colorSpace() ColorSpace {
	switch len(d.comps) {
	case 1:
		return Gray
	case 3:
		if d.isRGB() {
			return RGB
		}
		return YCbCr
	case 4:
		if !d.adobe {
			return 0
		}
		if d.adobeTransform == 0 {
			return CMYK
		}
		return YCCK
	}
	return 0
}

func (d *decoder) isRGB() bool {
	if d.jfif {
		return false
	}
	if d.adobe {
		return d.adobeTransform == 0
	}
	return d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B'
}

func (d *decoder) config() Config {
	c := Config{
		Width:       d.width,
		Height:      d.height,
		Components:  len(d.comps),
		ColorSpace:  d.colorSpace(),
		Progressive: d.progressive,
	}
	if d.unsupported != nil {
		c.Unsupported = d.unsupported.(*UnsupportedError).Feature
	}
	for _, comp := range d.comps {
		c.Sampling = append(c.Sampling, [2]int{comp.h, comp.v})
	}
	return c
}

func (d *decoder) huffman() error {
	n, err := d.segmentLength("DHT")
	if err != nil {
		return err
	}
	for n > 0 {
		if n < 17 {
			return formatErr("DHT segment too short")
		}
		var head [17]byte
		if err := d.src.readFull(head[:], "DHT"); err != nil {
			return err
		}
		n -= 17
		class, id := head[0]>>4, head[0]&15
		if class > 1 || id > 3 {
			return formatErr("Huffman table class %d id %d", class, id)
		}
		var counts [16]uint8
		copy(counts[:], head[1:])
		total := 0
		for _, c := range counts {
			total += int(c)
		}
		if total == 0 || total > 256 || total > n {
			return formatErr("Huffman table with %d codes", total)
		}
		var syms [256]uint8
		if err := d.src.readFull(syms[:total], "DHT"); err != nil {
			return err
		}
		n -= total
		t := &d.dcTables[id]
		if class == 1 {
			t = &d.acTables[id]
		}
		if err := t.build(&counts, syms[:total]); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) quantTables() error {
	n, err := d.segmentLength("DQT")
	if err != nil {
		return err
	}
	for n > 0 {
		pq, err := d.src.readByte("DQT")
		if err != nil {
			return err
		}
		n--
		id := pq & 15
		if id > 3 {
			return formatErr("quantization table id %d", id)
		}
		q := &d.quant[id]
		switch pq >> 4 {
		case 0:
			if n < 64 {
				return formatErr("DQT segment too short")
			}
			var b [64]byte
			if err := d.src.readFull(b[:], "DQT"); err != nil {
				return err
			}
			for k := range q {
				q[k] = uint16(b[k])
			}
			n -= 64
		case 1:
			if n < 128 {
				return formatErr("DQT segment too short")
			}
			var b [128]byte
			if err := d.src.readFull(b[:], "DQT"); err != nil {
				return err
			}
			for k := range q {
				q[k] = uint16(b[2*k])<<8 | uint16(b[2*k+1])
			}
			n -= 128
		default:
			return formatErr("quantization table precision %d", pq>>4)
		}
		d.quantDefined[id] = true
	}
	return nil
}

func (d *decoder) restartInterval() error {
	n, err := d.segmentLength("DRI")
	if err != nil {
		return err
	}
	if n != 2 {
		return formatErr("DRI segment length %d", n+2)
	}
	d.restart, err = d.src.readUint16("DRI")
	return err
}

// setWindow computes each component's reduction and which coefficients it
// keeps: those of the n×n lowest frequencies.
func (d *decoder) setWindow() {
	for i := range d.comps {
		c := &d.comps[i]
		c.n = componentN(d.n, c.h, c.v, d.hmax, d.vmax)
		c.scale = 8 / c.n
		c.eh, c.ev = c.h*c.n/d.n, c.v*c.n/d.n
		c.window, c.maxK = 0, 0
		for k := range 64 {
			p := int(unzig[k])
			u, v := p%8, p/8
			if u < c.n && v < c.n {
				c.slot[k] = int8(v*c.n + u)
				c.window |= 1 << k
				c.maxK = k
			} else {
				c.slot[k] = -1
			}
		}
	}
}

// componentN is the output block size of a component with sampling
// factors h×v when the frame's is n. At 1/8, where blocks are single
// pixels, a subsampled component gets 2×2 blocks where that brings it to the
// luma's resolution, as libjpeg would do at every scale. At 1/2 and 1/4 the
// resampler that follows, which reduces by 2 or more, hides replicated
// chroma (0.2 dB on a 12 MP photo), and the larger inverse DCTs would cost
// a sixth more time.
func componentN(n, h, v, hmax, vmax int) int {
	if n > 1 || hmax%h != 0 || vmax%v != 0 || min(hmax/h, vmax/v) < 2 {
		return n
	}
	return 2
}

// bandMask has bits ss..se set.
func bandMask(ss, se int) uint64 {
	return (^uint64(0) >> (63 - se)) &^ (1<<ss - 1)
}

// allocate creates the output planes and, for progressive files, the
// coefficient store. Sizes were checked against the budget beforehand.
func (d *decoder) allocate() {
	d.setWindow()
	for i := range d.comps {
		c := &d.comps[i]
		c.stride = c.bw * c.n
		c.pix = make([]byte, c.stride*c.bh*c.n)
		if d.progressive {
			c.coef = make([]int16, c.bw*c.bh*c.n*c.n)
		}
	}
}

// fullSlot keeps every coefficient in natural order, for blocks decoded at
// full scale.
var fullSlot = func() (s [64]int8) {
	for k, p := range unzig {
		s[k] = int8(p)
	}
	return s
}()

// arithConditioning reads a DAC segment (B.2.4.3): the conditioning of
// arithmetic-coded DC (L and U) or AC (Kx) statistics.
func (d *decoder) arithConditioning() error {
	n, err := d.segmentLength("DAC")
	if err != nil {
		return err
	}
	if n%2 != 0 {
		return formatErr("DAC segment length %d", n+2)
	}
	for ; n > 0; n -= 2 {
		var b [2]byte
		if err := d.src.readFull(b[:], "DAC"); err != nil {
			return err
		}
		class, id := b[0]>>4, b[0]&15
		if class > 1 || id > 3 {
			return formatErr("DAC table class %d id %d", class, id)
		}
		if class == 1 {
			if b[1] < 1 || b[1] > 63 {
				return formatErr("DAC AC conditioning %d", b[1])
			}
			d.ar.acK[id] = b[1]
			continue
		}
		l, u := b[1]&15, b[1]>>4
		if l > u {
			return formatErr("DAC DC conditioning L %d above U %d", l, u)
		}
		d.ar.dcL[id], d.ar.dcU[id] = l, u
	}
	return nil
}
