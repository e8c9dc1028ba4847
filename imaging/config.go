package imaging

import (
	"fmt"
	"io"
)

// Config is what an image's header says, read without decoding its pixels.
type Config struct {
	Format        string // as in Result.Format
	Width, Height int    // as stored, before the Exif orientation
}

// DecodeConfig reads the header of the image in r and refuses what Process
// would refuse before decoding any pixel: an unknown format, a corrupt
// header, an image over the pixel budget or with too many progressive
// scans. It is the check a dry run can afford for every photo; a file that
// passes may still hold corrupt pixel data. The errors are Process's.
//
// DecodeConfig reads r to the end; the caller bounds its size.
func DecodeConfig(r io.Reader, opt *Options) (*Config, error) {
	s, err := opt.settings()
	if err != nil {
		return nil, err
	}
	var data []byte
	if b, ok := r.(interface{ Bytes() []byte }); ok {
		data = b.Bytes()
	} else if data, err = io.ReadAll(r); err != nil {
		return nil, fmt.Errorf("imaging: read image: %w", err)
	}
	format, err := sniff(data)
	if err != nil {
		return nil, err
	}
	if format == formatHEIC {
		return heicConfig(data, s)
	}
	h, err := checkHeader(format, data, s)
	if err != nil {
		return nil, err
	}
	cfg := h.Config
	return &Config{Format: format, Width: cfg.Width, Height: cfg.Height}, nil
}

// heicConfig reads a HEIC file's container and checks its budgets as
// loadHEIC does, without decoding a tile.
func heicConfig(data []byte, s settings) (_ *Config, err error) {
	defer recoverDecoder(formatHEIC, &err)
	h, err := openHEICWithin(data, s)
	if err != nil {
		return nil, err
	}
	return &Config{Format: formatHEIC, Width: h.crop.Dx(), Height: h.crop.Dy()}, nil
}
