package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
)

// image/png cannot stream: it allocates the whole image (8 bytes a pixel for
// 16-bit RGBA, and twice that for an interlaced file) before it decodes the
// first row, so a 300 KB file can ask for hundreds of megabytes. No kept
// library decodes PNG row by row, so pngRows does, for non-interlaced files:
// it checks the chunks as image/png does (CRCs, chunk order, IHDR, PLTE and
// tRNS rules, the zlib checksum, no data past the image) and turns each
// row into exactly the pixels image/png gives, in a one-row image of the
// same type, which the caller reduces on the fly. Interlaced files, whose
// rows arrive spread over seven passes, still go through image/png, with
// their true peak counted in the budget.

// pngInfo is what the chunks before the pixel data say.
type pngInfo struct {
	width, height int
	depth         int
	colorType     byte
	interlaced    bool
	palette       color.Palette // 256 entries for paletted images, as image/png fills them
	trns          []byte        // the tRNS chunk, nil when there is none
	iccp          bool          // an iCCP chunk is present
	idat          int           // offset of the first IDAT chunk
}

// PNG colour types.
const (
	pngGray      = 0
	pngRGB       = 2
	pngPaletted  = 3
	pngGrayAlpha = 4
	pngRGBA      = 6
)

// channels is the number of samples a pixel of the colour type holds.
func (p *pngInfo) channels() int {
	switch p.colorType {
	case pngRGB:
		return 3
	case pngGrayAlpha:
		return 2
	case pngRGBA:
		return 4
	}
	return 1
}

// rowBytes is the size of a row of filtered data, without its filter byte.
func (p *pngInfo) rowBytes() int { return (p.channels()*p.depth*p.width + 7) / 8 }

// outBytesPerPixel is the size of a pixel in the image image/png returns.
func (p *pngInfo) outBytesPerPixel() int {
	switch {
	case p.colorType == pngPaletted:
		return 1
	case p.colorType == pngGray && p.trns == nil:
		return (p.depth + 7) / 8
	case p.depth == 16:
		return 8
	}
	return 4
}

// pngChunks calls fn with each chunk's type and data, from the one at off,
// after checking its CRC, until fn returns false or IEND has been seen.
func pngChunks(data []byte, off int, fn func(typ string, body []byte, at int) (bool, error)) error {
	for {
		if off+8 > len(data) {
			return io.ErrUnexpectedEOF
		}
		n := binary.BigEndian.Uint32(data[off:])
		if n > 0x7fffffff || int64(n) > int64(len(data)-off-12) {
			if n > 0x7fffffff {
				return png.FormatError(fmt.Sprintf("Bad chunk length: %d", n))
			}
			return io.ErrUnexpectedEOF
		}
		typ := string(data[off+4 : off+8])
		body := data[off+8 : off+8+int(n)]
		if crc32.ChecksumIEEE(data[off+4:off+8+int(n)]) != binary.BigEndian.Uint32(data[off+8+int(n):]) {
			return png.FormatError("invalid checksum")
		}
		more, err := fn(typ, body, off)
		if err != nil || !more || typ == "IEND" {
			return err
		}
		off += 12 + int(n)
	}
}

var errPNGChunkOrder = png.FormatError("chunk out of order")

// readPNGInfo reads the chunks up to the first IDAT with image/png's rules.
func readPNGInfo(data []byte) (*pngInfo, error) {
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, png.FormatError("not a PNG file")
	}
	p := &pngInfo{}
	const (
		start = iota
		seenIHDR
		seenPLTE
		seentRNS
	)
	stage := start
	err := pngChunks(data, 8, func(typ string, b []byte, at int) (bool, error) {
		switch typ {
		case "IHDR":
			if stage != start {
				return false, errPNGChunkOrder
			}
			stage = seenIHDR
			return true, p.parseIHDR(b)
		case "PLTE":
			if stage != seenIHDR {
				return false, errPNGChunkOrder
			}
			stage = seenPLTE
			return true, p.parsePLTE(b)
		case "tRNS":
			switch {
			case p.colorType == pngPaletted && stage != seenPLTE,
				(p.colorType == pngRGB || p.colorType == pngRGBA) && stage != seenIHDR && stage != seenPLTE,
				p.colorType != pngPaletted && p.colorType != pngRGB && p.colorType != pngRGBA && stage != seenIHDR:
				return false, errPNGChunkOrder
			}
			stage = seentRNS
			return true, p.parsetRNS(b)
		case "IDAT":
			if stage == start || (stage == seenIHDR && p.colorType == pngPaletted) {
				return false, errPNGChunkOrder
			}
			p.idat = at
			return false, nil
		case "IEND":
			return false, errPNGChunkOrder
		case "iCCP":
			p.iccp = true
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if p.idat == 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return p, nil
}

func (p *pngInfo) parseIHDR(b []byte) error {
	if len(b) != 13 {
		return png.FormatError("bad IHDR length")
	}
	if b[10] != 0 {
		return png.UnsupportedError("compression method")
	}
	if b[11] != 0 {
		return png.UnsupportedError("filter method")
	}
	if b[12] > 1 {
		return png.FormatError("invalid interlace method")
	}
	p.interlaced = b[12] == 1
	w, h := int32(binary.BigEndian.Uint32(b)), int32(binary.BigEndian.Uint32(b[4:]))
	if w <= 0 || h <= 0 {
		return png.FormatError("non-positive dimension")
	}
	p.width, p.height, p.depth, p.colorType = int(w), int(h), int(b[8]), b[9]
	ok := false
	switch p.colorType {
	case pngGray:
		ok = p.depth == 1 || p.depth == 2 || p.depth == 4 || p.depth == 8 || p.depth == 16
	case pngPaletted:
		ok = p.depth == 1 || p.depth == 2 || p.depth == 4 || p.depth == 8
	case pngRGB, pngGrayAlpha, pngRGBA:
		ok = p.depth == 8 || p.depth == 16
	}
	if !ok {
		return png.UnsupportedError(fmt.Sprintf("bit depth %d, color type %d", b[8], b[9]))
	}
	return nil
}

func (p *pngInfo) parsePLTE(b []byte) error {
	np := len(b) / 3
	if len(b)%3 != 0 || np <= 0 || np > 256 || np > 1<<p.depth {
		return png.FormatError("bad PLTE length")
	}
	switch p.colorType {
	case pngPaletted:
		// Entries past the palette are opaque black, as in image/png
		// and libpng.
		p.palette = make(color.Palette, 256)
		for i := range p.palette {
			c := color.RGBA{0, 0, 0, 0xff}
			if i < np {
				c = color.RGBA{b[3*i], b[3*i+1], b[3*i+2], 0xff}
			}
			p.palette[i] = c
		}
	case pngRGB, pngRGBA:
		// Optional and ignorable for true colour.
	default:
		return png.FormatError("PLTE, color type mismatch")
	}
	return nil
}

func (p *pngInfo) parsetRNS(b []byte) error {
	switch p.colorType {
	case pngGray:
		if len(b) != 2 {
			return png.FormatError("bad tRNS length")
		}
	case pngRGB:
		if len(b) != 6 {
			return png.FormatError("bad tRNS length")
		}
	case pngPaletted:
		if len(b) > 256 {
			return png.FormatError("bad tRNS length")
		}
		for i, a := range b {
			c := p.palette[i].(color.RGBA)
			p.palette[i] = color.NRGBA{c.R, c.G, c.B, a}
		}
	default:
		return png.FormatError("tRNS, color type mismatch")
	}
	p.trns = b
	return nil
}

// newRowImage returns a one-row image of the type image/png decodes the
// file to.
func (p *pngInfo) newRowImage(width, height int) image.Image {
	r := image.Rect(0, 0, width, height)
	switch {
	case p.colorType == pngPaletted:
		return image.NewPaletted(r, p.palette)
	case p.colorType == pngGray && p.trns == nil && p.depth == 16:
		return image.NewGray16(r)
	case p.colorType == pngGray && p.trns == nil:
		return image.NewGray(r)
	case p.colorType == pngRGB && p.trns == nil && p.depth == 16:
		return image.NewRGBA64(r)
	case p.colorType == pngRGB && p.trns == nil:
		return image.NewRGBA(r)
	case p.depth == 16:
		return image.NewNRGBA64(r)
	}
	return image.NewNRGBA(r)
}

// pixOf returns the pixel buffer of an image newRowImage made.
func pixOf(m image.Image) []byte {
	switch m := m.(type) {
	case *image.Paletted:
		return m.Pix
	case *image.Gray:
		return m.Pix
	case *image.Gray16:
		return m.Pix
	case *image.RGBA:
		return m.Pix
	case *image.RGBA64:
		return m.Pix
	case *image.NRGBA:
		return m.Pix
	case *image.NRGBA64:
		return m.Pix
	}
	panic(fmt.Sprintf("imaging: no pixel buffer in %T", m))
}

// idatReader presents the consecutive IDAT chunks from off as one stream.
// Their CRCs were checked by pngChunks before it is used.
type idatReader struct {
	data []byte
	off  int    // next chunk
	cur  []byte // what is left of the current chunk
}

func (r *idatReader) Read(b []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.off+8 > len(r.data) {
			return 0, io.ErrUnexpectedEOF
		}
		n := int(binary.BigEndian.Uint32(r.data[r.off:]))
		if string(r.data[r.off+4:r.off+8]) != "IDAT" {
			return 0, png.FormatError("not enough pixel data")
		}
		if n < 0 || n > len(r.data)-r.off-12 {
			return 0, io.ErrUnexpectedEOF
		}
		if crc32.ChecksumIEEE(r.data[r.off+4:r.off+8+n]) != binary.BigEndian.Uint32(r.data[r.off+8+n:]) {
			return 0, png.FormatError("invalid checksum")
		}
		r.cur = r.data[r.off+8 : r.off+8+n]
		r.off += 12 + n
	}
	n := copy(b, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// pngRows decodes a non-interlaced PNG and calls row with each row, in
// order, as a one-row image of the type image/png returns; the image is
// reused for the next row. Memory is two rows of filtered data, the row
// image and the inflater's window.
func pngRows(data []byte, p *pngInfo, row func(y int, m image.Image)) error {
	if p.interlaced {
		return errors.New("png: pngRows reads non-interlaced files only")
	}
	idat := &idatReader{data: data, off: p.idat}
	zr, err := zlib.NewReader(idat)
	if err != nil {
		return err
	}
	defer zr.Close()
	rb := p.rowBytes()
	bpp := max(1, p.channels()*p.depth/8) // bytes per complete pixel, for the filters
	cr, pr := make([]byte, 1+rb), make([]byte, 1+rb)
	m := p.newRowImage(p.width, 1)
	pix := pixOf(m)
	for y := range p.height {
		if _, err := io.ReadFull(zr, cr); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if err := unfilter(cr[0], cr[1:], pr[1:], bpp); err != nil {
			return err
		}
		p.convertRow(pix, cr[1:])
		row(y, m)
		cr, pr = pr, cr
	}
	// The zlib stream must end here, with a valid checksum, and so must
	// the pixel data.
	var one [1]byte
	n := 0
	for i := 0; n == 0 && err == nil; i++ {
		if i == 100 {
			return io.ErrNoProgress
		}
		n, err = zr.Read(one[:])
	}
	if err != nil && err != io.EOF {
		return png.FormatError(err.Error())
	}
	if n != 0 || len(idat.cur) != 0 {
		return png.FormatError("too much pixel data")
	}
	// The chunks after the image: CRCs, order, and an IEND to finish.
	return pngChunks(data, idat.off, func(typ string, b []byte, _ int) (bool, error) {
		switch typ {
		case "IHDR", "PLTE", "tRNS":
			return false, errPNGChunkOrder
		case "IEND":
			if len(b) != 0 {
				return false, png.FormatError("bad IEND length")
			}
			return false, nil
		}
		return true, nil // later IDAT chunks are ignored, as image/png does
	})
}

// PNG filter types.
const (
	ftNone = iota
	ftSub
	ftUp
	ftAverage
	ftPaeth
)

// unfilter reverses the filter of the row cdat, given the previous row.
func unfilter(filter byte, cdat, pdat []byte, bpp int) error {
	switch filter {
	case ftNone:
	case ftSub:
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += cdat[i-bpp]
		}
	case ftUp:
		for i, p := range pdat {
			cdat[i] += p
		}
	case ftAverage:
		for i := range bpp {
			cdat[i] += pdat[i] / 2
		}
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += uint8((int(cdat[i-bpp]) + int(pdat[i])) / 2)
		}
	case ftPaeth:
		for i := range cdat {
			var a, c int
			if i >= bpp {
				a, c = int(cdat[i-bpp]), int(pdat[i-bpp])
			}
			b := int(pdat[i])
			pa, pb, pc := abs(b-c), abs(a-c), abs(a+b-2*c)
			switch {
			case pa <= pb && pa <= pc:
				cdat[i] += uint8(a)
			case pb <= pc:
				cdat[i] += uint8(b)
			default:
				cdat[i] += uint8(c)
			}
		}
	default:
		return png.FormatError("bad filter type")
	}
	return nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// convertRow turns one unfiltered row into the pixels of the row image, as
// image/png does.
func (p *pngInfo) convertRow(pix, cdat []byte) {
	w := p.width
	switch {
	case p.depth < 8: // gray or paletted, 1, 2 or 4 bits
		mask, scale := byte(1<<p.depth-1), byte(0xff/(1<<p.depth-1))
		perByte := 8 / p.depth
		for x := range w {
			v := cdat[x/perByte] >> (8 - p.depth*(x%perByte+1)) & mask
			if p.colorType == pngPaletted {
				pix[x] = v
				continue
			}
			p.grayPixel(pix, x, v*scale)
		}
	case p.colorType == pngPaletted, p.colorType == pngGray && p.depth == 8 && p.trns == nil:
		copy(pix, cdat[:w])
	case p.colorType == pngGray && p.depth == 8:
		for x := range w {
			p.grayPixel(pix, x, cdat[x])
		}
	case p.colorType == pngRGB && p.depth == 8:
		var tr [3]byte
		if p.trns != nil {
			tr = [3]byte{p.trns[1], p.trns[3], p.trns[5]}
		}
		for x := range w {
			s, d := cdat[3*x:3*x+3:3*x+3], pix[4*x:4*x+4:4*x+4]
			d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 0xff
			if p.trns != nil && s[0] == tr[0] && s[1] == tr[1] && s[2] == tr[2] {
				d[3] = 0
			}
		}
	case p.colorType == pngGrayAlpha && p.depth == 8:
		for x := range w {
			g, a := cdat[2*x], cdat[2*x+1]
			pix[4*x], pix[4*x+1], pix[4*x+2], pix[4*x+3] = g, g, g, a
		}
	case p.colorType == pngRGBA && p.depth == 8:
		copy(pix, cdat[:4*w])
	case p.colorType == pngGray: // 16 bits
		if p.trns == nil {
			copy(pix, cdat[:2*w])
			return
		}
		for x := range w {
			g0, g1 := cdat[2*x], cdat[2*x+1]
			a := byte(0xff)
			if g0 == p.trns[0] && g1 == p.trns[1] {
				a = 0
			}
			copy(pix[8*x:], []byte{g0, g1, g0, g1, g0, g1, a, a})
		}
	case p.colorType == pngRGB: // 16 bits
		for x := range w {
			s, d := cdat[6*x:6*x+6:6*x+6], pix[8*x:8*x+8:8*x+8]
			copy(d, s)
			d[6], d[7] = 0xff, 0xff
			if p.trns != nil && bytes.Equal(s, p.trns) {
				d[6], d[7] = 0, 0
			}
		}
	case p.colorType == pngGrayAlpha: // 16 bits
		for x := range w {
			s := cdat[4*x : 4*x+4 : 4*x+4]
			copy(pix[8*x:], []byte{s[0], s[1], s[0], s[1], s[0], s[1], s[2], s[3]})
		}
	default: // RGBA, 16 bits
		copy(pix, cdat[:8*w])
	}
}

// grayPixel stores an 8-bit gray sample, as a gray pixel, or, when the
// file has a transparent gray value, as an NRGBA pixel.
func (p *pngInfo) grayPixel(pix []byte, x int, v byte) {
	if p.trns == nil {
		pix[x] = v
		return
	}
	a := byte(0xff)
	if v == p.trns[1]*byte(0xff/(1<<min(p.depth, 8)-1)) {
		a = 0
	}
	pix[4*x], pix[4*x+1], pix[4*x+2], pix[4*x+3] = v, v, v, a
}
