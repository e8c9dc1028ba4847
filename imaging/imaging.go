package imaging

import (
	"fmt"
	"image"
	"io"
	"log/slog"
	"strings"
)

// Crop selects how Process chooses the square it keeps.
type Crop string

// The crop modes.
const (
	// CropFace centres the square on the most prominent face, or on the
	// group when it fits, and falls back to CropCenter (biased upwards for
	// portraits) when no face is found. When no square inside the photo
	// holds every head whole, the square may reach beyond the photo's
	// edge, by at most 35% of its area, and what lies beyond is filled
	// with the edge's colours, blurred.
	CropFace Crop = "face"
	// CropCenter keeps the largest centred square.
	CropCenter Crop = "center"
	// CropNone keeps the whole image, scaled to fit inside the square.
	CropNone Crop = "none"
)

// Defaults used for zero Options fields.
const (
	DefaultSize    = 720
	DefaultQuality = 90
	// DefaultMaxPixels is the pixel budget for JPEG, which is decoded
	// straight to the reduced size the output needs and never held at full
	// size: a 200 MP phone photo fits, in about 10 MiB of pixels.
	DefaultMaxPixels = 250_000_000
	// DefaultMaxFullDecodePixels is the budget for images decoded at full
	// size (interlaced PNG, GIF, WebP, BMP, TIFF; a non-interlaced PNG
	// streams into a reduced image, as JPEG does, within MaxPixels): 40
	// million 8-bit RGBA pixels are 160 MB. The memory the decode needs is
	// checked from the header too, against MaxDecodeBytes and
	// Options.Memory.
	DefaultMaxFullDecodePixels = 40_000_000
	DefaultMaxBytes            = 300 << 10
)

// minQuality is the lowest JPEG quality Process steps down to when fitting
// Options.MaxBytes; below it blocking artefacts show on faces.
const minQuality = 30

// Options control Process. A nil *Options means the defaults.
type Options struct {
	Size      int   // edge of the output square in pixels; 0 means DefaultSize
	Crop      Crop  // "" means CropFace
	Quality   int   // JPEG quality to start from; 0 means DefaultQuality
	MaxPixels int64 // pixel budget checked from the header before decoding; 0 means DefaultMaxPixels
	// MaxFullDecodePixels is the budget, also checked from the header, for
	// images decoded at full size; 0 means DefaultMaxFullDecodePixels. The
	// lower of it and MaxPixels applies to them.
	MaxFullDecodePixels int64
	// Logger receives a warning when a JPEG's data is damaged (cut short
	// or corrupt) and what arrived was decoded; nil means slog.Default().
	Logger   *slog.Logger
	MaxBytes int // output byte budget; quality steps down until the JPEG fits; 0 means DefaultMaxBytes
	// MaxDecodeBytes bounds the memory, computed from the header, that
	// one image may need while it is decoded and made into the photo; 0
	// means DefaultMaxDecodeBytes.
	MaxDecodeBytes int64
	// Memory, when not nil, lends that memory: Process acquires it before
	// the decoder allocates and releases it when it returns. See
	// MemoryBudget.
	Memory MemoryBudget
}

// Result describes the photo Process made and how it was made.
type Result struct {
	JPEG                      []byte
	Format                    string          // "jpeg", "png", "gif", "webp", "bmp", "tiff", "heic"
	SourceWidth, SourceHeight int             // as stored, before orientation
	Orientation               int             // EXIF orientation applied (for HEIC, that of its irot and imir), 1 when none
	Crop                      image.Rectangle // the square (or, for CropNone, the whole image) in oriented source pixels; a face crop may reach beyond the image, see CropFace
	Face                      bool            // a face decided the crop
	Faces                     []Face          // detected faces in oriented source pixels, largest first (CropFace only)
	CropReason                string          // why the crop went where it did, in words
	Width, Height             int             // of the output
	Quality                   int             // JPEG quality used
	// Storage says how the container stores the image where there is more
	// to it than the format: for HEIC the grid of tiles, the clean
	// aperture, rotation and mirroring, the colour description and the
	// reduction while decoding. It is "" otherwise.
	Storage string
}

// ParseCrop parses a crop mode as written in configuration: "face", "center"
// or "none", in any case. The empty string means CropFace.
func ParseCrop(s string) (Crop, error) {
	switch c := Crop(strings.ToLower(strings.TrimSpace(s))); c {
	case "":
		return CropFace, nil
	case CropFace, CropCenter, CropNone:
		return c, nil
	}
	return "", fmt.Errorf("invalid crop mode %q: want face, center or none", s)
}

// settings are Options with the defaults filled in.
type settings struct {
	size      int
	crop      Crop
	quality   int
	maxPixels int64
	maxFull   int64 // budget for full-size decodes, at most maxPixels
	maxBytes  int
	logger    *slog.Logger
	maxDecode int64
	memory    MemoryBudget
}

func (o *Options) settings() (settings, error) {
	s := settings{
		size: DefaultSize, crop: CropFace, quality: DefaultQuality, maxBytes: DefaultMaxBytes,
		maxPixels: DefaultMaxPixels, maxFull: DefaultMaxFullDecodePixels, logger: slog.Default(),
		maxDecode: DefaultMaxDecodeBytes,
	}
	if o == nil {
		return s, nil
	}
	if o.Size < 0 || o.Quality < 0 || o.Quality > 100 || o.MaxPixels < 0 || o.MaxFullDecodePixels < 0 || o.MaxBytes < 0 || o.MaxDecodeBytes < 0 {
		return s, fmt.Errorf("imaging: invalid options %+v", *o)
	}
	if o.Size > 0 {
		s.size = o.Size
	}
	if o.Crop != "" {
		c, err := ParseCrop(string(o.Crop))
		if err != nil {
			return s, fmt.Errorf("imaging: %w", err)
		}
		s.crop = c
	}
	if o.Quality > 0 {
		s.quality = o.Quality
	}
	if o.MaxPixels > 0 {
		s.maxPixels = o.MaxPixels
	}
	if o.MaxFullDecodePixels > 0 {
		s.maxFull = o.MaxFullDecodePixels
	}
	s.maxFull = min(s.maxFull, s.maxPixels)
	if o.Logger != nil {
		s.logger = o.Logger
	}
	if o.MaxBytes > 0 {
		s.maxBytes = o.MaxBytes
	}
	if o.MaxDecodeBytes > 0 {
		s.maxDecode = o.MaxDecodeBytes
	}
	s.memory = o.Memory
	return s, nil
}

// Process reads an image in any supported format from r and returns it as an
// upright, metadata-free JPEG: a square cropped as opt.Crop says (or, for
// CropNone, the whole image), no larger than opt.Size on each side. Images
// smaller than that are never scaled up.
//
// Process reads r to the end; the caller bounds its size. Given a
// *bytes.Buffer it decodes the buffered bytes in place, without copying
// them, and does not modify them.
func Process(r io.Reader, opt *Options) (*Result, error) {
	s, err := opt.settings()
	if err != nil {
		return nil, err
	}
	src, release, err := readSource(r, s)
	if err != nil {
		return nil, err
	}
	defer release()
	res := &Result{
		Format:       src.format,
		SourceWidth:  src.width,
		SourceHeight: src.height,
		Orientation:  int(src.orientation),
		Storage:      src.info,
	}
	uw, uh := src.orientation.uprightSize(src.width, src.height)
	var outW, outH int
	switch s.crop {
	case CropNone:
		res.Crop = image.Rect(0, 0, uw, uh)
		res.CropReason = "the whole image, no crop"
		outW, outH = fitInside(uw, uh, s.size)
	case CropCenter:
		res.Crop = centerSquare(uw, uh)
		res.CropReason = "the centre"
	case CropFace:
		faces, err := src.detectFaces()
		if err != nil {
			return nil, err
		}
		res.Faces = faces
		res.Crop, res.CropReason, res.Face = faceSquare(uw, uh, s.size, faces)
	}
	if s.crop != CropNone {
		side := min(res.Crop.Dx(), s.size)
		outW, outH = side, side
	}
	upright := image.Rect(0, 0, uw, uh)
	if err := src.checkDamage(res.Crop.Intersect(upright)); err != nil {
		return nil, err
	}
	var out *image.RGBA
	if res.Crop.In(upright) {
		out = src.render(res.Crop, outW, outH)
	} else {
		out = src.renderPadded(res.Crop, uw, uh, outW)
	}
	res.Width, res.Height = outW, outH
	res.JPEG, res.Quality, err = encodeWithin(out, s.quality, s.maxBytes)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Decode reads an image as Process does and returns it whole and upright,
// with transparency flattened on white and colours converted to sRGB,
// scaled down to fit inside an opt.Size square. opt.Crop, opt.Quality and
// opt.MaxBytes do not apply. It shows the source as Process sees it, for
// example to draw the crop and faces of a Result on it; its geometry is
// Result's scaled by the returned image's width over the oriented source
// width.
//
// Decode returns the same errors as Process.
func Decode(r io.Reader, opt *Options) (*image.RGBA, error) {
	s, err := opt.settings()
	if err != nil {
		return nil, err
	}
	s.crop = CropNone
	src, release, err := readSource(r, s)
	if err != nil {
		return nil, err
	}
	defer release()
	uw, uh := src.orientation.uprightSize(src.width, src.height)
	if err := src.checkDamage(image.Rect(0, 0, uw, uh)); err != nil {
		return nil, err
	}
	w, h := fitInside(uw, uh, s.size)
	return src.render(image.Rect(0, 0, uw, uh), w, h), nil
}

// readSource reads r to the end and loads the image in it. A reader that
// already holds the bytes in memory, such as a *bytes.Buffer, lends them
// instead of being copied: the copy would double the memory a large photo
// takes while it is decoded. release gives back the memory the image
// holds, once it is no longer used.
func readSource(r io.Reader, s settings) (src *source, release func(), err error) {
	if b, ok := r.(interface{ Bytes() []byte }); ok {
		return load(b.Bytes(), s)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("imaging: read image: %w", err)
	}
	return load(data, s)
}

// fitInside returns the size of a w×h image scaled to fit a size×size square,
// never scaled up.
func fitInside(w, h, size int) (int, int) {
	if w <= size && h <= size {
		return w, h
	}
	if w >= h {
		return size, max(1, (h*size+w/2)/w)
	}
	return max(1, (w*size+h/2)/h), size
}

// centerSquare returns the largest square in a w×h image, centred.
func centerSquare(w, h int) image.Rectangle {
	if w >= h {
		x := (w - h) / 2
		return image.Rect(x, 0, x+h, h)
	}
	y := (h - w) / 2
	return image.Rect(0, y, w, y+w)
}
