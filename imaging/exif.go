package imaging

import (
	"bytes"
	"encoding/binary"
)

// MaxExifBytes bounds the Exif block Process accepts. A JPEG APP1 segment
// cannot exceed 64 KiB, so real cameras stay far below it; PNG and WebP
// allow far more, which only a hostile or broken file uses.
const MaxExifBytes = 256 << 10

// findExif returns the TIFF-structured Exif payload of data, or nil when there
// is none. It only slices data, so its cost is a walk over the container's
// segment headers.
func findExif(format string, data []byte) ([]byte, error) {
	var exif []byte
	switch format {
	case formatJPEG:
		exif = jpegExif(data)
	case formatPNG:
		exif = pngChunk(data, "eXIf")
	case formatWebP:
		exif = riffChunk(data, "EXIF")
	case formatTIFF:
		// A TIFF file is itself the structure Exif borrows; its IFD0
		// holds the Orientation tag.
		return data, nil
	}
	// Some writers keep the JPEG APP1 signature in PNG and WebP chunks.
	exif = bytes.TrimPrefix(exif, []byte("Exif\x00\x00"))
	if len(exif) > MaxExifBytes {
		return nil, tooLargef("Exif block of %d bytes exceeds the limit of %d", len(exif), MaxExifBytes)
	}
	return exif, nil
}

// jpegExif returns the payload of the first APP1 Exif segment.
func jpegExif(data []byte) []byte {
	var exif []byte
	walkJPEG(data, func(marker byte, seg []byte) bool {
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			exif = seg[6:]
			return false
		}
		return true
	})
	return exif
}

// walkJPEG calls fn with each marker segment of a JPEG before the first scan,
// where all metadata lives, until fn returns false or the data ends or
// breaks.
func walkJPEG(data []byte, fn func(marker byte, seg []byte) bool) {
	for off := 2; off+4 <= len(data); {
		if data[off] != 0xff {
			return
		}
		marker := data[off+1]
		switch {
		case marker == 0xff: // fill byte
			off++
			continue
		case marker == 0x01 || marker >= 0xd0 && marker <= 0xd8: // no length
			off += 2
			continue
		case marker == 0xda || marker == 0xd9: // start of scan, end of image
			return
		}
		n := int(binary.BigEndian.Uint16(data[off+2:]))
		if n < 2 || off+2+n > len(data) {
			return
		}
		if !fn(marker, data[off+4:off+2+n]) {
			return
		}
		off += 2 + n
	}
}

// countJPEGScans counts the scans (SOS markers) of a JPEG, skipping the
// entropy-coded data between them, and stops counting past limit.
func countJPEGScans(data []byte, limit int) int {
	scans := 0
	for i := 2; i+1 < len(data) && scans <= limit; i++ {
		if data[i] != 0xff {
			// Entropy-coded data is most of the file: jump to the next
			// 0xFF with the vectorised search.
			j := bytes.IndexByte(data[i:len(data)-1], 0xff)
			if j < 0 {
				break
			}
			i += j
		}
		switch m := data[i+1]; {
		case m == 0xda:
			scans++
		case m == 0xd9:
			return scans
		case m == 0x00 || m == 0xff || m >= 0xd0 && m <= 0xd7:
			// Stuffed zero, fill byte or restart marker: no length.
			continue
		default:
			// A segment with a length before the next scan: skip it so
			// its payload (an Exif thumbnail, say) is not scanned.
			if i+4 <= len(data) && (m < 0xd0 || m > 0xd9) {
				i += 1 + int(binary.BigEndian.Uint16(data[i+2:]))
			}
		}
	}
	return scans
}

// pngChunk returns the data of the first PNG chunk of the given type.
func pngChunk(data []byte, typ string) []byte {
	for off := 8; off+8 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[off:]))
		if n < 0 || n > len(data)-off-12 {
			return nil
		}
		if string(data[off+4:off+8]) == typ {
			return data[off+8 : off+8+n]
		}
		if string(data[off+4:off+8]) == "IEND" {
			return nil
		}
		off += 12 + n
	}
	return nil
}

// riffChunk returns the data of the first top-level chunk of a WebP file with
// the given FourCC.
func riffChunk(data []byte, fourcc string) []byte {
	for off := 12; off+8 <= len(data); {
		n := int(binary.LittleEndian.Uint32(data[off+4:]))
		if n < 0 || n > len(data)-off-8 {
			return nil
		}
		if string(data[off:off+4]) == fourcc {
			return data[off+8 : off+8+n]
		}
		off += 8 + n + n&1
	}
	return nil
}

// tiffTag finds a tag in IFD0 of a TIFF-structured block and returns its
// 12-byte entry and the block's byte order, or nil when the block is broken
// or lacks the tag.
func tiffTag(tiff []byte, tag uint16) ([]byte, binary.ByteOrder) {
	if len(tiff) < 8 {
		return nil, nil
	}
	var bo binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return nil, nil
	}
	ifd := int64(bo.Uint32(tiff[4:]))
	if ifd < 8 || ifd+2 > int64(len(tiff)) {
		return nil, nil
	}
	n := int64(bo.Uint16(tiff[ifd:]))
	entries := tiff[ifd+2:]
	n = min(n, int64(len(entries))/12)
	for i := range n {
		if e := entries[i*12 : i*12+12]; bo.Uint16(e) == tag {
			return e, bo
		}
	}
	return nil, nil
}

// exifOrientation reads the Orientation tag (0x0112) from IFD0 of a
// TIFF-structured block. Anything broken or out of range yields 1: a photo
// shown as stored is better than one rotated on the strength of garbage.
func exifOrientation(tiff []byte) int {
	e, bo := tiffTag(tiff, 0x0112)
	if e == nil || bo.Uint16(e[2:]) != 3 || bo.Uint32(e[4:]) != 1 { // one SHORT, stored inline
		return 1
	}
	if v := int(bo.Uint16(e[8:])); v >= 1 && v <= 8 {
		return v
	}
	return 1
}

// tiffICC returns the ICC profile (tag 34675, UNDEFINED bytes) of a TIFF.
func tiffICC(tiff []byte) []byte {
	e, bo := tiffTag(tiff, 34675)
	if e == nil || bo.Uint16(e[2:]) != 7 {
		return nil
	}
	n, off := int64(bo.Uint32(e[4:])), int64(bo.Uint32(e[8:]))
	if n <= 4 || off+n > int64(len(tiff)) {
		return nil
	}
	return tiff[off : off+n]
}
