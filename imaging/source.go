package imaging

import (
	"image"
	"math"
)

// maxJPEGScans bounds the scans of a progressive JPEG.
const maxJPEGScans = 100

// A source is a decoded image with what its container said about it.
type source struct {
	format        string
	width, height int // as stored
	orientation   orientation
	// img may be smaller than width×height when the decoder scaled it
	// down while decoding; geometry is always in stored pixels.
	img  image.Image
	conv *colorMatrix // from the embedded ICC profile to sRGB; nil for sRGB
	cmyk *cmykProfile // the embedded CMYK profile; nil to convert naively
}

// load sniffs, checks the limits and decodes data for output as s says.
func load(data []byte, s settings) (*source, error) {
	format, cfg, err := readHeader(data, s)
	if err != nil {
		return nil, err
	}
	exif, err := findExif(format, data)
	if err != nil {
		return nil, err
	}
	m, err := decode(format, data, cfg, minDecodedShort(s, cfg.Width, cfg.Height), s)
	if err != nil {
		return nil, err
	}
	src := &source{
		format:      format,
		width:       cfg.Width,
		height:      cfg.Height,
		orientation: orientation(exifOrientation(exif)),
		img:         m,
	}
	profile := embeddedICC(format, data)
	if _, ok := m.(*image.CMYK); ok {
		src.cmyk = newCMYKProfile(profile)
	} else {
		src.conv = profileMatrix(profile)
	}
	return src, nil
}

// readHeader sniffs the format and reads the header, refusing what the
// settings' budgets do not allow before any pixel is decoded.
func readHeader(data []byte, s settings) (string, image.Config, error) {
	format, err := sniff(data)
	if err != nil {
		return "", image.Config{}, err
	}
	cfg, err := decodeConfig(format, data)
	if err != nil {
		return "", cfg, err
	}
	return format, cfg, checkBudget(format, data, cfg.Width, cfg.Height, s)
}

// checkBudget refuses, from the header alone, an image whose decoding would
// cost more than the settings allow.
func checkBudget(format string, data []byte, width, height int, s settings) error {
	limit := s.maxFull
	if format == formatJPEG {
		limit = s.maxPixels // decoded at the reduced size; see decodeJPEG
	}
	if px := int64(width) * int64(height); px > limit {
		return tooLargef("%dx%d is %d pixels, over the limit of %d", width, height, px, limit)
	}
	if format == formatJPEG {
		// Each progressive scan is a pass over the whole image; a small
		// crafted file can hold thousands. Encoders write about ten.
		if n := countJPEGScans(data, maxJPEGScans); n > maxJPEGScans {
			return tooLargef("the JPEG has more than %d scans", maxJPEGScans)
		}
	}
	return nil
}

// minDecodedShort is the shortest the decoded image's shorter side may be
// for the output to keep full resolution: a decoder that scales while
// decoding may go down to it but no further.
func minDecodedShort(s settings, w, h int) int {
	short, long := float64(min(w, h)), float64(max(w, h))
	size := float64(s.size)
	var ratio float64
	switch s.crop {
	case CropNone:
		ratio = size / long
	case CropCenter:
		ratio = size / short
	default:
		ratio = size / max(short*minFaceCropShare, min(size, short))
	}
	return int(math.Ceil(short * min(1, ratio)))
}

// render returns the part of the image inside crop (upright stored pixels),
// upright and resampled to w×h.
func (s *source) render(crop image.Rectangle, w, h int) *image.RGBA {
	stored := s.orientation.storedRect(crop, s.width, s.height)
	sw, sh := w, h
	if s.orientation.swapsAxes() {
		sw, sh = h, w
	}
	b := s.img.Bounds()
	fx, fy := float64(b.Dx())/float64(s.width), float64(b.Dy())/float64(s.height)
	r := rectF{float64(stored.Min.X) * fx, float64(stored.Min.Y) * fy, float64(stored.Max.X) * fx, float64(stored.Max.Y) * fy}
	out := resample(newRowReader(s.img, s.cmyk), b.Dx(), b.Dy(), r, sw, sh, s.conv)
	return s.orientation.uprightRGBA(out)
}
