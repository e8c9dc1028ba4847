package imaging

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden outputs in testdata/golden")

// zonePlate returns a w×w grayscale zone plate: concentric rings whose
// frequency rises to the pixel rate at the edge, where any aliasing in a
// downscale shows as moiré.
func zonePlate(w int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, w))
	for y := range w {
		for x := range w {
			dx, dy := float64(x-w/2), float64(y-w/2)
			v := 0.5 + 0.5*math.Cos(math.Pi*(dx*dx+dy*dy)/float64(w))
			m.SetGray(x, y, color.Gray{uint8(math.Round(255 * v))})
		}
	}
	return m
}

// TestGolden compares outputs with the ones accepted before, by PSNR, so
// that a change in cropping, orientation or filtering shows.
func TestGolden(t *testing.T) {
	sceneFace := func() []byte {
		upright := scene(t, 800, 500, image.Rect(560, 40, 720, 240))
		return withAPP1(encodeJPEG(t, storedFor(upright, 6), 90), append([]byte("Exif\x00\x00"), tiffOrientation(6)...))
	}
	tests := []struct {
		name string
		data []byte
		opt  Options
	}{
		{"face", readTestdata(t, "face.jpg"), Options{Size: 96}},
		{"scene-face-orientation6", sceneFace(), Options{Size: 96}},
		{"ycck-none", readTestdata(t, "quadrants-ycck.jpg"), Options{Size: 40, Crop: CropNone}},
		{"zoneplate-center", encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, zonePlate(512)) }), Options{Size: 96, Crop: CropCenter}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tt.data), &tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeOutput(t, res.JPEG)
			path := filepath.Join("testdata", "golden", tt.name+".png")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, got) }), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := png.Decode(bytes.NewReader(readTestdata(t, filepath.Join("golden", tt.name+".png"))))
			if err != nil {
				t.Fatal(err)
			}
			if p := psnr(got, want); p < 40 {
				t.Errorf("PSNR against %s = %.1f dB, want >= 40 (run with -update if the change is intended)", path, p)
			}
		})
	}
}

// TestDownscaleLinearLight checks the filter on the hardest input: one-pixel
// black and white stripes. Reduced eightfold they must turn an even grey,
// without moiré, and the grey must be the average light (sRGB 188), not
// the average of the encoded values (128), which looks too dark.
func TestDownscaleLinearLight(t *testing.T) {
	for _, vertical := range []bool{false, true} {
		stripes := image.NewGray(image.Rect(0, 0, 512, 512))
		for y := range 512 {
			for x := range 512 {
				if vertical && x%2 == 0 || !vertical && y%2 == 0 {
					stripes.SetGray(x, y, color.Gray{255})
				}
			}
		}
		in := encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, stripes) })
		res, err := Process(bytes.NewReader(in), &Options{Size: 64, Crop: CropCenter})
		if err != nil {
			t.Fatal(err)
		}
		out := decodeOutput(t, res.JPEG)
		// The outermost pixels see the pattern through half a filter, so
		// they get a wider tolerance.
		lo, hi, edgeLo, edgeHi := 255, 0, 255, 0
		for y := range 64 {
			for x := range 64 {
				r, _, _, _ := out.At(x, y).RGBA()
				v := int(r >> 8)
				edgeLo, edgeHi = min(edgeLo, v), max(edgeHi, v)
				if x > 0 && y > 0 && x < 63 && y < 63 {
					lo, hi = min(lo, v), max(hi, v)
				}
			}
		}
		if lo < 185 || hi > 191 || edgeLo < 182 || edgeHi > 194 {
			t.Errorf("vertical=%v: output ranges over [%d, %d] inside and [%d, %d] with the border; want 188 ± 3 and ± 6",
				vertical, lo, hi, edgeLo, edgeHi)
		}
	}
}
