package imaging

import (
	"image"
	"math/rand/v2"
	"slices"
	"testing"

	pigo "github.com/esimov/pigo/core"
)

// TestPicoScanIsPigos checks that picoCascade finds what pigo's own scan
// finds, the same windows with the same scores bit for bit, on photos with
// faces, on noise and on turned copies, with the parameters the detector
// uses and some others.
func TestPicoScanIsPigos(t *testing.T) {
	ref, err := pigo.NewPigo().Unpack(faceCascade)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := parsePico(faceCascade)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	noise := image.NewGray(image.Rect(0, 0, 203, 151))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	thumbs := map[string]*image.Gray{
		"portrait":        testdataThumb(t, "face.jpg"),
		"group":           testdataThumb(t, "group-dark.jpg"),
		"group, turned":   rotateGray(testdataThumb(t, "group-dark.jpg"), 30),
		"noise":           noise,
		"window of noise": noise.SubImage(image.Rect(17, 9, 190, 140)).(*image.Gray),
	}
	params := []pigo.CascadeParams{
		{MinSize: 20, MaxSize: 400, ShiftFactor: defaultDetect.shift, ScaleFactor: defaultDetect.scale},
		{MinSize: 9, MaxSize: 120, ShiftFactor: 0.05, ScaleFactor: 1.05},
		{MinSize: 60, MaxSize: 61, ShiftFactor: 0.2, ScaleFactor: 1.5},
	}
	for name, g := range thumbs {
		b := g.Bounds()
		// A sub-image's pixels start at its origin, its rows Stride apart.
		pix := g.Pix[g.PixOffset(b.Min.X, b.Min.Y):]
		for _, p := range params {
			p.ImageParams = pigo.ImageParams{Pixels: pix, Rows: b.Dy(), Cols: b.Dx(), Dim: g.Stride}
			want := ref.RunCascade(p, 0)
			got := pc.scan(p)
			if !slices.Equal(got, want) {
				t.Errorf("%s, sizes %d to %d: %d windows, pigo finds %d", name, p.MinSize, p.MaxSize, len(got), len(want))
			}
			if name == "portrait" && p.MinSize == 20 && len(want) == 0 {
				t.Errorf("no window on the portrait: the comparison shows nothing")
			}
		}
	}
}

func TestParsePicoRejects(t *testing.T) {
	good := faceCascade
	tests := map[string][]byte{
		"empty":          nil,
		"header only":    good[:16],
		"truncated":      good[:len(good)-3],
		"bytes left":     append(slices.Clone(good), 0),
		"no trees":       append(slices.Clone(good[:12]), 0, 0, 0, 0),
		"depth too deep": append(append(slices.Clone(good[:8]), 40, 0, 0, 0), good[12:]...),
	}
	for name, b := range tests {
		if _, err := parsePico(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := parsePico(good); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPicoScan scans the group fixture's detection thumb as the
// upright search does, with pigo's own scan and with picoCascade's.
func BenchmarkPicoScan(b *testing.B) {
	g := testdataThumb(b, "group-dark.jpg")
	tb := g.Bounds()
	short := min(tb.Dx(), tb.Dy())
	p := pigo.CascadeParams{
		MinSize: max(minFacePixels, int(float64(short)*defaultDetect.minFace)), MaxSize: short,
		ShiftFactor: defaultDetect.shift, ScaleFactor: defaultDetect.scale,
		ImageParams: pigo.ImageParams{Pixels: g.Pix, Rows: tb.Dy(), Cols: tb.Dx(), Dim: g.Stride},
	}
	b.Run("pigo", func(b *testing.B) {
		ref, err := pigo.NewPigo().Unpack(faceCascade)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			ref.RunCascade(p, 0)
		}
	})
	b.Run("picoCascade", func(b *testing.B) {
		pc, err := parsePico(faceCascade)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			pc.scan(p)
		}
	})
}
