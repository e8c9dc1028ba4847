package imaging

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"strings"

	"github.com/contactphoto/contactphoto/imaging/internal/dctjpeg"
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
	img    image.Image
	conv   *colorMatrix // from the embedded ICC profile's primaries to sRGB's; nil for sRGB
	curves *toneCurves  // the embedded ICC profile's tone curves; nil for sRGB's
	cmyk   *cmykProfile // the embedded CMYK profile; nil to convert naively
	info   string       // how the container stores the image, when there is more to say than the format
	// damage describes a JPEG decoded from damaged data; nil when whole.
	damage *dctjpeg.DamageError
}

// maxMissingShare is how much of the crop a damaged JPEG may lack and still
// be sent: a cut in the last rows of an upload, which the decoder fills by
// repeating the last row that arrived, goes unnoticed in a contact photo;
// more does not.
const maxMissingShare = 0.10

// load sniffs, checks the limits, acquires the memory the image needs and
// decodes data for output as s says. release gives the memory back.
func load(data []byte, s settings) (_ *source, release func(), err error) {
	format, err := sniff(data)
	if err != nil {
		return nil, nil, err
	}
	if format == formatHEIC {
		return loadHEIC(data, s)
	}
	h, err := checkHeader(format, data, s)
	if err != nil {
		return nil, nil, err
	}
	cfg := h.Config
	exif, err := findExif(format, data)
	if err != nil {
		return nil, nil, err
	}
	what := fmt.Sprintf("this %dx%d %s", cfg.Width, cfg.Height, strings.ToUpper(format))
	var short int
	for _, short = range decodeShorts(format, minDecodedShort(s, cfg.Width, cfg.Height)) {
		release, err = s.acquire(decodePeak(format, data, h, short)+renderBytes(s), what)
		if !errors.Is(err, ErrTooLarge) {
			break // acquired, or a wait for memory that ran out: not the image's fault
		}
	}
	if err != nil {
		return nil, nil, err
	}
	m, err := decode(format, data, h, short, s)
	var damage *dctjpeg.DamageError
	if err != nil && !errors.As(err, &damage) {
		release()
		return nil, nil, err
	}
	if damage != nil {
		s.logger.Warn("the JPEG's data is damaged; decoded what arrived",
			slog.Bool("truncated", damage.Truncated), slog.String("corrupt", damage.Corrupt),
			slog.Float64("missing", damage.MissingIn(image.Rect(0, 0, cfg.Width, cfg.Height))))
	}
	src := &source{
		format:      format,
		width:       cfg.Width,
		height:      cfg.Height,
		orientation: orientation(exifOrientation(exif)),
		img:         m,
		damage:      damage,
	}
	profile := embeddedICC(format, data)
	if _, ok := m.(*image.CMYK); ok {
		src.cmyk = newCMYKProfile(profile)
	} else {
		src.curves, src.conv = profileConversion(profile)
	}
	return src, release, nil
}

// checkHeader reads the header of data, in a format other than HEIC, and
// refuses, before any pixel is decoded, an image whose decoding would cost
// more than the settings allow.
func checkHeader(format string, data []byte, s settings) (*header, error) {
	h, err := decodeConfig(format, data)
	if err != nil {
		return nil, err
	}
	cfg := h.Config
	limit := s.maxFull
	if format == formatJPEG || format == formatPNG && !h.png.interlaced {
		limit = s.maxPixels // decoded at the reduced size; see decodeJPEG and decodePNG
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > limit {
		return nil, tooLargef("%dx%d is %d pixels, over the limit of %d", cfg.Width, cfg.Height, px, limit)
	}
	if format == formatJPEG {
		// Each progressive scan is a pass over the whole image; a small
		// crafted file can hold thousands. Encoders write about ten.
		if n := countJPEGScans(data, maxJPEGScans); n > maxJPEGScans {
			return nil, tooLargef("the JPEG has more than %d scans", maxJPEGScans)
		}
	}
	return h, nil
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
		ratio = size / float64(minFaceSide(int(short), s.size))
	}
	return int(math.Ceil(short * min(1, ratio)))
}

// checkDamage refuses a damaged JPEG when too much of crop (upright stored
// pixels) is missing.
func (s *source) checkDamage(crop image.Rectangle) error {
	if s.damage == nil {
		return nil
	}
	share := s.damage.MissingIn(s.orientation.storedRect(crop, s.width, s.height))
	if share < maxMissingShare {
		return nil
	}
	what := "truncated"
	if !s.damage.Truncated {
		what = "corrupt (" + s.damage.Corrupt + ")"
	}
	return &FormatError{Format: s.format, Err: fmt.Errorf("%s: %.0f%% of the photo's crop is missing; upload the whole file again", what, 100*share)}
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
	read := newRowReader(s.img, s.cmyk)
	if s.curves != nil {
		read = linearizedBy(read, s.curves)
	}
	out := resample(read, b.Dx(), b.Dy(), r, sw, sh, s.conv)
	return s.orientation.uprightRGBA(out)
}
