package imaging

import (
	"cmp"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// faceGray is testdata/face.jpg as image/jpeg decodes it, in gray as
// image/draw converts it: the input the OpenCV figures below were taken
// from, written out as a PNG.
func faceGray(t testing.TB) *image.Gray {
	t.Helper()
	f, err := os.Open("testdata/face.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(m.Bounds())
	draw.Draw(g, g.Bounds(), m, m.Bounds().Min, draw.Src)
	return g
}

func mirrorGray(g *image.Gray) *image.Gray {
	b := g.Bounds()
	out := image.NewGray(b)
	for y := range b.Dy() {
		src, dst := g.Pix[y*g.Stride:][:b.Dx()], out.Pix[y*out.Stride:][:b.Dx()]
		for x, p := range src {
			dst[b.Dx()-1-x] = p
		}
	}
	return out
}

// loadTestdata loads a photo of testdata as Process does, with the default
// settings.
func loadTestdata(t testing.TB, name string) *source {
	t.Helper()
	s, err := (*Options)(nil).settings()
	if err != nil {
		t.Fatal(err)
	}
	src, _, err := load(readTestdata(t, name), s)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// testdataThumb is the upright grayscale image the detector searches in a
// photo of testdata.
func testdataThumb(t testing.TB, name string) *image.Gray {
	t.Helper()
	src := loadTestdata(t, name)
	g, _ := grayThumb(src.img, src.cmyk, defaultDetect.edge)
	return src.orientation.uprightGray(g)
}

func embeddedHaar(t testing.TB) (frontal, profile *haarCascade) {
	t.Helper()
	cs, err := haarCascades()
	if err != nil {
		t.Fatal(err)
	}
	return cs[0], cs[1]
}

// TestHaarMatchesOpenCV runs the embedded cascades as OpenCV 4.6.0's
// CascadeClassifier.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=0,
// minSize=(20, 20), maxSize=(20, 20)) did, through Debian's python3-opencv,
// on testdata/face.jpg shrunk by resizeGrayBilinear to each width below,
// and on its mirror image: one scale, so that OpenCV's own resizing plays
// no part, and every window must be the same. The evaluator reproduces
// OpenCV's arithmetic, on which the cascades' thresholds were trained.
func TestHaarMatchesOpenCV(t *testing.T) {
	want := map[string][][2]int{ // cascade, width, mirrored: windows' corners
		"frontal 26":          {{2, 6}, {2, 8}, {4, 6}, {4, 8}},
		"frontal 26 mirrored": {{2, 6}, {2, 8}, {4, 6}, {4, 8}},
		"frontal 28":          {{2, 8}, {4, 8}, {4, 10}, {6, 8}},
		"frontal 28 mirrored": {{2, 8}, {4, 8}, {4, 10}, {6, 8}},
		"frontal 30":          {{4, 8}, {4, 10}, {6, 8}, {6, 10}},
		"frontal 30 mirrored": {{4, 8}, {4, 10}, {6, 8}, {6, 10}},
		"frontal 32":          {{4, 10}, {4, 12}, {6, 10}, {6, 12}},
		"frontal 32 mirrored": {{4, 10}, {6, 10}, {6, 12}, {8, 10}},
		"frontal 34":          {{6, 10}, {6, 12}, {6, 14}, {8, 10}, {8, 12}, {8, 14}},
		"frontal 34 mirrored": {{6, 10}, {6, 12}, {6, 14}, {8, 12}},
		"profile 28":          {{8, 8}},
	}
	frontal, profile := embeddedHaar(t)
	g := faceGray(t)
	search := haarSearch{minSize: 20, maxSize: 20, scale: 1.1}
	for _, w := range []int{26, 28, 30, 32, 34} {
		small := resizeGrayBilinear(g, w, w*5/4)
		for _, m := range []string{"", " mirrored"} {
			img := small
			if m != "" {
				img = mirrorGray(small)
			}
			hits := haarDetect(img, []*haarCascade{frontal, profile}, search)
			for i, name := range []string{"frontal", "profile"} {
				key := fmt.Sprintf("%s %d%s", name, w, m)
				var got [][2]int
				for _, h := range hits[i] {
					if h.r.Dx() != 20 || h.r.Dy() != 20 {
						t.Errorf("%s: a window of %v", key, h.r.Size())
					}
					got = append(got, [2]int{h.r.Min.X, h.r.Min.Y})
				}
				slices.SortFunc(got, func(a, b [2]int) int { return cmp.Or(a[0]-b[0], a[1]-b[1]) })
				if !slices.Equal(got, want[key]) {
					t.Errorf("%s: windows at %v, OpenCV's at %v", key, got, want[key])
				}
			}
		}
	}
}

// TestHaarMirrored checks that the mirrored cascade judges each window of
// a photo exactly as the cascade judges the mirror image of that window.
func TestHaarMirrored(t *testing.T) {
	_, profile := embeddedHaar(t)
	mirrored := profile.mirrored()
	g := faceGray(t)
	var accepted int
	// At these scales the face is the window's size.
	for _, f := range []float64{8, 9, 10, 11, 12, 13} {
		b := g.Bounds()
		sw, sh := int(float64(b.Dx())/f), int(float64(b.Dy())/f)
		small := resizeGrayBilinear(g, sw, sh)
		it, mit := &integral{}, &integral{}
		it.fill(small)
		mit.fill(mirrorGray(small))
		ops, mops := mirrored.compile(nil, it.stride), profile.compile(nil, mit.stride)
		for y := 0; y < sh-profile.win.Y; y++ {
			for x := 0; x < sw-profile.win.X; x++ {
				o, mo := y*it.stride+x, y*mit.stride+sw-profile.win.X-x
				n, nok := windowNorm(it, o, profile.win.X, profile.win.Y)
				mn, mnok := windowNorm(mit, mo, profile.win.X, profile.win.Y)
				if nok != mnok || n != mn {
					t.Fatalf("scale %v, window at (%d,%d): normalisation %v %v, on the mirror %v %v", f, x, y, n, nok, mn, mnok)
				}
				if !nok {
					continue
				}
				ok, mok := mirrored.eval(it, ops, o, n), profile.eval(mit, mops, mo, mn)
				if ok != mok {
					t.Fatalf("scale %v, window at (%d,%d): mirrored cascade %v, cascade on the mirror %v", f, x, y, ok, mok)
				}
				if ok {
					accepted++
				}
			}
		}
	}
	if accepted == 0 {
		t.Error("no window accepted: nothing compared but rejections")
	}
}

// TestHaarGroups checks the grouping against OpenCV's groupRectangles with
// minNeighbors=3 on the windows found in testdata/face.jpg at every scale.
func TestHaarGroups(t *testing.T) {
	frontal, _ := embeddedHaar(t)
	g := faceGray(t)
	hits := haarDetect(g, []*haarCascade{frontal}, haarSearch{minSize: 20, maxSize: 1 << 20, scale: 1.1, fine: true})[0]
	groups := groupHits(hits, 3)
	// cv2.groupRectangles(the same 77 windows, 3, 0.2) gave [46, 96, 228,
	// 228] of 76 windows: one window lies apart. (OpenCV's own search found
	// 76 windows, a few apart from these where its resizing rounds
	// differently, and grouped them at [45, 96, 228, 228].)
	if len(hits) != 77 || len(groups) != 1 || groups[0].r != image.Rect(46, 96, 274, 324) || groups[0].n != 76 {
		t.Fatalf("groups %+v of %d windows, OpenCV one at (46,96) of 228 from 76 of 77 windows", groups, len(hits))
	}
	// Scattered single windows make no face.
	lone := []haarHit{{r: image.Rect(0, 0, 20, 20)}, {r: image.Rect(100, 100, 140, 140)}, {r: image.Rect(200, 0, 230, 30)}}
	if got := groupHits(lone, 0); len(got) != 3 {
		t.Errorf("minNeighbors 0 kept %d of 3 lone windows", len(got))
	}
	if got := groupHits(lone, 1); len(got) != 0 {
		t.Errorf("minNeighbors 1 kept lone windows: %+v", got)
	}
}

func TestParseHaarCascadeRejects(t *testing.T) {
	valid := `<opencv_storage><cascade><stageType>BOOST</stageType><featureType>HAAR</featureType>
<height>20</height><width>20</width><stages><_><stageThreshold>-1</stageThreshold><weakClassifiers>
<_><internalNodes>%s</internalNodes><leafValues>%s</leafValues></_></weakClassifiers></_></stages>
<features><_><rects><_>%s</_><_>0 0 10 10 2.</_></rects><tilted>%s</tilted></_></features></cascade></opencv_storage>`
	for _, tc := range []struct {
		name                        string
		nodes, leaves, rect, tilted string
		wantErr                     string
	}{
		{"valid", "0 -1 0 0.5", "-1 1", "0 0 20 20 -1.", "0", ""},
		{"feature out of range", "0 -1 1 0.5", "-1 1", "0 0 20 20 -1.", "0", "node uses feature 1 of 1"},
		{"rectangle outside the window", "0 -1 0 0.5", "-1 1", "5 5 20 20 -1.", "0", "outside the 20x20 window"},
		{"tilted", "0 -1 0 0.5", "-1 1", "0 0 20 20 -1.", "1", "tilted"},
		{"fractional weight", "0 -1 0 0.5", "-1 1", "0 0 20 20 -1.5", "0", "not a small whole number"},
		{"leaves missing", "0 -1 0 0.5", "-1", "0 0 20 20 -1.", "0", "1 nodes and 1 leaves"},
		{"loop", "1 -1 0 0.5 1 -2 0 0.5", "-1 1 2", "0 0 20 20 -1.", "0", "points to"},
		{"not a number", "0 -1 0 x", "-1 1", "0 0 20 20 -1.", "0", "invalid syntax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseHaarCascade([]byte(fmt.Sprintf(valid, tc.nodes, tc.leaves, tc.rect, tc.tilted)))
			if tc.wantErr == "" {
				if err != nil || len(c.stages) != 1 || len(c.features) != 1 {
					t.Fatalf("%v, %+v", err, c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
	if _, err := parseHaarCascade([]byte("<opencv_storage><cascade><stageType>BOOST</stageType><featureType>LBP</featureType></cascade></opencv_storage>")); err == nil {
		t.Error("an LBP cascade was accepted")
	}
}

// TestDetectFacesHaarFallback checks that when pigo's cascade finds nothing
// the Haar cascades' face comes back where pigo's would have been, with its
// head fitted for its own framing.
func TestDetectFacesHaarFallback(t *testing.T) {
	src := loadTestdata(t, "face.jpg")
	pico, err := src.detectFaces()
	if err != nil || len(pico) != 1 || pico[0].Detector != DetectorPico {
		t.Fatalf("pigo's cascade found %+v, %v; want the one face", pico, err)
	}
	blind := defaultDetect
	blind.minScore, blind.angles = math.MaxFloat32, nil // pigo finds nothing
	blind.netEdge = 0                                   // nor the face network
	faces, err := src.detectFacesWith(blind)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 1 || faces[0].Detector != DetectorFrontal {
		t.Fatalf("faces %+v, want the one face from the Haar frontal cascade", faces)
	}
	f, p := faces[0], pico[0]
	if f.Score < float32(defaultDetect.frontal.hits) || f.Mirror < float32(defaultDetect.frontal.dense) {
		t.Errorf("found by %v windows, %v of the dense search: under the %d and %d required",
			f.Score, f.Mirror, defaultDetect.frontal.hits, defaultDetect.frontal.dense)
	}
	// The two heads, each estimated from its own detector's box, agree.
	if iou := rectIoU(f.Head, p.Head); iou < 0.75 {
		t.Errorf("head %v from the Haar face %v, %v from pigo's %v: overlap %.2f, want 0.75 or more", f.Head, f.Box, p.Head, p.Box, iou)
	}
	// Without the Haar cascades, nothing.
	blind.haarEdge = 0
	if faces, err := src.detectFacesWith(blind); err != nil || len(faces) != 0 {
		t.Errorf("without the Haar cascades: %+v, %v", faces, err)
	}
}

func rectIoU(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	ia := float64(in.Dx() * in.Dy())
	return ia / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ia)
}

// TestDenseHaarCount checks that the dense search tells the face in
// testdata/face.jpg from the same photo's other parts and from a photo
// without people, of the same size.
func TestDenseHaarCount(t *testing.T) {
	cs, err := haarCascades()
	if err != nil {
		t.Fatal(err)
	}
	face, dragonfly := testdataThumb(t, "face.jpg"), testdataThumb(t, "dragonfly-crop.jpg")
	// pigo's face, as the Haar frontal cascade frames it: a little larger.
	found, err := searchHaar(face, defaultDetect)
	if err != nil || len(found) != 1 {
		t.Fatalf("searchHaar: %+v, %v; want one face", found, err)
	}
	d := found[0]
	if n := denseHaarCount(face, cs[:1], d); n < defaultDetect.frontal.dense {
		t.Errorf("the face: %d windows, want %d or more", n, defaultDetect.frontal.dense)
	}
	var most int
	for _, g := range []*image.Gray{face, dragonfly} {
		b := g.Bounds()
		for y := d.side / 2; y+d.side/2 <= float64(b.Dy()); y += d.side / 4 {
			for x := d.side / 2; x+d.side/2 <= float64(b.Dx()); x += d.side / 4 {
				at := detection{x: x, y: y, side: d.side}
				if g == face && math.Abs(x-d.x) < d.side && math.Abs(y-d.y) < d.side {
					continue // on or overlapping the face
				}
				most = max(most, denseHaarCount(g, cs[:1], at), denseHaarCount(g, cs[1:], at))
			}
		}
	}
	if most >= min(defaultDetect.frontal.dense, defaultDetect.profile.dense) {
		t.Errorf("away from the face, a position reached %d windows", most)
	}
}

// TestSearchHaarProfile checks the profile cascade, both ways round, on a
// man in profile: the face it finds lies on his head, drawn by hand, and
// is reported as a profile. The search runs on a 160-pixel copy, where this
// face, in glasses and turned a little towards the camera, clears the bar
// with room (5 windows and 30 or more of the dense search, against 3 and
// 22); at 320 pixels it falls just under it.
func TestSearchHaarProfile(t *testing.T) {
	thumb := testdataThumb(t, "profile.jpg")
	head := image.Rect(110, 18, 272, 236)
	p := defaultDetect
	p.haarEdge = 160
	for _, mirrored := range []bool{false, true} {
		g, want := thumb, head
		if mirrored {
			g = mirrorGray(thumb)
			want = image.Rect(320-head.Max.X, head.Min.Y, 320-head.Min.X, head.Max.Y)
		}
		faces, err := searchHaar(g, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(faces) != 1 || faces[0].detector != DetectorProfile {
			t.Fatalf("mirrored %v: %+v, want one face in profile", mirrored, faces)
		}
		if c := image.Pt(int(faces[0].x), int(faces[0].y)); !c.In(want) {
			t.Errorf("mirrored %v: face at %v, off the head %v", mirrored, c, want)
		}
	}
}

// TestDetectFacesHaarBesideWeakFaces checks that when pigo's faces count
// as weak, so that the Haar step runs beside them, a face both cascades find
// is kept once, as pigo framed it.
func TestDetectFacesHaarBesideWeakFaces(t *testing.T) {
	src := loadTestdata(t, "face.jpg")
	pico, err := src.detectFaces()
	if err != nil || len(pico) != 1 {
		t.Fatalf("pigo's cascade found %+v, %v; want the one face", pico, err)
	}
	p := defaultDetect
	p.haarUnder = math.MaxFloat32 // pigo's face counts as weak
	faces, err := src.detectFacesWith(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 1 || faces[0].Detector != DetectorPico || faces[0].Box != pico[0].Box {
		t.Errorf("faces %+v, want pigo's face alone, the Haar frontal cascade's on it dropped", faces)
	}
	// The Haar frontal cascade does find that face: with pigo's out of the
	// way, it is the one found.
	p.minScore = math.MaxFloat32
	p.angles = nil
	p.netEdge = 0
	if faces, err := src.detectFacesWith(p); err != nil || len(faces) != 1 || faces[0].Detector != DetectorFrontal {
		t.Errorf("without pigo's face: %+v, %v; want the Haar frontal cascade's", faces, err)
	}
	for _, tc := range []struct {
		scores []float32
		off    bool
		want   bool
	}{
		{nil, false, true},
		{[]float32{4, 9.5}, false, true},
		{[]float32{4, 10}, false, false},
		{nil, true, false},
	} {
		q := defaultDetect
		if tc.off {
			q.haarEdge = 0
		}
		var faces []detection
		for _, s := range tc.scores {
			faces = append(faces, detection{score: s})
		}
		if got := q.needsHaar(faces); got != tc.want {
			t.Errorf("pigo's scores %v, Haar step off %v: needsHaar %v, want %v", tc.scores, tc.off, got, tc.want)
		}
	}
	// A face the network found, however it scores, is one the Haar
	// cascades need not look for.
	if defaultDetect.needsHaar([]detection{{score: 4}, {score: 0.6, detector: DetectorNetwork}}) {
		t.Error("needsHaar beside a face the network found")
	}
	if d := mergeDetections(nil, []detection{{x: 10, y: 10, side: 8}, {x: 40, y: 10, side: 8}}); len(d) != 2 {
		t.Errorf("two faces apart merged into %d", len(d))
	}
	if d := mergeDetections([]detection{{x: 10, y: 10, side: 20, detector: DetectorPico}}, []detection{{x: 14, y: 12, side: 24}}); len(d) != 1 || d[0].detector != DetectorPico {
		t.Errorf("overlapping faces merged into %+v, want pigo's alone", d)
	}
}
