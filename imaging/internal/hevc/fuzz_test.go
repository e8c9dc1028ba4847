package hevc

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds mutated streams to DecodeConfig and Decode: neither may
// panic, and a decoded picture must have the size DecodeConfig announced.
// Seeds are the reference streams; pictures over 65536 pixels are
// skipped as a caller with a pixel budget would.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.hevc"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 8000 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nals := splitAnnexB(data)
		cfg, err := DecodeConfig(nals)
		if err != nil || cfg.Width*cfg.Height > 1<<16 {
			return
		}
		pic, err := Decode(nals)
		if err != nil {
			return
		}
		if pic.Width != cfg.Width || pic.Height != cfg.Height || pic.ChromaFormat != cfg.ChromaFormat {
			t.Fatalf("decoded %dx%d format %d, config said %dx%d format %d",
				pic.Width, pic.Height, pic.ChromaFormat, cfg.Width, cfg.Height, cfg.ChromaFormat)
		}
		if len(pic.Y) < (pic.Height-1)*pic.YStride+pic.Width {
			t.Fatalf("luma plane of %d samples too short", len(pic.Y))
		}
	})
}
