package imaging

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// scene returns a w×h photo-like background (a soft gradient) with the test
// portrait pasted at each of the given rectangles.
func scene(t testing.TB, w, h int, at ...image.Rectangle) *image.RGBA {
	t.Helper()
	portrait, err := jpeg.Decode(bytes.NewReader(readTestdata(t, "face.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetRGBA(x, y, color.RGBA{uint8(120 + 60*x/w), uint8(140 + 40*y/h), 150, 255})
		}
	}
	for _, r := range at {
		xdraw.CatmullRom.Scale(m, r, portrait, portrait.Bounds(), draw.Src, nil)
	}
	return m
}

// faceIn returns where the face (brows to chin, measured by eye on the
// 320x400 test portrait at (60,90)-(260,345)) is when the portrait is pasted
// at r.
func faceIn(r image.Rectangle) image.Rectangle {
	sx := func(v int) int { return r.Min.X + v*r.Dx()/320 }
	sy := func(v int) int { return r.Min.Y + v*r.Dy()/400 }
	return image.Rect(sx(60), sy(90), sx(260), sy(345))
}

func center(r image.Rectangle) (float64, float64) {
	return float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2
}

// TestProcessFaceCrop checks, on a real portrait placed in larger scenes,
// that the crop finds the face and puts it near the middle of the photo.
// The face box comes from the detector run again on the output, so the test
// does not trust the geometry Process reports.
func TestProcessFaceCrop(t *testing.T) {
	// The portrait is 320x400; pasted at 4:5 it keeps its proportions.
	tests := []struct {
		name        string
		w, h        int
		faces       []image.Rectangle
		orientation int
		wantFaces   int // faces that must be inside the crop
	}{
		{"portrait as is", 320, 400, []image.Rectangle{image.Rect(0, 0, 320, 400)}, 1, 1},
		{"landscape, face top right", 1600, 1000, []image.Rectangle{image.Rect(1150, 60, 1390, 360)}, 1, 1},
		{"portrait, face low left", 900, 1400, []image.Rectangle{image.Rect(40, 900, 280, 1200)}, 1, 1},
		{"stored sideways, Exif 6", 1600, 1000, []image.Rectangle{image.Rect(1150, 60, 1390, 360)}, 6, 1},
		{"stored upside down, Exif 3", 1600, 1000, []image.Rectangle{image.Rect(200, 500, 440, 800)}, 3, 1},
		{"group of two fits", 1600, 1000, []image.Rectangle{image.Rect(500, 300, 700, 550), image.Rect(760, 320, 960, 570)}, 1, 2},
		{"two far apart: the larger wins", 3000, 1000, []image.Rectangle{image.Rect(100, 100, 340, 400), image.Rect(2600, 100, 2760, 300)}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upright := scene(t, tt.w, tt.h, tt.faces...)
			stored := storedFor(upright, tt.orientation)
			in := encodeJPEG(t, stored, 90)
			if tt.orientation != 1 {
				in = withAPP1(in, append([]byte("Exif\x00\x00"), tiffOrientation(uint16(tt.orientation))...))
			}
			res, err := Process(bytes.NewReader(in), &Options{Size: 256})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Face || len(res.Faces) != len(tt.faces) {
				t.Fatalf("Face = %v with %d faces %v, want true with %d", res.Face, len(res.Faces), res.Faces, len(tt.faces))
			}
			if res.Crop.Dx() != res.Crop.Dy() || !res.Crop.In(image.Rect(0, 0, tt.w, tt.h)) {
				t.Fatalf("Crop = %v, want a square inside the %dx%d upright image", res.Crop, tt.w, tt.h)
			}
			inside := 0
			for _, p := range tt.faces {
				if f := faceIn(p); f.In(res.Crop) {
					inside++
				}
			}
			if inside < tt.wantFaces {
				t.Errorf("Crop %v holds %d of the faces %v, want %d", res.Crop, inside, tt.faces, tt.wantFaces)
			}
			// Detect again on the output: the (group of) face(s) must sit
			// near the middle, unless the image edge stopped the square.
			again, err := Process(bytes.NewReader(res.JPEG), &Options{Crop: CropFace})
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Faces) == 0 {
				t.Fatal("no face in the output")
			}
			box := again.Faces[0]
			for _, f := range again.Faces[1:] {
				box = box.Union(f)
			}
			cx, cy := center(box)
			side := float64(res.Width)
			edgeX := res.Crop.Min.X == 0 || res.Crop.Max.X == tt.w
			edgeY := res.Crop.Min.Y == 0 || res.Crop.Max.Y == tt.h
			if dx := math.Abs(cx/side - 0.5); dx > 0.08 && !edgeX {
				t.Errorf("face centre at x = %.2f of the width, want 0.5 ± 0.08", cx/side)
			}
			if dy := math.Abs(cy/side - faceLevel); dy > 0.08 && !edgeY {
				t.Errorf("face centre at y = %.2f of the height, want %.2f ± 0.08", cy/side, faceLevel)
			}
			if cx < side*0.2 || cx > side*0.8 || cy < side*0.2 || cy > side*0.8 {
				t.Errorf("face centre at (%.0f, %.0f) in a %.0f px photo: far from the middle", cx, cy, side)
			}
		})
	}
}

// storedFor returns the pixels a camera would store for the upright image m
// with Exif orientation o: the inverse of the display transform.
func storedFor(m *image.RGBA, o int) *image.NRGBA {
	n := image.NewNRGBA(m.Bounds())
	draw.Draw(n, n.Bounds(), m, image.Point{}, draw.Src)
	switch o {
	case 3:
		return rotCW(rotCW(n))
	case 6:
		return rotCW(rotCW(rotCW(n)))
	case 8:
		return rotCW(n)
	}
	return n
}

func TestProcessNoFaceFallsBackUpwards(t *testing.T) {
	in := encodeJPEG(t, quadrants(300, 600), 90)
	res, err := Process(bytes.NewReader(in), &Options{Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	if want := image.Rect(0, 75, 300, 375); res.Face || res.Crop != want {
		t.Errorf("Face, Crop = %v, %v; want false, %v (a quarter of the spare height above)", res.Face, res.Crop, want)
	}
	landscape, err := Process(bytes.NewReader(encodeJPEG(t, quadrants(600, 300), 90)), &Options{Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	if want := image.Rect(150, 0, 450, 300); landscape.Crop != want {
		t.Errorf("landscape Crop = %v, want the centre %v", landscape.Crop, want)
	}
}

func TestFaceSquare(t *testing.T) {
	f := func(x0, y0, x1, y1 int) face { return face{box: image.Rect(x0, y0, x1, y1), score: 100} }
	tests := []struct {
		name      string
		w, h      int
		size      int
		faces     []face
		want      image.Rectangle
		wantFaces bool
	}{
		{"no face: portrait biased up", 400, 800, 200, nil, image.Rect(0, 100, 400, 500), false},
		{"one face: three face widths, face at 45%", 4000, 3000, 720, []face{f(2000, 1000, 2600, 1600)},
			image.Rect(1400, 490, 3200, 2290), true},
		{"small face: zoom bounded to half the short side", 4000, 3000, 720, []face{f(2000, 1000, 2100, 1100)},
			image.Rect(1300, 375, 2800, 1875), true},
		{"pushed inside at the edge", 4000, 3000, 720, []face{f(3800, 0, 4000, 200)}, image.Rect(2500, 0, 4000, 1500), true},
		{"small image: no zoom below the output size", 800, 600, 720, []face{f(300, 200, 400, 300)}, image.Rect(50, 0, 650, 600), true},
		{"group that fits", 4000, 3000, 720, []face{f(1000, 1000, 1400, 1400), f(2000, 1100, 2300, 1400)},
			image.Rect(600, 255, 2700, 2355), true},
		{"group too wide: largest face", 4000, 3000, 720, []face{f(100, 1000, 500, 1400), f(3500, 1000, 3800, 1300)},
			image.Rect(0, 525, 1500, 2025), true},
		{"tiny passer-by is not group", 4000, 3000, 720, []face{f(2000, 1000, 2600, 1600), f(100, 100, 150, 150)},
			image.Rect(1400, 490, 3200, 2290), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotFace := faceSquare(tt.w, tt.h, tt.size, tt.faces)
			if got != tt.want || gotFace != tt.wantFaces {
				t.Errorf("faceSquare = %v, %v; want %v, %v", got, gotFace, tt.want, tt.wantFaces)
			}
		})
	}
}
