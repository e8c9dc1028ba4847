package imaging

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math"
	"slices"
	"strings"
	"testing"
)

// tfjsInput is the network input the TensorFlow.js reference outputs in
// testdata/tfjs were computed from: the fixture decoded by image/jpeg,
// scaled by nearest neighbour so that its longer side is size, at the top
// left of a size×size square of black.
func tfjsInput(t testing.TB, name string, size int) []byte {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(readTestdata(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	b := m.Bounds()
	long := max(b.Dx(), b.Dy())
	w, h := b.Dx()*size/long, b.Dy()*size/long
	in := make([]byte, 3*size*size)
	for y := range h {
		for x := range w {
			r, g, bl, _ := m.At(b.Min.X+x*long/size, b.Min.Y+y*long/size).RGBA()
			p := in[3*(y*size+x):][:3]
			p[0], p[1], p[2] = byte(r>>8), byte(g>>8), byte(bl>>8)
		}
	}
	return in
}

// readFloat32s reads little-endian float32s.
func readFloat32s(t testing.TB, data []byte) []float32 {
	t.Helper()
	if len(data)%4 != 0 {
		t.Fatalf("%d bytes is not a whole number of float32s", len(data))
	}
	v := make([]float32, len(data)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return v
}

// The network's raw output matches TensorFlow.js's on the same input:
// face-api.js 1.7.15's tiny face detector, run by tfjs-core 4.22.0 on its
// CPU backend (see testdata/README.md). Float32 sums in another order
// differ in the last bits, far below what moves a face's score.
func TestTinyNetMatchesTensorFlowJS(t *testing.T) {
	net, err := tinyFaceNet()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ref string
		// faces are face-api.js's detections on the same input, in
		// input pixels, best first, and their scores.
		faces [][5]float64
	}{
		{"face.jpg", "tfjs/face.f32", [][5]float64{{44.26, 143.38, 299.78, 357.38, 0.5341}}},
		{"group-dark.jpg", "tfjs/group-dark.f32", [][5]float64{
			{308.12, 37.79, 367.13, 82.42, 0.8578},
			{206.80, 47.47, 253.76, 87.77, 0.6614},
			{115.56, 52.39, 165.95, 99.06, 0.6181},
			{73.64, 26.95, 120.70, 67.05, 0.5790},
			{272.71, 50.69, 321.86, 92.73, 0.5184},
			{154.05, 28.66, 198.84, 66.66, 0.5152},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := readFloat32s(t, readTestdata(t, tc.ref))
			out := net.run(tfjsInput(t, tc.name, 416), 416, 416)
			if out.w != 13 || out.h != 13 || out.c != 25 || len(out.v) != len(want) {
				t.Fatalf("output %dx%dx%d, want 13x13x25", out.w, out.h, out.c)
			}
			var worst float64
			for i, v := range out.v {
				d := math.Abs(float64(v - want[i]))
				if d > 1e-3*max(1, math.Abs(float64(want[i]))) {
					t.Fatalf("output %d (cell %d, value %d) = %g, TensorFlow.js %g", i, i/25, i%25, v, want[i])
				}
				worst = max(worst, d)
			}
			t.Logf("largest difference from TensorFlow.js: %.2g", worst)
			got := suppress(out.decode(0.5), 0.4)
			if len(got) != len(tc.faces) {
				t.Fatalf("%d faces, TensorFlow.js %d: %+v", len(got), len(tc.faces), got)
			}
			for i, f := range tc.faces {
				g := got[i]
				for j, v := range []float64{g.x0, g.y0, g.x1, g.y1} {
					if math.Abs(v-f[j]) > 0.05 {
						t.Errorf("face %d: box %.2f,%.2f-%.2f,%.2f, TensorFlow.js %.2f,%.2f-%.2f,%.2f", i, g.x0, g.y0, g.x1, g.y1, f[0], f[1], f[2], f[3])
						break
					}
				}
				if math.Abs(g.score-f[4]) > 1e-3 {
					t.Errorf("face %d: score %.4f, TensorFlow.js %.4f", i, g.score, f[4])
				}
			}
		})
	}
}

// TestDetectFacesNetworkBesidePigo checks, on a group photo, that the
// face network finds the two women pigo's cascade misses, heads held
// within their hand-drawn boxes, and that each face pigo's cascade found
// is kept once, as pigo framed it.
func TestDetectFacesNetworkBesidePigo(t *testing.T) {
	src := loadTestdata(t, "group-dark.jpg")
	alone := defaultDetect
	alone.netEdge = 0
	pico, err := src.detectFacesWith(alone)
	if err != nil {
		t.Fatal(err)
	}
	faces, err := src.detectFaces()
	if err != nil {
		t.Fatal(err)
	}
	// The women's heads, hair to chin, drawn by hand.
	heads := []image.Rectangle{image.Rect(262, 29, 315, 98), image.Rect(336, 56, 390, 113)}
	for _, h := range heads {
		if slices.ContainsFunc(pico, func(f Face) bool { return midpoint(f.Box).In(h) }) {
			t.Errorf("pigo's cascade found the head %v: the photo no longer tests the network", h)
		}
		i := slices.IndexFunc(faces, func(f Face) bool { return midpoint(f.Box).In(h) })
		if i < 0 {
			t.Errorf("head %v not found; faces %+v", h, faces)
			continue
		}
		f := faces[i]
		if f.Detector != DetectorNetwork || f.Score <= float32(defaultDetect.netMinScore) {
			t.Errorf("head %v found by %s", h, f.Evidence())
		}
		if !midpoint(h).In(f.Head) || rectIoU(h, f.Head) < 0.55 {
			t.Errorf("head %v estimated as %v from the face %v", h, f.Head, f.Box)
		}
	}
	if len(faces) != len(pico)+len(heads) {
		t.Errorf("%d faces, want pigo's %d and the two women: %+v", len(faces), len(pico), faces)
	}
	for _, p := range pico {
		if !slices.ContainsFunc(faces, func(f Face) bool { return f.Box == p.Box && f.Detector == DetectorPico }) {
			t.Errorf("pigo's face %v is not kept as pigo framed it", p.Box)
		}
	}
}

func midpoint(r image.Rectangle) image.Point {
	return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
}

func TestNeedsNetwork(t *testing.T) {
	for _, tc := range []struct {
		scores []float32
		off    bool
		want   bool
	}{
		{nil, false, true},
		{[]float32{sureScore - 1}, false, true},
		{[]float32{sureScore}, false, false},
		{[]float32{sureScore, sureScore}, false, true},
		{nil, true, false},
	} {
		p := defaultDetect
		if tc.off {
			p.netEdge = 0
		}
		var faces []detection
		for _, s := range tc.scores {
			faces = append(faces, detection{score: s})
		}
		if got := p.needsNetwork(faces); got != tc.want {
			t.Errorf("pigo's scores %v, network off %v: needsNetwork %v, want %v", tc.scores, tc.off, got, tc.want)
		}
	}
}

// TestNetworkInputUpright checks that the network sees the photo upright,
// its longer side scaled to the input size, and black beyond, from a JPEG's
// planes as from other images.
func TestNetworkInputUpright(t *testing.T) {
	red, green, blue, yellow := [3]byte{220, 30, 30}, [3]byte{30, 200, 40}, [3]byte{30, 40, 210}, [3]byte{240, 220, 40}
	for _, tc := range []struct {
		name                    string
		dw, dh, iw, ih          int
		topLeft, topRight       [3]byte
		bottomLeft, bottomRight [3]byte
	}{
		// The quadrants, red and green over blue and yellow, 64x48.
		{"quadrants-422.jpg", 416, 312, 416, 320, red, green, blue, yellow},
		// The same stored to be turned clockwise: upright, 48x64.
		{"quadrants-orient6.tiff", 312, 416, 320, 416, blue, red, yellow, green},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := loadTestdata(t, tc.name)
			in, iw, ih, dw, dh := src.networkInput(416)
			if dw != tc.dw || dh != tc.dh || iw != tc.iw || ih != tc.ih {
				t.Fatalf("input %dx%d in %dx%d, want %dx%d in %dx%d", dw, dh, iw, ih, tc.dw, tc.dh, tc.iw, tc.ih)
			}
			at := func(x, y int) [3]byte { p := in[3*(y*iw+x):]; return [3]byte{p[0], p[1], p[2]} }
			for _, p := range []struct {
				x, y int
				want [3]byte
			}{
				{dw / 4, dh / 4, tc.topLeft},
				{3 * dw / 4, dh / 4, tc.topRight},
				{dw / 4, 3 * dh / 4, tc.bottomLeft},
				{3 * dw / 4, 3 * dh / 4, tc.bottomRight},
				{iw - 1, ih - 1, [3]byte{}},
			} {
				got := at(p.x, p.y)
				for i := range 3 {
					if d := int(got[i]) - int(p.want[i]); d < -12 || d > 12 {
						t.Errorf("pixel (%d,%d) = %v, want about %v", p.x, p.y, got, p.want)
						break
					}
				}
			}
		})
	}
}

func TestParseTinyNetRejects(t *testing.T) {
	good := string(tinyFaceManifest)
	for _, tc := range []struct {
		name     string
		manifest string
		weights  []byte
		wantErr  string
	}{
		{"truncated weights", good, tinyFaceWeights[:len(tinyFaceWeights)-1], "weights file ends"},
		{"bytes left over", good, append(slices.Clip(tinyFaceWeights), 0), "1 bytes of weights left over"},
		{"not JSON", "{", tinyFaceWeights, "manifest"},
		{"wrong shape", strings.Replace(good, `"shape":[25]`, `"shape":[5,5]`, 1), tinyFaceWeights, "conv8/bias: shape [5 5], want [25]"},
		{"tensor missing", strings.Replace(good, `"conv8/bias"`, `"conv9/bias"`, 1), tinyFaceWeights, "conv8/bias: shape [], want [25]"},
		{"not quantized", strings.Replace(good, `"dtype":"uint8"`, `"dtype":"uint16"`, 1), tinyFaceWeights, "only uint8-quantized"},
		{"bad shape", strings.Replace(good, `"shape":[16]`, `"shape":[0]`, 1), tinyFaceWeights, "bad shape [0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.manifest == good && bytes.Equal(tc.weights, tinyFaceWeights) {
				t.Fatal("the case changes nothing")
			}
			_, err := parseTinyNet([]byte(tc.manifest), tc.weights)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
	if _, err := parseTinyNet(tinyFaceManifest, tinyFaceWeights); err != nil {
		t.Fatal(err)
	}
}
