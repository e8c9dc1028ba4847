package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"strings"

	"github.com/contactphoto/contactphoto/imaging/internal/dctjpeg"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// decodeConfig reads the dimensions, and what else sizes the decoder's
// buffers, from the header of data, before any pixel buffer exists.
func decodeConfig(format string, data []byte) (h *header, err error) {
	defer recoverDecoder(format, &err)
	h = &header{}
	cfg := &h.Config
	r := bytes.NewReader(data)
	switch format {
	case formatJPEG:
		// Its header also sizes the decoder's buffers (decodePeak).
		h.jpeg, err = dctjpeg.DecodeConfig(r)
		*cfg = image.Config{Width: h.jpeg.Width, Height: h.jpeg.Height}
	case formatPNG:
		// The streaming decoder's own header reader, as strict as
		// image/png's.
		h.png, err = readPNGInfo(data)
		if err == nil {
			*cfg = image.Config{Width: h.png.width, Height: h.png.height}
		}
	case formatGIF:
		*cfg, err = gif.DecodeConfig(r)
	case formatWebP:
		*cfg, err = webp.DecodeConfig(r)
	case formatBMP:
		*cfg, err = bmp.DecodeConfig(r)
	case formatTIFF:
		*cfg, err = tiff.DecodeConfig(r)
	}
	if err != nil {
		return nil, decodeError(format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, &FormatError{Format: format, Err: errors.New("the image has no pixels")}
	}
	return h, nil
}

// decode decodes the pixels of data. h is what decodeConfig returned. The
// result may be smaller than h says, by the same factor on both axes, but
// its shorter side is at least short (one of decodeShorts).
func decode(format string, data []byte, h *header, short int, s settings) (m image.Image, err error) {
	defer recoverDecoder(format, &err)
	r := bytes.NewReader(data)
	cfg := h.Config
	switch format {
	case formatJPEG:
		m, err = decodeJPEG(data, cfg, short, s)
		var damage *dctjpeg.DamageError
		if errors.As(err, &damage) {
			// What arrived is returned; the caller weighs the missing
			// part against the crop it needs (see source.checkDamage).
			return m, err
		}
	case formatPNG:
		m, err = decodePNG(data, h.png, short)
	case formatGIF:
		m, err = decodeGIF(data, cfg)
	case formatWebP:
		m, err = decodeWebP(data, cfg)
	case formatBMP:
		m, err = bmp.Decode(r)
	case formatTIFF:
		m, err = tiff.Decode(r)
	}
	if err != nil {
		return nil, decodeError(format, err)
	}
	if b := m.Bounds(); b.Dx() > cfg.Width || b.Dy() > cfg.Height || min(b.Dx(), b.Dy()) < min(short, cfg.Width, cfg.Height) {
		return nil, &FormatError{Format: format, Err: errors.New("the pixel data does not match the header's dimensions")}
	}
	return m, nil
}

// jpegHeadroom is how many times the needed size a JPEG is reduced to, as
// libvips's thumbnail does: the reduction in the DCT domain stops at twice
// the output size and the resampler does the rest, in one pass. Stopping at
// the output size instead leaves the resampler a reduction of about 1, a
// second blur on top of the first: a 12 MP photo made into a 720-pixel
// square then comes out 2 dB further from an exact reduction and 7% softer.
const jpegHeadroom = 2

// decodeShorts returns the shorter sides, preferred first, that format may
// be reduced to while it is decoded, when the photo needs minShort (see
// minDecodedShort). A JPEG keeps jpegHeadroom where the memory allows it,
// and else goes down to minShort itself, which still keeps the photo's
// full resolution. A face crop may be as small as half the shorter side,
// so with the headroom a photo under 5760 pixels on its shorter side is
// decoded whole, and a progressive one then keeps all 64 coefficients of
// every block: 200 bytes a block, 132 MiB for a 5120x2880 one at 4:4:4.
func decodeShorts(format string, minShort int) []int {
	if format == formatJPEG {
		return []int{jpegHeadroom * minShort, minShort}
	}
	return []int{minShort}
}

// jpegScale is the reduction a w×h JPEG is decoded at for a shorter side
// of at least short: 1/2, 1/4 or 1/8 where that leaves enough, else 1.
func jpegScale(w, h, short int) int {
	return dctjpeg.ScaleFor(min(w, h), short)
}

// decodeJPEG is the one place JPEG data becomes pixels. It decodes in the
// DCT domain straight to the largest reduction (1/2, 1/4 or 1/8) whose
// shorter side is still at least short, so the full-size image never
// exists; a 48 MP photo for a 720-pixel centre crop is decoded at 1/4.
// Damaged data comes back with what arrived and a *dctjpeg.DamageError.
//
// The decoder's own bound on its buffers is the one on the whole decode:
// load has acquired them, with the rest, within s.maxDecode.
func decodeJPEG(data []byte, cfg image.Config, short int, s settings) (image.Image, error) {
	opt := &dctjpeg.Options{Scale: jpegScale(cfg.Width, cfg.Height, short), MaxPixels: s.maxPixels, MaxBuffer: s.maxDecode}
	m, err := dctjpeg.Decode(bytes.NewReader(data), opt)
	if errors.Is(err, dctjpeg.ErrTooLarge) {
		return nil, tooLargef("%v", err)
	}
	return m, err
}

// decodePNG decodes a PNG. A non-interlaced one too large to hold whole
// (see pngReduces) is decoded row by row and reduced on the fly by
// pngFactor, in linear light, into 8-bit sRGB at 3 bytes a pixel, so that
// only the reduced image is ever held. Others are decoded whole, exactly
// as image/png does; interlaced ones by image/png itself.
func decodePNG(data []byte, p *pngInfo, minShort int) (image.Image, error) {
	if p.interlaced {
		return png.Decode(bytes.NewReader(data))
	}
	if !pngReduces(p) {
		return pngFull(data, p)
	}
	red := newReducer(p.width, p.height, pngFactor(p, minShort))
	var read rowReader
	err := pngRows(data, p, func(y int, m image.Image) {
		if read == nil {
			read = newRowReader(m, nil) // m is the same image for every row
		}
		red.add(y, read)
	})
	return red.dst, err
}

// pngFull decodes a non-interlaced PNG into the image image/png returns.
func pngFull(data []byte, p *pngInfo) (image.Image, error) {
	full := p.newRowImage(p.width, p.height)
	pix := pixOf(full)
	err := pngRows(data, p, func(y int, m image.Image) {
		row := pixOf(m)
		copy(pix[y*len(row):], row)
	})
	return full, err
}

// decodeGIF decodes the first frame only, so the number of frames in an
// animation costs nothing, and places it on the logical screen as a viewer
// shows it, without allocating the screen.
func decodeGIF(data []byte, cfg image.Config) (image.Image, error) {
	m, err := gif.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	screen := image.Rect(0, 0, cfg.Width, cfg.Height)
	if m.Bounds() == screen {
		return m, nil
	}
	if !m.Bounds().In(screen) {
		return nil, errors.New("gif: frame outside the logical screen")
	}
	return &onCanvas{frame: m, at: m.Bounds().Min, canvas: screen}, nil
}

// webpAnimation is the animation flag of the VP8X chunk's first byte.
const webpAnimation = 1 << 1

// decodeWebP decodes a still WebP, or the first frame of an animated one,
// which x/image/webp does not read: the frame's chunks are rewrapped as a
// still image and placed on the canvas. Later frames are never looked at.
func decodeWebP(data []byte, cfg image.Config) (image.Image, error) {
	vp8x := riffChunk(data, "VP8X")
	if len(vp8x) < 10 || vp8x[0]&webpAnimation == 0 {
		return webp.Decode(bytes.NewReader(data))
	}
	frame := riffChunk(data, "ANMF")
	if len(frame) < 16 {
		return nil, errors.New("webp: animation without frames")
	}
	le24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
	x, y := 2*le24(frame[0:]), 2*le24(frame[3:])
	w, h := le24(frame[6:])+1, le24(frame[9:])+1
	sub := frame[16:]
	if x+w > cfg.Width || y+h > cfg.Height {
		return nil, errors.New("webp: frame outside the canvas")
	}
	var flags byte
	if len(sub) >= 4 && string(sub[:4]) == "ALPH" {
		flags |= 1 << 4
	}
	still := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00")
	still = append(still, flags, 0, 0, 0,
		byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	still = append(still, sub...)
	binary.LittleEndian.PutUint32(still[4:], uint32(len(still)-8))
	m, err := webp.Decode(bytes.NewReader(still))
	if err != nil {
		return nil, err
	}
	return &onCanvas{frame: m, at: image.Pt(x, y), canvas: image.Rect(0, 0, cfg.Width, cfg.Height)}, nil
}

// recoverDecoder turns a panic in a third-party decoder into a FormatError:
// a crafted file must fail as corrupt, not take the instance down and come
// back with the retry.
func recoverDecoder(format string, err *error) {
	if p := recover(); p != nil {
		*err = &FormatError{Format: format, Err: fmt.Errorf("decoder failed: %v", p)}
	}
}

// decodeError classifies a decoder's error: a valid file using a feature the
// decoder lacks is unsupported, a refusal already classified (too large)
// stays as it is, anything else is corrupt data.
func decodeError(format string, err error) error {
	var (
		dctUnsupported  *dctjpeg.UnsupportedError
		pngUnsupported  png.UnsupportedError
		tiffUnsupported tiff.UnsupportedError
		classified      *kindError
	)
	switch {
	case errors.As(err, &classified):
		return err
	case errors.As(err, &dctUnsupported), errors.As(err, &pngUnsupported), errors.As(err, &tiffUnsupported),
		errors.Is(err, bmp.ErrUnsupported):
		return unsupportedf("this %s uses a feature the decoder lacks (%v); save it as JPEG or PNG", strings.ToUpper(format), err)
	}
	return &FormatError{Format: format, Err: err}
}

// white is the background transparent pixels are flattened on, as a web page
// would show them.
var white = color.RGBA{0xff, 0xff, 0xff, 0xff}
