package imaging

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"strings"
	"testing"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
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

// The test portrait, 320x400, measured by eye: the face from the brows to
// the chin, the head from the crown to the chin and ear to ear, and the
// height of the eyes.
var (
	portraitFace = image.Rect(60, 90, 260, 345)
	portraitHead = image.Rect(42, 40, 275, 348)
)

const portraitEyes = 184

// within maps r, measured on the 320x400 portrait, to where it lies when the
// portrait is pasted at at.
func within(r, at image.Rectangle) image.Rectangle {
	sx := func(v int) int { return at.Min.X + v*at.Dx()/320 }
	sy := func(v int) int { return at.Min.Y + v*at.Dy()/400 }
	return image.Rect(sx(r.Min.X), sy(r.Min.Y), sx(r.Max.X), sy(r.Max.Y))
}

// inCircle reports whether the circle inscribed in the square crop, the one
// contacts apps show, holds the ellipse inscribed in head grown by margin
// (a share of its height). It is written apart from the package's own
// check, so that the tests do not trust it.
func inCircle(head, crop image.Rectangle, margin float64) bool {
	return inCircleInPhoto(head, crop, image.Rect(-1<<30, -1<<30, 1<<30, 1<<30), margin)
}

// inCircleInPhoto is inCircle for a head the photo's edge may cut: the
// grown ellipse's points beyond the edge count as on it, so the circle must
// hold the head up to the edge.
func inCircleInPhoto(head, crop, bounds image.Rectangle, margin float64) bool {
	head = head.Intersect(bounds)
	cx, cy := center(crop)
	hx, hy := center(head)
	m := margin * float64(head.Dy())
	ax, ay := float64(head.Dx())/2+m, float64(head.Dy())/2+m
	for deg := 0; deg < 360; deg += 5 {
		a := float64(deg) * math.Pi / 180
		x := min(max(hx+ax*math.Cos(a), float64(bounds.Min.X)), float64(bounds.Max.X))
		y := min(max(hy+ay*math.Sin(a), float64(bounds.Min.Y)), float64(bounds.Max.Y))
		if math.Hypot(x-cx, y-cy) > float64(crop.Dx())/2+0.5 {
			return false
		}
	}
	return true
}

func center(r image.Rectangle) (float64, float64) {
	return float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2
}

// tilted returns the test portrait turned by deg degrees clockwise about
// its centre, on a frame large enough to hold it, the corners filled with
// the portrait's own white background.
func tilted(t testing.TB, deg float64) *image.RGBA {
	t.Helper()
	portrait, err := jpeg.Decode(bytes.NewReader(readTestdata(t, "face.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	m := image.NewRGBA(image.Rect(0, 0, 400, 400))
	draw.Draw(m, m.Bounds(), image.NewUniform(color.RGBA{0xf4, 0xf4, 0xf4, 0xff}), image.Point{}, draw.Src)
	sin, cos := math.Sincos(deg * math.Pi / 180)
	// Destination to source: turn back about the frame's centre, then
	// shift to the portrait's centre.
	cx, cy := 200.0, 200.0
	aff := f64.Aff3{
		cos, -sin, cx - cos*160 + sin*200,
		sin, cos, cy - sin*160 - cos*200,
	}
	xdraw.BiLinear.Transform(m, aff, portrait, portrait.Bounds(), draw.Over, nil)
	return m
}

// TestProcessFaceCrop checks, on a real portrait placed in larger scenes,
// that the crop keeps the heads inside the circle contacts apps show, with
// room around them, and the eyes a little above the middle.
func TestProcessFaceCrop(t *testing.T) {
	// The portrait is 320x400; pasted at 4:5 it keeps its proportions.
	tests := []struct {
		name        string
		w, h        int
		at          []image.Rectangle
		orientation int
		// wantHeads are the indexes in at of the heads the circle must
		// hold with a margin, wantOut those it must not reach.
		wantHeads, wantOut []int
	}{
		{"landscape, face top right", 1600, 1000, []image.Rectangle{image.Rect(1150, 60, 1390, 360)}, 1, []int{0}, nil},
		{"portrait, face low left", 900, 1400, []image.Rectangle{image.Rect(40, 900, 280, 1200)}, 1, []int{0}, nil},
		{"stored sideways, Exif 6", 1600, 1000, []image.Rectangle{image.Rect(1150, 60, 1390, 360)}, 6, []int{0}, nil},
		{"stored upside down, Exif 3", 1600, 1000, []image.Rectangle{image.Rect(200, 500, 440, 800)}, 3, []int{0}, nil},
		{"small face in a large photo", 2400, 1600, []image.Rectangle{image.Rect(1500, 300, 1660, 500)}, 1, []int{0}, nil},
		{"group of two", 1600, 1000, []image.Rectangle{image.Rect(500, 300, 700, 550), image.Rect(760, 320, 960, 570)}, 1, []int{0, 1}, nil},
		{"three in a row, two fit: the two", 2400, 900, []image.Rectangle{
			image.Rect(200, 250, 400, 500), image.Rect(1500, 250, 1700, 500), image.Rect(1800, 260, 2000, 510),
		}, 1, []int{1, 2}, []int{0}},
		{"two far apart: the larger whole", 3000, 1000, []image.Rectangle{image.Rect(100, 100, 340, 400), image.Rect(2600, 100, 2760, 300)}, 1, []int{0}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upright := scene(t, tt.w, tt.h, tt.at...)
			stored := storedFor(upright, tt.orientation)
			in := encodeJPEG(t, stored, 90)
			if tt.orientation != 1 {
				in = withAPP1(in, append([]byte("Exif\x00\x00"), tiffOrientation(uint16(tt.orientation))...))
			}
			res, err := Process(bytes.NewReader(in), &Options{Size: 256})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Face || len(res.Faces) != len(tt.at) {
				t.Fatalf("Face = %v with %d faces %v, want true with %d", res.Face, len(res.Faces), res.Faces, len(tt.at))
			}
			crop := res.Crop
			if crop.Dx() != crop.Dy() || !crop.In(image.Rect(0, 0, tt.w, tt.h)) {
				t.Fatalf("Crop = %v, want a square inside the %dx%d upright image", crop, tt.w, tt.h)
			}
			for _, i := range tt.wantHeads {
				if head := within(portraitHead, tt.at[i]); !inCircle(head, crop, 0.03) {
					t.Errorf("the circle of %v (%s) does not hold head %d at %v with a margin", crop, res.CropReason, i, head)
				}
			}
			for _, i := range tt.wantOut {
				if head := within(portraitHead, tt.at[i]); head.Overlaps(crop) {
					t.Errorf("crop %v (%s) cuts into head %d at %v, want it left out whole", crop, res.CropReason, i, head)
				}
			}
			if len(tt.wantHeads) == 1 {
				// Eyes a little above the middle, unless the photo's edge
				// stopped the square.
				at := tt.at[tt.wantHeads[0]]
				eyes := float64(at.Min.Y+portraitEyes*at.Dy()/400-crop.Min.Y) / float64(crop.Dy())
				edge := crop.Min.Y == 0 || crop.Max.Y == tt.h
				if !edge && (eyes < 0.36 || eyes > 0.48) {
					t.Errorf("eyes at %.2f of the height, want a little above the middle (0.36 to 0.48)", eyes)
				}
				head := within(portraitHead, at)
				share := float64(head.Dy()) / float64(crop.Dy())
				if minSide := minFaceSide(min(tt.w, tt.h), 256); crop.Dy() > minSide && (share < 0.4 || share > 0.6) {
					t.Errorf("head is %.2f of the crop's height, want 0.4 to 0.6", share)
				}
			}
		})
	}
}

func TestProcessFaceCropPortraitFillingThePhoto(t *testing.T) {
	res, err := Process(bytes.NewReader(readTestdata(t, "face.jpg")), &Options{Size: 256})
	if err != nil {
		t.Fatal(err)
	}
	// The head is taller than the photo is wide: the square reaches
	// beyond the photo's sides to hold all of it, as far as the photo
	// shows it, rather than let the circle cut the hair.
	bounds := image.Rect(0, 0, res.SourceWidth, res.SourceHeight)
	if !res.Face || len(res.Faces) != 1 || !portraitFace.In(res.Crop) || res.Crop.In(bounds) {
		t.Fatalf("Face, Crop = %v, %v; want the face %v inside, reaching beyond the photo", res.Face, res.Crop, portraitFace)
	}
	if head := res.Faces[0].Head; !inCircleInPhoto(head, res.Crop, bounds, headMargin-0.01) {
		t.Errorf("the circle of %v does not hold the head %v with a margin (%s)", res.Crop, head, res.CropReason)
	}
	if share := padShare(res.Crop, bounds); share > maxPadShare {
		t.Errorf("%.0f%% of the crop lies beyond the photo", 100*share)
	}
	// The circle is then as tight as the head, whose eyes are about
	// halfway down it.
	eyes := float64(portraitEyes-res.Crop.Min.Y) / float64(res.Crop.Dy())
	if eyes < 0.4 || eyes > 0.55 {
		t.Errorf("eyes at %.2f of the height, want 0.4 to 0.55", eyes)
	}
}

// TestProcessFaceCropTiltedHead checks that a head tilted further than
// pigo's cascade takes upright is found, by the face network or on a turned
// copy, and held by the crop; and that without the network the turned
// copies find it.
func TestProcessFaceCropTiltedHead(t *testing.T) {
	// Upright, the cascade finds heads tilted by up to some 30°.
	for _, deg := range []float64{-40, 35} {
		t.Run(fmt.Sprint(deg), func(t *testing.T) {
			m := scene(t, 1000, 800)
			at := image.Rect(500, 150, 900, 550)
			draw.Draw(m, at, tilted(t, deg), image.Point{}, draw.Src)
			data := encodeJPEG(t, m, 90)
			res, err := Process(bytes.NewReader(data), &Options{Size: 256})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Face || len(res.Faces) != 1 || res.Faces[0].Angle == 0 && res.Faces[0].Detector != DetectorNetwork {
				t.Fatalf("Faces = %+v, want one, found turned or by the face network", res.Faces)
			}
			s, err := (*Options)(nil).settings()
			if err != nil {
				t.Fatal(err)
			}
			src, _, err := load(data, s)
			if err != nil {
				t.Fatal(err)
			}
			p := defaultDetect
			p.netEdge = 0
			if faces, err := src.detectFacesWith(p); err != nil || len(faces) != 1 || faces[0].Angle == 0 {
				t.Errorf("without the face network: %+v, %v; want one face, found turned", faces, err)
			}
			// The head, turned, stays within a circle about the portrait's
			// centre of the head's own height: that circle must be held.
			hx, hy := 700, 350+(194-200) // the head's centre
			r := 155
			head := image.Rect(hx-r, hy-r, hx+r, hy+r)
			if !inCircle(head, res.Crop, 0) {
				t.Errorf("crop %v (%s) does not hold the tilted head %v", res.Crop, res.CropReason, head)
			}
		})
	}
}

// TestProcessNoFalseFace checks, on a photo without people where the
// cascade scores at a few positions, upright and on turned copies, that
// none is taken for a face.
func TestProcessNoFalseFace(t *testing.T) {
	res, err := Process(bytes.NewReader(readTestdata(t, "dragonfly-crop.jpg")), &Options{Size: 128})
	if err != nil {
		t.Fatal(err)
	}
	if res.Face || len(res.Faces) != 0 {
		t.Errorf("Faces = %+v in a photo without people", res.Faces)
	}
	// Without the checks that rejected them, the detector does find faces
	// here: the test would notice losing them.
	src := loadTestdata(t, "dragonfly-crop.jpg")
	lax := defaultDetect
	lax.minMirror, lax.turnedMinScore, lax.turnedMinHaar = 0, lax.minScore, 0
	if faces, err := src.detectFacesWith(lax); err != nil || len(faces) == 0 {
		t.Errorf("without the mirror and Haar checks: %v, %v; want the false faces the checks remove", faces, err)
	}
	// The Haar check on turned copies alone removes those found turned.
	lax.minMirror = defaultDetect.minMirror
	lax.minScore = math.MaxFloat32 // upright, nothing
	lax.haarEdge = 0
	turned, err := src.detectFacesWith(lax)
	if err != nil || len(turned) == 0 {
		t.Fatalf("turned copies without the Haar check: %v, %v; want the false faces the check removes", turned, err)
	}
	lax.turnedMinHaar = defaultDetect.turnedMinHaar
	if faces, err := src.detectFacesWith(lax); err != nil || len(faces) != 0 {
		t.Errorf("turned copies with the Haar check: %v, %v; want none", faces, err)
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
	if want := image.Rect(0, 30, 300, 330); res.Face || res.Crop != want {
		t.Errorf("Face, Crop = %v, %v; want false, %v (a tenth of the spare height above)", res.Face, res.Crop, want)
	}
	landscape, err := Process(bytes.NewReader(encodeJPEG(t, quadrants(600, 300), 90)), &Options{Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	if want := image.Rect(150, 0, 450, 300); landscape.Crop != want {
		t.Errorf("landscape Crop = %v, want the centre %v", landscape.Crop, want)
	}
}

// TestFaceSquare checks the placement on faces as the detector reports
// them, with the head estimated as it estimates it.
func TestFaceSquare(t *testing.T) {
	// f is a face of side s centred at (x, y), found upright.
	f := func(x, y, s float64) Face {
		return detection{x: x, y: y, side: s, score: 100, detector: DetectorPico}.face(1, image.Rect(0, 0, 1<<20, 1<<20))
	}
	tests := []struct {
		name       string
		w, h       int
		faces      []Face
		wantHeads  []int // faces whose heads the circle holds with a margin
		wantOut    []int // faces whose heads the square must not touch
		wantShare  bool  // the first head is headShare of the side, its middle at headLevel
		wantFace   bool  // the circle holds the first face's box
		wantBeyond bool  // the square reaches beyond the photo
		wantCrop   image.Rectangle
		wantReason string
	}{
		{name: "lone face", w: 4000, h: 3000, faces: []Face{f(2300, 1400, 600)}, wantHeads: []int{0}, wantShare: true,
			wantReason: "around the face"},
		{name: "lone face in the corner, its hair cut by the top edge: the square reaches beyond", w: 4000, h: 3000,
			faces: []Face{f(3700, 250, 400)}, wantHeads: []int{0}, wantBeyond: true, wantReason: "beyond the photo's edge"},
		{name: "small face: zoom bounded", w: 4000, h: 3000, faces: []Face{f(2000, 1000, 60)}, wantHeads: []int{0},
			wantCrop: image.Rect(1250, 289, 2750, 1789)},
		{name: "group that fits", w: 4000, h: 3000, faces: []Face{f(1500, 1200, 400), f(2200, 1250, 350), f(2800, 1300, 380)},
			wantHeads: []int{0, 1, 2}, wantReason: "around all 3 faces"},
		{name: "group wider than the photo is tall: the square reaches beyond", w: 3000, h: 2000,
			faces:     []Face{f(500, 700, 300), f(1500, 720, 300), f(2500, 700, 300)},
			wantHeads: []int{0, 1, 2}, wantBeyond: true, wantReason: "beyond the photo's edge"},
		{name: "too wide: the most that fit", w: 4000, h: 2000,
			faces:     []Face{f(400, 900, 420), f(2600, 900, 400), f(3100, 950, 380), f(3600, 900, 400)},
			wantHeads: []int{1, 2, 3}, wantOut: []int{0}, wantReason: "around 3 of 4 faces, the most that fit"},
		{name: "two pairs alike: the central pair", w: 6000, h: 2000,
			faces:     []Face{f(500, 900, 400), f(1100, 900, 400), f(2800, 900, 400), f(3400, 900, 400)},
			wantHeads: []int{2, 3}, wantOut: []int{0, 1}},
		{name: "two pairs, one much larger: the larger", w: 6000, h: 2000,
			faces:     []Face{f(500, 900, 500), f(1200, 900, 500), f(2800, 900, 300), f(3200, 900, 300)},
			wantHeads: []int{0, 1}, wantOut: []int{2, 3}},
		{name: "two large faces apart: the larger whole, not two halves", w: 3000, h: 1500,
			faces: []Face{f(700, 700, 600), f(2400, 700, 420)}, wantHeads: []int{0}, wantOut: []int{1},
			wantReason: "around the largest face whole"},
		{name: "passer-by left aside", w: 4000, h: 3000, faces: []Face{f(2300, 1400, 600), f(300, 300, 100)},
			wantHeads: []int{0}, wantOut: []int{1}, wantShare: true, wantReason: "1 other face(s) left aside"},
		{name: "no face, portrait: near the top", w: 400, h: 800, wantCrop: image.Rect(0, 40, 400, 440),
			wantReason: "no face found: a square near the top of the portrait photo"},
		{name: "no face, landscape: the centre", w: 800, h: 400, wantCrop: image.Rect(200, 0, 600, 400),
			wantReason: "no face found: the centre"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sq, reason, found := faceSquare(tt.w, tt.h, 720, tt.faces)
			if found != (len(tt.faces) > 0) {
				t.Errorf("found = %v with %d faces", found, len(tt.faces))
			}
			bounds := image.Rect(0, 0, tt.w, tt.h)
			if sq.Dx() != sq.Dy() || sq.In(bounds) == tt.wantBeyond {
				t.Fatalf("square %v: a square reaching beyond %dx%d is %v, want %v", sq, tt.w, tt.h, !sq.In(bounds), tt.wantBeyond)
			}
			if share := padShare(sq, bounds); share > maxPadShare {
				t.Errorf("%.0f%% of the square %v lies beyond the photo, more than %.0f%%", 100*share, sq, 100*maxPadShare)
			}
			if !tt.wantCrop.Empty() && sq != tt.wantCrop {
				t.Errorf("square = %v, want %v", sq, tt.wantCrop)
			}
			if !strings.Contains(reason, tt.wantReason) {
				t.Errorf("reason %q, want it to contain %q", reason, tt.wantReason)
			}
			for _, i := range tt.wantHeads {
				if head := tt.faces[i].Head.Intersect(image.Rect(0, 0, tt.w, tt.h)); !inCircle(head, sq, 0.03) {
					t.Errorf("the circle of %v does not hold head %d at %v with a margin (%s)", sq, i, head, reason)
				}
			}
			for _, i := range tt.wantOut {
				if head := tt.faces[i].Head; head.Overlaps(sq) {
					t.Errorf("square %v cuts into head %d at %v (%s)", sq, i, head, reason)
				}
			}
			if tt.wantFace && !inCircle(tt.faces[0].Box, sq, 0) {
				t.Errorf("the circle of %v does not hold the face %v (%s)", sq, tt.faces[0].Box, reason)
			}
			if tt.wantShare {
				head := tt.faces[0].Head
				_, hy := center(head)
				share, level := float64(head.Dy())/float64(sq.Dy()), (hy-float64(sq.Min.Y))/float64(sq.Dy())
				if math.Abs(share-headShare) > 0.02 || math.Abs(level-headLevel) > 0.02 {
					t.Errorf("head is %.2f of the side with its middle at %.2f; want %.2f at %.2f", share, level, headShare, headLevel)
				}
			}
		})
	}
}

// TestDetectFacesWhereverPlaced checks that a small face, some 35 pixels
// from brows to chin in a 1600 pixel wide photo, is found wherever it sits:
// the search grid must not decide.
func TestDetectFacesWhereverPlaced(t *testing.T) {
	s, err := (*Options)(nil).settings()
	if err != nil {
		t.Fatal(err)
	}
	for x := 20; x < 1500; x += 97 {
		at := image.Rect(x, 150+x%60, x+56, 220+x%60)
		src, _, err := load(encodeJPEG(t, scene(t, 1600, 600, at), 90), s)
		if err != nil {
			t.Fatal(err)
		}
		faces, err := src.detectFaces()
		if err != nil {
			t.Fatal(err)
		}
		face := within(portraitFace, at)
		if len(faces) != 1 || !faces[0].Box.Overlaps(face) {
			t.Errorf("portrait at %v: faces %+v, want one on %v", at, faces, face)
		}
	}
}
