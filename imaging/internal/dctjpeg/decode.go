package dctjpeg

import (
	"fmt"
	"image"
	"io"
)

// Marker codes (T.81 Table B.1), the byte after 0xFF.
const (
	sof0  = 0xC0 // baseline
	sof1  = 0xC1 // extended sequential, Huffman
	sof2  = 0xC2 // progressive, Huffman
	sof3  = 0xC3 // lossless, Huffman
	dht   = 0xC4
	sof9  = 0xC9 // extended sequential, arithmetic
	sof10 = 0xCA // progressive, arithmetic
	sof15 = 0xCF
	dac   = 0xCC // arithmetic conditioning
	rst0  = 0xD0
	rst7  = 0xD7
	soi   = 0xD8
	eoi   = 0xD9
	sos   = 0xDA
	dqt   = 0xDB
	dnl   = 0xDC
	dri   = 0xDD
	app0  = 0xE0
	app14 = 0xEE
	com   = 0xFE
)

const (
	// DefaultMaxPixels is the source pixel budget when Options.MaxPixels is
	// zero: a 200 MP phone photo fits.
	DefaultMaxPixels = 250_000_000
	// DefaultMaxBuffer is the budget, when Options.MaxBuffer is zero, for
	// the memory the decoder allocates at the chosen scale: output planes
	// plus, for progressive files, the coefficients it keeps.
	DefaultMaxBuffer = 128 << 20

	// maxDecodedScans bounds the work a progressive file can demand: every
	// decoded scan walks all blocks of its components. Real encoders write
	// at most a few dozen scans.
	maxDecodedScans = 256
)

// Options controls Decode. A nil *Options means scale 1 and the default
// budgets.
type Options struct {
	// Scale is the reduction: 1, 2, 4 or 8. The output is
	// ceil(width/Scale) × ceil(height/Scale). 0 means 1.
	Scale int
	// MaxPixels bounds width×height as stored in the header; 0 means
	// DefaultMaxPixels.
	MaxPixels int64
	// MaxBuffer bounds the bytes of pixel and coefficient memory allocated
	// at the chosen scale (see Config.BufferBytes); 0 means DefaultMaxBuffer.
	MaxBuffer int64
}

// ColorSpace is how the components of a JPEG are to be interpreted.
type ColorSpace int

const (
	Gray  ColorSpace = iota + 1 // one component
	YCbCr                       // three components, JFIF
	RGB                         // three components, no transform (Adobe transform 0 or ids 'R','G','B')
	CMYK                        // four components, Adobe transform 0 (stored inverted, as Adobe does)
	YCCK                        // four components, Adobe transform 2
)

func (c ColorSpace) String() string {
	switch c {
	case Gray:
		return "Gray"
	case YCbCr:
		return "YCbCr"
	case RGB:
		return "RGB"
	case CMYK:
		return "CMYK"
	case YCCK:
		return "YCCK"
	}
	return fmt.Sprintf("ColorSpace(%d)", int(c))
}

// Config describes a JPEG from its headers.
type Config struct {
	Width, Height int
	Components    int
	ColorSpace    ColorSpace
	Progressive   bool
	// Sampling holds each component's horizontal and vertical sampling
	// factors, such as {{2, 2}, {1, 1}, {1, 1}} for 4:2:0.
	Sampling [][2]int
	// Unsupported names the feature, such as "12-bit samples", for
	// which Decode will return an *UnsupportedError; "" when there is none.
	Unsupported string
}

// BufferBytes is the memory Decode allocates for pixels and coefficients at
// the given scale, the figure checked against Options.MaxBuffer.
func (c Config) BufferBytes(scale int) int64 {
	hmax, vmax := 1, 1
	for _, s := range c.Sampling {
		hmax, vmax = max(hmax, s[0]), max(vmax, s[1])
	}
	mcusX := int64(ceilDiv(c.Width, 8*hmax))
	mcusY := int64(ceilDiv(c.Height, 8*vmax))
	var total int64
	for _, s := range c.Sampling {
		n := int64(componentN(8/scale, s[0], s[1], hmax, vmax))
		blocks := mcusX * int64(s[0]) * mcusY * int64(s[1])
		per := n * n // one byte per output sample
		if c.Progressive {
			per += 2*n*n + 8 // kept coefficients, nonzero history
		}
		total += blocks*per + blocks/8 + 8 // and a bit per block: its data arrived
	}
	if c.Components == 4 || c.ColorSpace == RGB {
		// Interleaved output next to the planes.
		total += 4 * int64(ceilDiv(c.Width, scale)) * int64(ceilDiv(c.Height, scale))
	}
	return total
}

// ScaleFor returns the largest reduction (8, 4, 2 or 1) that still leaves
// at least minEdge pixels across an edge of edge source pixels, the choice
// that keeps a later high-quality resample from losing detail.
func ScaleFor(edge, minEdge int) int {
	for _, s := range []int{8, 4, 2} {
		if edge >= minEdge*s {
			return s
		}
	}
	return 1
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// byteSize formats a byte count for messages.
func byteSize(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// DecodeConfig reads the headers of a JPEG up to its frame header. It
// reports the frames of processes Decode does not handle as well, with
// Config.Unsupported set, so that a caller can size a fallback decode.
func DecodeConfig(r io.Reader) (Config, error) {
	d := newDecoder(r, 1)
	if err := d.readHeaders(); err != nil {
		return Config{}, err
	}
	return d.config(), nil
}

// Decode decodes a JPEG at 1/opt.Scale of its size. When the data is cut
// short or corrupt, Decode recovers as libjpeg does and returns the image
// together with a *DamageError that says how much of it is missing. The result is an
// *image.Gray for one component, an *image.YCbCr for YCbCr (with the
// file's chroma subsampling when image.YCbCr can express it, 4:4:4
// otherwise), an *image.RGBA for RGB, and an *image.CMYK for CMYK and YCCK,
// with the conventions of image/jpeg.
func Decode(r io.Reader, opt *Options) (image.Image, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	switch o.Scale {
	case 1, 2, 4, 8:
	default:
		return nil, fmt.Errorf("dctjpeg: scale %d is not 1, 2, 4 or 8", o.Scale)
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.MaxBuffer <= 0 {
		o.MaxBuffer = DefaultMaxBuffer
	}
	d := newDecoder(r, o.Scale)
	if err := d.readHeaders(); err != nil {
		return nil, err
	}
	cfg := d.config()
	if px := int64(d.width) * int64(d.height); px > o.MaxPixels {
		return nil, fmt.Errorf("%w: %dx%d is %d pixels, over the pixel limit of %d", ErrTooLarge, d.width, d.height, px, o.MaxPixels)
	}
	if b := cfg.BufferBytes(o.Scale); b > o.MaxBuffer {
		return nil, fmt.Errorf("%w: decoding %dx%d at 1/%d needs %s of memory, over the memory limit of %s",
			ErrTooLarge, d.width, d.height, o.Scale, byteSize(b), byteSize(o.MaxBuffer))
	}
	if d.unsupported != nil {
		return nil, d.unsupported
	}
	d.allocate()
	if err := d.readScans(); err != nil {
		return nil, err
	}
	if d.progressive {
		for _, c := range d.comps {
			if !d.quantDefined[c.tq] {
				return nil, formatErr("component uses an undefined quantization table")
			}
		}
		d.reconstruct()
	}
	damage := d.damage()
	img, err := d.image()
	if err != nil || damage == nil {
		return img, err
	}
	return img, damage
}

func newDecoder(r io.Reader, scale int) *decoder {
	d := &decoder{src: newSource(r), scale: scale, n: 8 / scale}
	d.ar.setDefaults()
	return d
}
