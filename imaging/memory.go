package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"

	"github.com/contactphoto/contactphoto/imaging/internal/dctjpeg"
)

// A MemoryBudget lends Process and Decode the bytes an image needs while it
// is decoded and made into the photo, so that several images decoded at
// once in one process stay within its memory. Process computes the peak
// from the header, for the buffers the decoder of that format really
// allocates, before any pixel buffer exists; acquires it; and releases it
// when it returns.
//
// Acquire returns nil once the n bytes are taken. An error whose
// Permanent() bool method reports true means the bytes can never be had:
// Process then fails with an error matching ErrTooLarge that repeats the
// budget's message. Any other error (the wait for bytes others hold ended
// with a deadline, say) is returned wrapped, as it is, and is not
// permanent: the same image may fit when the process is less busy.
//
// A decoder added to the package acquires its own peak through
// settings.acquire, as every decode path in this file does.
type MemoryBudget interface {
	Acquire(n int64) error
	Release(n int64)
}

// DefaultMaxDecodeBytes bounds the memory one image may need while it is
// decoded and made into the photo, whether or not Options.Memory is set.
const DefaultMaxDecodeBytes = 192 << 20

// mib formats a byte count for messages.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// acquire takes the peak from the budget. The release function it returns
// must be called when the memory is no longer used.
func (s settings) acquire(peak int64, what string) (release func(), err error) {
	if peak > s.maxDecode {
		return nil, tooLargef("%s needs about %s of memory to decode, over the limit of %s", what, mib(peak), mib(s.maxDecode))
	}
	if s.memory == nil {
		return func() {}, nil
	}
	if err := s.memory.Acquire(peak); err != nil {
		var pe interface{ Permanent() bool }
		if errors.As(err, &pe) && pe.Permanent() {
			return nil, tooLargef("%s: %v", what, err)
		}
		return nil, fmt.Errorf("imaging: wait for memory to decode %s: %w", what, err)
	}
	return func() { s.memory.Release(peak) }, nil
}

// renderBytes is what the steps after the decode allocate: the face
// detector's thumbnail, the resampler's rows and output, the upright copy
// and the encoder's buffers.
func renderBytes(s settings) int64 {
	side := int64(s.size)
	return 16*side*side + 4<<20
}

// decodePeak is the memory the decoder of format allocates for data, from
// its header, with the embedded colour profile it will read.
func decodePeak(format string, data []byte, h *header, minShort int) int64 {
	w, ht := int64(h.Width), int64(h.Height)
	px := w * ht
	var peak int64
	switch format {
	case formatJPEG:
		scale := dctjpeg.ScaleFor(min(h.Width, h.Height), jpegHeadroom*minShort)
		peak = h.jpeg.BufferBytes(scale)
		if h.jpeg.Unsupported != "" {
			// image/jpeg at full size: the planes, and for progressive
			// files the coefficients of every block, 4 bytes a sample.
			peak = px * int64(h.jpeg.Components) * 5
		}
		peak += jpegICCBytes(data)
	case formatPNG:
		p := h.png
		rows := 2 * int64(p.rowBytes()+1)
		if p.interlaced {
			// image/png allocates the whole image, then each pass's own
			// image (the last is half the size, the one before it a
			// quarter, not yet collected) before merging it.
			peak = px*int64(p.outBytesPerPixel())*7/4 + rows
		} else if !pngReduces(p) {
			peak = px*int64(p.outBytesPerPixel()) + rows + int64(p.outBytesPerPixel())*w
		} else {
			peak = reducedBytes(h.Width, h.Height, pngFactor(p, minShort)) + rows + 8*w
		}
		peak += 64 << 10 // the inflater
		if p.iccp {
			peak += 2 * maxICCBytes // inflated by pngICC, growing as it reads
		}
	case formatGIF:
		// image/gif allocates the first frame only; onCanvas places it.
		fw, fh := gifFrameSize(data, h.Width, h.Height)
		peak = int64(fw)*int64(fh) + 64<<10
	case formatWebP:
		peak = webpPeak(data, px)
	case formatBMP:
		bpp := 4
		if len(data) >= 30 && binary.LittleEndian.Uint16(data[28:]) <= 8 {
			bpp = 1 // paletted
		}
		peak = px*int64(bpp) + 4*w
	case formatTIFF:
		peak = tiffPeak(data, h.Width, h.Height)
	}
	return peak
}

// pngReduceAbove is the size, in image/png's own pixels, over which a
// non-interlaced PNG is reduced while it is decoded. Below it the image is
// held whole, as cheap as it is, and the resampler alone makes the photo.
const pngReduceAbove = 16 << 20

// pngReduces reports whether a PNG is reduced while it is decoded.
func pngReduces(p *pngInfo) bool {
	return !p.interlaced && int64(p.width)*int64(p.height)*int64(p.outBytesPerPixel()) > pngReduceAbove
}

// pngFactor is the factor a large PNG is reduced by while it is decoded:
// the largest whose shorter side stays at least minShort, as decodeJPEG's
// scale does, so that a face crop keeps its resolution and the reduced
// image stays under 2×minShort on its shorter side. The photo is then
// resampled twice, which costs about 1 dB (PSNR) on a photo at 40 dB, as
// the scaled JPEG decode does.
func pngFactor(p *pngInfo, minShort int) int {
	return max(1, min(p.width, p.height)/max(1, minShort))
}

// jpegICCBytes is what jpegICC allocates to join the profile's segments.
func jpegICCBytes(data []byte) int64 {
	var n int64
	walkJPEG(data, func(marker byte, seg []byte) bool {
		if marker == 0xe2 && bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00")) {
			n += int64(len(seg))
		}
		return true
	})
	return 2 * n
}

// gifFrameSize reads the size of the first frame from its image
// descriptor, or returns the screen's when the file is too broken to say.
func gifFrameSize(data []byte, sw, sh int) (int, int) {
	if len(data) < 13 {
		return sw, sh
	}
	off := 13
	if data[10]&0x80 != 0 {
		off += 3 << (int(data[10]&7) + 1)
	}
	for off < len(data) {
		switch data[off] {
		case 0x2c: // image descriptor
			if off+10 > len(data) {
				return sw, sh
			}
			w, h := int(binary.LittleEndian.Uint16(data[off+5:])), int(binary.LittleEndian.Uint16(data[off+7:]))
			return min(w, sw), min(h, sh)
		case 0x21: // extension: label, then sub-blocks
			off += 2
			for off < len(data) && data[off] != 0 {
				off += 1 + int(data[off])
			}
			off++
		default:
			return sw, sh
		}
	}
	return sw, sh
}

// webpPeak is what x/image/webp allocates for an image of px pixels: the
// 4:2:0 planes of a lossy image (with an alpha plane, which is itself
// decoded as a lossless image), or the lossless decoder's pixels and its
// transform's copy.
func webpPeak(data []byte, px int64) int64 {
	lossless := riffChunk(data, "VP8L") != nil
	alpha := riffChunk(data, "ALPH") != nil
	if frame := riffChunk(data, "ANMF"); len(frame) >= 16 {
		sub := frame[16:]
		for off := 0; off+8 <= len(sub); {
			n := int(binary.LittleEndian.Uint32(sub[off+4:]))
			switch string(sub[off : off+4]) {
			case "VP8L":
				lossless = true
			case "ALPH":
				alpha = true
			}
			if n < 0 || n > len(sub)-off-8 {
				off = len(sub)
				continue
			}
			off += 8 + n + n&1
		}
	}
	switch {
	case lossless:
		return 8*px + 1<<20
	case alpha:
		return px*3/2 + 9*px + 1<<20
	}
	return px*3/2 + 1<<20
}

// TIFF tags and values tiffPeak reads.
const (
	tiffTagBitsPerSample = 258
	tiffTagCompression   = 259
	tiffTagPhotometric   = 262
	tiffTagRowsPerStrip  = 278
	tiffTagTileWidth     = 322
	tiffTagTileLength    = 323
)

// tiffPeak is what x/image/tiff allocates for a w×h TIFF: the image (1 or
// 2 bytes a pixel for gray and paletted, 4 or 8 for colour) and one strip
// or tile of decompressed data. For a compressed block it reads into a
// growing buffer that stops only at 8 bytes per pixel of the block, however
// few bytes the header's format needs, so a small deflate strip can
// demand hundreds of megabytes: that bound, with the buffer's growth, is
// what counts.
func tiffPeak(data []byte, w, h int) int64 {
	first := func(tag uint16, def int64) int64 {
		v, ok := tiffValue(data, tag)
		if !ok {
			return def
		}
		return v
	}
	bps := first(tiffTagBitsPerSample, 1)
	photometric := first(tiffTagPhotometric, 1)
	bpp := int64(4)
	switch photometric {
	case 0, 1, 3: // gray or paletted
		bpp = 1
	}
	if bps == 16 {
		bpp *= 2
	}
	image := int64(w) * int64(h) * bpp
	bw, bh := int64(w), first(tiffTagRowsPerStrip, int64(h))
	if tw, ok := tiffValue(data, tiffTagTileWidth); ok {
		bw, bh = tw, first(tiffTagTileLength, tw)
	}
	bh = min(max(bh, 1), int64(h))
	bw = min(max(bw, 1), int64(max(w, 1))*2)
	block := bw * bh * 8
	if c := first(tiffTagCompression, 1); c == 1 {
		// Uncompressed: one block, read whole.
		block = min(block, bw*bh*bpp*2)
	} else {
		block *= 3 // the buffer doubles as it grows, holding old and new
	}
	return image + block
}

// tiffValue reads the first value of a SHORT or LONG tag of IFD0.
func tiffValue(data []byte, tag uint16) (int64, bool) {
	e, bo := tiffTag(data, tag)
	if e == nil {
		return 0, false
	}
	typ, n := bo.Uint16(e[2:]), bo.Uint32(e[4:])
	switch {
	case n == 0:
		return 0, false
	case typ == 3 && n <= 2: // SHORT, inline
		return int64(bo.Uint16(e[8:])), true
	case typ == 4 && n == 1: // LONG, inline
		return int64(bo.Uint32(e[8:])), true
	case typ == 3: // SHORTs elsewhere: the first
		off := int64(bo.Uint32(e[8:]))
		if off+2 > int64(len(data)) {
			return 0, false
		}
		return int64(bo.Uint16(data[off:])), true
	}
	return 0, false
}

// header is what decodeConfig read.
type header struct {
	image.Config
	jpeg dctjpeg.Config // for JPEG
	png  *pngInfo       // for PNG
}
