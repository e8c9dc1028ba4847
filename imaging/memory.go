package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"

	"golang.org/x/image/tiff/lzw"

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

// scaleDown is what the sender of an image too large for memory can do.
const scaleDown = "scale the photo down and try again"

// acquire takes the peak from the budget. The release function it returns
// must be called when the memory is no longer used.
func (s settings) acquire(peak int64, what string) (release func(), err error) {
	if peak > s.maxDecode {
		return nil, tooLargef("%s needs about %s of memory to decode, over the limit of %s; %s", what, mib(peak), mib(s.maxDecode), scaleDown)
	}
	if s.memory == nil {
		return func() {}, nil
	}
	if err := s.memory.Acquire(peak); err != nil {
		var pe interface{ Permanent() bool }
		if errors.As(err, &pe) && pe.Permanent() {
			return nil, tooLargef("%s: %v; %s", what, err, scaleDown)
		}
		return nil, fmt.Errorf("imaging: wait for memory to decode %s: %w", what, err)
	}
	return func() { s.memory.Release(peak) }, nil
}

// renderBytes is what the steps after the decode allocate: the resampler's
// rows and output, the upright copy and the encoder's buffers, or, before
// them, the face detector's, whichever is more.
func renderBytes(s settings) int64 {
	side := int64(s.size)
	return max(16*side*side+4<<20, detectBytes)
}

// detectBytes bounds what face detection holds at once: the face network's
// maps (a square input of 416 pixels allocates 8.4 MiB in all, half of it
// live at once), its input and the grayscale thumbnail.
const detectBytes = 8 << 20

// decodePeak is the memory the decoder of format allocates for data, from
// its header, with the embedded colour profile it will read. load acquires
// it, with renderBytes, before decode runs. A format added to decode adds
// its case here, from what its header (h, which decodeConfig fills) says
// of the buffers its decoder allocates; a decoder in an internal package
// exports that figure, as dctjpeg's Config.BufferBytes does.
func decodePeak(format string, data []byte, h *header, short int) int64 {
	w, ht := int64(h.Width), int64(h.Height)
	px := w * ht
	var peak int64
	switch format {
	case formatJPEG:
		peak = h.jpeg.BufferBytes(jpegScale(h.Width, h.Height, short)) + jpegICCBytes(data)
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
			peak = reducedBytes(h.Width, h.Height, pngFactor(p, short)) + rows + 8*w
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
	tiffTagBitsPerSample   = 258
	tiffTagCompression     = 259
	tiffTagPhotometric     = 262
	tiffTagStripOffsets    = 273
	tiffTagRowsPerStrip    = 278
	tiffTagStripByteCounts = 279
	tiffTagTileWidth       = 322
	tiffTagTileLength      = 323
	tiffTagTileOffsets     = 324
	tiffTagTileByteCounts  = 325
)

// tiffPeak is what x/image/tiff allocates for a w×h TIFF: the image (1 or
// 2 bytes a pixel for gray and paletted, 4 or 8 for colour) and one strip
// or tile of decompressed data. A compressed block is read into a buffer
// that grows (holding old and new as it does, three times its final size)
// until the data ends or reaches 8 bytes per pixel of the block, however
// few bytes the header's format needs; so each deflate or LZW block is
// inflated here first, into nothing, to learn its real size: a small
// deflate strip can demand hundreds of megabytes.
func tiffPeak(data []byte, w, h int) int64 {
	first := func(tag uint16, def int64) int64 {
		if v := tiffValues(data, tag, 1); len(v) > 0 {
			return v[0]
		}
		return def
	}
	bps := first(tiffTagBitsPerSample, 1)
	bpp := int64(4)
	switch first(tiffTagPhotometric, 1) {
	case 0, 1, 3: // gray or paletted
		bpp = 1
	}
	if bps == 16 {
		bpp *= 2
	}
	image := int64(w) * int64(h) * bpp
	bw, bh := int64(w), first(tiffTagRowsPerStrip, int64(h))
	offsetsTag, countsTag := uint16(tiffTagStripOffsets), uint16(tiffTagStripByteCounts)
	if tw := first(tiffTagTileWidth, 0); tw > 0 {
		bw, bh = tw, first(tiffTagTileLength, tw)
		offsetsTag, countsTag = tiffTagTileOffsets, tiffTagTileByteCounts
	}
	bh = min(max(bh, 1), int64(h))
	bw = min(max(bw, 1), 2*int64(w))
	limit := bw * bh * 8 // x/image/tiff's bound on a block's data
	offsets := tiffValues(data, offsetsTag, len(data)/4)
	counts := tiffValues(data, countsTag, len(data)/4)
	var block int64
	switch first(tiffTagCompression, 1) {
	case 1: // none: the block is read as it is stored
		for _, n := range counts {
			block = max(block, min(n, limit, int64(len(data))))
		}
	case 5, 8, 32946: // LZW, deflate
		lzwData := first(tiffTagCompression, 1) == 5
		for i := range min(len(offsets), len(counts)) {
			off, n := offsets[i], counts[i]
			if off < 0 || n <= 0 || off >= int64(len(data)) {
				continue
			}
			block = max(block, 3*inflatedSize(data[off:min(off+n, int64(len(data)))], lzwData, limit))
		}
	default: // PackBits and the fax codings: the bound
		block = 3 * limit
	}
	return image + block
}

// inflatedSize is how many bytes a deflate or LZW block inflates to, up to
// limit, counted without keeping them.
func inflatedSize(block []byte, lzwData bool, limit int64) int64 {
	var r io.ReadCloser
	if lzwData {
		r = lzw.NewReader(bytes.NewReader(block), lzw.MSB, 8)
	} else {
		zr, err := zlib.NewReader(bytes.NewReader(block))
		if err != nil {
			return 0 // the decoder fails on it before it allocates
		}
		r = zr
	}
	defer r.Close()
	n, _ := io.Copy(io.Discard, io.LimitReader(r, limit))
	return n
}

// tiffValues reads up to limit values of a SHORT or LONG tag of IFD0.
func tiffValues(data []byte, tag uint16, limit int) []int64 {
	e, bo := tiffTag(data, tag)
	if e == nil {
		return nil
	}
	typ, n := bo.Uint16(e[2:]), int64(bo.Uint32(e[4:]))
	size := int64(2)
	switch typ {
	case 3: // SHORT
	case 4: // LONG
		size = 4
	default:
		return nil
	}
	n = min(n, int64(limit))
	raw := e[8:12]
	if n*size > 4 {
		off := int64(bo.Uint32(e[8:]))
		if off < 0 || off+n*size > int64(len(data)) {
			return nil
		}
		raw = data[off : off+n*size]
	}
	vals := make([]int64, 0, n)
	for i := range n {
		if size == 2 {
			vals = append(vals, int64(bo.Uint16(raw[2*i:])))
		} else {
			vals = append(vals, int64(bo.Uint32(raw[4*i:])))
		}
	}
	return vals
}

// header is what decodeConfig read.
type header struct {
	image.Config
	jpeg dctjpeg.Config // for JPEG
	png  *pngInfo       // for PNG
}
