package imaging

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// fuzzMaxPixels keeps each fuzz input cheap: the fuzzer finds headers that
// claim large images quickly, and those must fail the budget, not allocate.
const fuzzMaxPixels = 1 << 20

func FuzzProcess(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if ext := filepath.Ext(name); ext == ".md" || ext == ".pigo" {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Small HEICs: grids, clap, rotations, 4:0:0, 10-bit, iloc version 2.
	heics, err := filepath.Glob(filepath.Join(heicCorpus, "*.heic"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range heics {
		if data, err := os.ReadFile(name); err == nil && len(data) <= 8<<10 {
			f.Add(data)
		}
	}
	f.Add(pngHeader(5000, 5000))
	f.Add(jpegHeader(100, 100))
	f.Add(withAPP1(encodeJPEG(f, quadrants(16, 8), 90), append([]byte("Exif\x00\x00"), tiffOrientation(6)...)))
	// Embedded profiles: CMYK press and Display P3.
	f.Add(withICC(readTestdata(f, "quadrants-cmyk.jpg"), cmykProfileFor()))
	f.Add(withICC(encodeJPEG(f, quadrants(16, 8), 90), iccProfile(displayP3, 0)))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Process(bytes.NewReader(data), &Options{Size: 48, MaxPixels: fuzzMaxPixels})
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error %v (%T)", err, err)
			}
			return
		}
		if int64(res.SourceWidth)*int64(res.SourceHeight) > fuzzMaxPixels {
			t.Fatalf("decoded %dx%d, over the pixel budget", res.SourceWidth, res.SourceHeight)
		}
		out := decodeOutput(t, res.JPEG).Bounds()
		if out.Dx() != res.Width || out.Dy() != res.Height || res.Width > 48 || res.Height > 48 || res.Width < 1 || res.Height < 1 {
			t.Fatalf("output %v, Result says %dx%d, want at most 48x48", out, res.Width, res.Height)
		}
	})
}
