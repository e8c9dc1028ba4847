package imaging

import (
	"bytes"
	"errors"
)

// Format names as reported in Result.Format.
const (
	formatJPEG = "jpeg"
	formatPNG  = "png"
	formatGIF  = "gif"
	formatWebP = "webp"
	formatBMP  = "bmp"
	formatTIFF = "tiff"
	formatHEIC = "heic"
)

// sniff identifies the format from the first bytes of data. File names and
// Content-Type headers are never consulted: users rename files freely and
// browsers guess types from extensions.
func sniff(data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", &FormatError{Err: errors.New("the file is empty")}
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return formatJPEG, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, nil
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return formatGIF, nil
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return formatWebP, nil
	case bytes.HasPrefix(data, []byte("BM")):
		return formatBMP, nil
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return formatTIFF, nil
	case len(data) >= 12 && string(data[4:8]) == "ftyp" && isoBrand(data) == "HEIC":
		return formatHEIC, nil
	}
	return "", unsupportedf("%s", describeUnknown(data))
}

// describeUnknown names a format Process does not read, so the user learns
// what to do instead of seeing a generic failure.
func describeUnknown(data []byte) string {
	if len(data) >= 12 && string(data[4:8]) == "ftyp" {
		if what := isoBrand(data); what != "" {
			return what + " is not supported yet; export as JPEG"
		}
	}
	prefixes := []struct {
		magic string
		what  string
	}{
		{"\xff\x0a", "JPEG XL is not supported; export as JPEG"},
		{"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL is not supported; export as JPEG"},
		{"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000 is not supported; export as JPEG"},
		{"II+\x00", "BigTIFF is not supported; save as a regular TIFF or JPEG"},
		{"MM\x00+", "BigTIFF is not supported; save as a regular TIFF or JPEG"},
		{"%PDF", "this is a PDF document, not an image"},
		{"8BPS", "Photoshop PSD is not supported; export as JPEG or PNG"},
		{"\x00\x00\x01\x00", "ICO icons are not supported; use a PNG or JPEG"},
		{"qoif", "QOI is not supported; export as PNG"},
	}
	for _, p := range prefixes {
		if bytes.HasPrefix(data, []byte(p.magic)) {
			return p.what
		}
	}
	head := bytes.ToLower(bytes.TrimLeft(data[:min(len(data), 512)], " \t\r\n\ufeff"))
	switch {
	case bytes.Contains(head, []byte("<svg")):
		return "SVG is not supported; export as PNG"
	case bytes.HasPrefix(head, []byte("<!doctype html")), bytes.HasPrefix(head, []byte("<html")):
		return "this is an HTML page, not an image"
	}
	// The file's own bytes stay out of the message: it goes to logs,
	// object metadata and terminals, and the bytes may be anything.
	return "not a JPEG, PNG, GIF, WebP, BMP, TIFF or HEIC image"
}

// isoBrand names HEIF-family files (ISO base media), which phones produce
// by default, from the major and compatible brands of the ftyp box.
func isoBrand(data []byte) string {
	size := int(data[0])<<24 | int(data[1])<<16 | int(data[2])<<8 | int(data[3])
	if size < 16 || size > len(data) || size > 4096 {
		size = min(len(data), 64)
	}
	var heic, avif bool
	for off := 8; off+4 <= size; off += 4 {
		if off == 12 { // minor version
			continue
		}
		switch string(data[off : off+4]) {
		case "avif", "avis":
			avif = true
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			heic = true
		}
	}
	switch {
	case avif:
		return "AVIF"
	case heic:
		return "HEIC"
	}
	return ""
}
