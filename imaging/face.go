package imaging

import (
	"cmp"
	_ "embed"
	"fmt"
	"image"
	"math"
	"slices"
	"sync"

	pigo "github.com/esimov/pigo/core"
)

//go:embed cascade/facefinder
var faceCascade []byte

// OpenCV's Haar cascades for frontal faces and for faces in profile, the
// second opinion when pigo's cascade finds no face: see cascade/README.md.
var (
	//go:embed cascade/haarcascade_frontalface_alt2.xml
	haarFrontalXML []byte
	//go:embed cascade/haarcascade_profileface.xml
	haarProfileXML []byte
)

// classifier is unpacked once per process; the cascade is read-only after.
var classifier = sync.OnceValues(func() (*picoCascade, error) {
	return parsePico(faceCascade)
})

// haarCascades are parsed the first time a photo needs them: the frontal
// cascade, the profile cascade (faces turned to the photo's left) and its
// mirror image (faces turned to the right), in the order of detectors.
var haarCascades = sync.OnceValues(func() ([]*haarCascade, error) {
	frontal, err := parseHaarCascade(haarFrontalXML)
	if err != nil {
		return nil, fmt.Errorf("frontal: %w", err)
	}
	profile, err := parseHaarCascade(haarProfileXML)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	return []*haarCascade{frontal, profile, profile.mirrored()}, nil
})

// A Detector names what found a face: one of three cascades or the face
// network.
type Detector string

const (
	// DetectorPico is pigo's frontal face cascade, which runs first; its
	// Score is the sum of its hits' confidences.
	DetectorPico Detector = "pico"
	// DetectorFrontal and DetectorProfile are OpenCV's Haar cascades,
	// tried when neither pigo's cascade nor the face network finds a face
	// (see needsHaar): heads turned up to three-quarters and in profile. Their Score is the number of windows that found the
	// face (OpenCV's neighbours).
	DetectorFrontal Detector = "haar frontal"
	DetectorProfile Detector = "haar profile"
	// DetectorNetwork is face-api.js's tiny face network, which runs
	// beside pigo's cascade when that finds no single sure face (see
	// needsNetwork): its Score is the probability it gives the face.
	DetectorNetwork Detector = "network"
)

// A Face is a face the detector found, in oriented source pixels.
type Face struct {
	// Box is the face as the detector frames it: a square from the brows
	// to the chin, turned with the face when Angle is not 0.
	Box image.Rectangle
	// Head is the head estimated from Box, hair to chin and ear to ear:
	// what the crop keeps inside its circle.
	Head image.Rectangle
	// Score is the detector's confidence: for pigo's cascade, summed over
	// the positions and scales that found the face; for the Haar cascades,
	// the windows that did; for the face network, the probability it gives
	// the face, from 0.5 to 1.
	Score float32
	// Mirror is the score of the fine search around the face on the
	// photo mirrored, which weak detections must pass (see mirrorScore);
	// 0 when the face scored too well to need it. For the Haar cascades'
	// faces, it is the number of windows of the dense search around the
	// face that accepted it (see denseHaarCount).
	Mirror float32
	// Angle is how far, in degrees clockwise, the image was turned for the
	// face to be found: 0 unless the upright search found nothing and a
	// tilted head was found on a turned copy.
	Angle int
	// Kept reports whether the crop was placed to hold this face's head;
	// passers-by and faces that did not fit beside the others are not.
	Kept bool
	// Detector is what found the face.
	Detector Detector
}

// Evidence says in a few words what found the face and how surely: pigo's
// summed score, the Haar cascade and the number of windows that found the
// face, or the face network's probability.
func (f Face) Evidence() string {
	switch f.Detector {
	case DetectorFrontal:
		return fmt.Sprintf("frontal Haar cascade, %.0f windows", f.Score)
	case DetectorProfile:
		return fmt.Sprintf("in profile, %.0f windows", f.Score)
	case DetectorNetwork:
		return fmt.Sprintf("face network, %.0f%%", 100*f.Score)
	}
	return fmt.Sprintf("score %.0f", f.Score)
}

// detectParams are the detector's settings, calibrated on a varied set of
// photos (portraits, off-centre subjects, groups, crowds, dim and
// black-and-white shots, tilted heads, photos without people).
type detectParams struct {
	// edge bounds the longer side of the grayscale image searched: the
	// cascade's cost grows with its pixels, and a face that matters for a
	// contact photo is still dozens of pixels wide at this size.
	edge int
	// minFace is the smallest face searched, as a share of the shorter
	// side, never under minFacePixels.
	minFace float64
	// shift is the step between positions, as a share of the face size,
	// and scale the step between sizes. The finer they are, the more
	// positions find a face, the higher its summed score and the less a
	// small shift of the photo matters; fine sizes found as many faces as
	// fine positions for less time.
	shift, scale float64
	// minScore is the summed score below which a detection is noise, and
	// minMirror the same for the fine search on the mirrored face (see
	// mirrorScore), which tells faces from patterns much better.
	minScore, minMirror float32
	// angles are tried, in degrees, in pairs of equal size, when the
	// upright search finds nothing: pigo's cascade takes heads tilted by
	// up to about 10° only. Those searches look for faces of turnedMinFace
	// and up only, with steps of turnedShift: a tilted head that decides
	// the crop is a large one, and each turn costs a search.
	angles                     []float64
	turnedMinFace, turnedShift float64
	// turnedMinScore replaces minScore on turned copies: each turn is
	// another chance for a pattern to pass, and the calibration photos
	// without people showed some that did. turnedMinHaar is how many
	// windows of the Haar frontal cascade's dense search (see
	// denseHaarCount) on the turned copy must agree: the tilted heads of
	// the calibration photos reached 9 to 16, a flower turned by 45° 0.
	turnedMinScore float32
	turnedMinHaar  int
	// The Haar cascades search when the face network found nothing and
	// pigo's cascade no face scoring haarUnder or more: nothing, or only
	// faces so weak that they are as often a passer-by or a pattern as
	// the subject, who may be turned away. On the calibration photos,
	// running them beside the network's faces too found nothing more.
	// haarEdge bounds the longer side of the image they search, and
	// haarScale is the step between their sizes, from haarMinFace pixels
	// up. Those cascades cost several times pigo's for each window, so
	// they search a smaller image: the faces they are for, turned away
	// from the camera, are the subject's. Running them whenever pigo's
	// best face scores under sureScore found no more main faces on the
	// calibration photos and took the median time over 60 ms.
	haarEdge, haarMinFace int
	haarUnder             float32
	haarScale             float64
	// A face the Haar frontal cascade finds needs frontal.hits windows of
	// the search and frontal.dense of a dense search around it, on the
	// full thumb (see denseHaarCount), or frontal.sure of the dense search
	// from 2 windows; profile likewise. As the mirror check does for
	// pigo's faces, the dense search tells faces, which many nearby
	// windows take for one, from patterns, which few do. On the
	// calibration photos, faces reached 18 to 139 (frontal) and 10 to 130
	// (profile), while blinds, tiles, a painting and a poster reached 11
	// and 9 at most, and the faces in framed pictures on a wall 24. On
	// more photos without people, a book's edge reached 30 from 2 windows
	// and a cartoon fish's fin 21 from 3, both in profile: the profile
	// cascade, whose early stages let more through, needs more of both.
	frontal, profile haarNeed
	// The face network (see tinyface.go) searches an image whose longer
	// side is netEdge, its input size in face-api.js, and keeps faces it
	// gives a probability over netMinScore, face-api.js's default. It
	// finds faces pigo's cascade misses: dark skin in dim light, heads
	// tilted or turned three-quarters and in profile. It misses faces
	// under some 40 of its pixels, which pigo's cascade finds. 384 and 352
	// found as many main faces on the calibration photos, 320 far fewer
	// alone; lower thresholds found more members of groups, but also
	// hands and second boxes on one face.
	netEdge     int
	netMinScore float64
}

// haarNeed is what a face found by a Haar cascade must reach: hits
// windows of the search and dense of the dense search around it, or sure of
// the dense search from 2 windows.
type haarNeed struct{ hits, dense, sure int }

func (n haarNeed) met(hits, dense int) bool {
	return hits >= n.hits && dense >= n.dense || hits >= 2 && dense >= n.sure
}

var defaultDetect = detectParams{
	edge:           640,
	minFace:        0.065,
	shift:          0.12,
	scale:          1.08,
	minScore:       3,
	minMirror:      40,
	angles:         []float64{15, -15, 30, -30, 45, -45},
	turnedMinFace:  0.12,
	turnedShift:    0.12,
	turnedMinScore: 15,
	turnedMinHaar:  5,
	haarEdge:       320,
	haarMinFace:    20,
	haarUnder:      10,
	haarScale:      1.15,
	frontal:        haarNeed{hits: 2, dense: 19, sure: 19},
	profile:        haarNeed{hits: 3, dense: 22, sure: 40},
	netEdge:        416,
	netMinScore:    0.5,
}

// haarFrontalSide is the side of the Haar frontal cascade's box around a
// face to that of pigo's: a little larger, from the forehead.
const haarFrontalSide = 1.1

// sureScore is the score from which a face needs no check in the mirror:
// no pattern in the calibration photos scored half of it.
const sureScore = 40

// minFacePixels is the smallest face the cascade is run for: it was
// trained on faces of 24 pixels and more.
const minFacePixels = 20

// headGeometry gives, for each detector, the head around a face Box of side s
// with centre (x, y): it spans x ± halfWidth·s across and y − above·s to
// y + below·s down, a little over the medians of the calibration photos'
// heads, boxed by hand, around the detected faces' boxes. Pigo's box
// reaches from the brows to the chin, and hair adds more above than
// the chin below. The eyes lie 0.08·s above the box's centre: pigo's pupil
// cascade put them there to within ±0.02·s for half the faces and ±0.03·s
// for four in five, less than 2% of the crop's height, so the crop takes
// the eye line from the box rather than pay some 6 ms a face for pupils.
//
// The Haar cascades frame faces differently, the frontal one from the
// forehead and the profile one from the cheek to the nose tip, so their
// heads were fitted apart, in the same way: the medians for the frontal
// cascade's 61 faces were 1.13·s wide, 1.45·s high, 0.18·s above the box's
// centre, for the profile cascade's 40 faces 0.97·s, 1.2·s and 0.10·s. The
// face network's box, s wide and a little less high, sits low on the face:
// for its 70 faces, 0.94·s, 1.19·s and 0.28·s; its head is set at the
// upper quartiles, which framed the same heads as the medians did.
func headGeometry(d Detector) (halfWidth, above, below float64) {
	switch d {
	case DetectorFrontal:
		return 0.62, 0.96, 0.58
	case DetectorProfile:
		return 0.56, 0.76, 0.55
	case DetectorNetwork:
		return 0.52, 0.95, 0.35
	}
	return 0.56, 0.80, 0.60
}

// detectFaces finds faces in the upright image, largest first.
func (s *source) detectFaces() ([]Face, error) {
	return s.detectFacesWith(defaultDetect)
}

func (s *source) detectFacesWith(p detectParams) ([]Face, error) {
	cl, err := classifier()
	if err != nil {
		return nil, fmt.Errorf("imaging: load the face cascade: %w", err)
	}
	b := s.img.Bounds()
	thumb, f := grayThumb(s.img, s.cmyk, p.edge)
	thumb = s.orientation.uprightGray(thumb)
	// Thumb pixels to upright stored pixels.
	uw, uh := s.orientation.uprightSize(s.width, s.height)
	ub, _ := s.orientation.uprightSize(b.Dx(), b.Dy())
	k := float64(f) * float64(uw) / float64(ub)
	faces, err := searchFaces(cl, thumb, p, 0)
	if err != nil {
		return nil, err
	}
	if p.needsNetwork(faces) {
		tb := thumb.Bounds()
		more, err := s.searchNetwork(tb.Dx(), tb.Dy(), p)
		if err != nil {
			return nil, err
		}
		faces = mergeDetections(faces, more)
	}
	if p.needsHaar(faces) {
		more, err := searchHaar(thumb, p)
		if err != nil {
			return nil, err
		}
		faces = mergeDetections(faces, more)
	}
	for i := 0; len(faces) == 0 && i < len(p.angles); i += 2 {
		// Both tilts of one size, so that neither side is favoured.
		for _, a := range p.angles[i:min(i+2, len(p.angles))] {
			turned, err := searchFaces(cl, thumb, p, a)
			if err != nil {
				return nil, err
			}
			faces = append(faces, turned...)
		}
		faces = dropOverlaps(faces)
	}
	bounds := image.Rect(0, 0, uw, uh)
	out := make([]Face, len(faces))
	for i, d := range faces {
		out[i] = d.face(k, bounds)
	}
	slices.SortStableFunc(out, func(a, b Face) int { return b.Box.Dx() - a.Box.Dx() })
	return out, nil
}

// A detection is a face found in the grayscale thumb: its centre and side
// in thumb pixels, and the angle the thumb was turned by to find it.
type detection struct {
	x, y, side float64
	score      float32
	mirror     float32
	angle      float64 // degrees clockwise
	detector   Detector
}

// mirrorScore runs the cascade again around the face c, on the thumb
// mirrored left to right, finely: a face looks like a face in a mirror,
// while most patterns that fool the cascade at one position do not.
func mirrorScore(cl *picoCascade, g *image.Gray, c pigo.Detection) float32 {
	b := g.Bounds()
	r := image.Rect(c.Col-c.Scale, c.Row-c.Scale, c.Col+c.Scale, c.Row+c.Scale).Intersect(b)
	w, h := r.Dx(), r.Dy()
	pix := make([]byte, w*h)
	for y := range h {
		src := g.Pix[(r.Min.Y+y)*g.Stride+r.Min.X:][:w]
		dst := pix[y*w:][:w]
		for x := range w {
			dst[w-1-x] = src[x]
		}
	}
	// The face's centre in the mirrored window.
	mx, my := float64(r.Max.X-1-c.Col), float64(c.Row-r.Min.Y)
	params := pigo.CascadeParams{
		MinSize:     int(float64(c.Scale) * 0.8),
		MaxSize:     int(float64(c.Scale) * 1.25),
		ShiftFactor: 0.05,
		ScaleFactor: 1.05,
		ImageParams: pigo.ImageParams{Pixels: pix, Rows: h, Cols: w, Dim: w},
	}
	var q float32
	for _, hit := range cl.scan(params) {
		if math.Abs(float64(hit.Col)-mx) < float64(c.Scale)/4 && math.Abs(float64(hit.Row)-my) < float64(c.Scale)/4 {
			q += hit.Q
		}
	}
	return q
}

// searchFaces runs the cascade over thumb turned by angle degrees and
// returns the faces scoring minScore or more, in the unturned thumb's
// coordinates.
func searchFaces(cl *picoCascade, thumb *image.Gray, p detectParams, angle float64) ([]detection, error) {
	g := thumb
	if angle != 0 {
		g = rotateGray(thumb, angle)
	}
	minFace, shift, minScore := p.minFace, p.shift, p.minScore
	if angle != 0 {
		minFace, shift, minScore = max(minFace, p.turnedMinFace), max(shift, p.turnedShift), p.turnedMinScore
	}
	tb := g.Bounds()
	short := min(tb.Dx(), tb.Dy())
	params := pigo.CascadeParams{
		MinSize:     max(minFacePixels, int(float64(short)*minFace)),
		MaxSize:     short,
		ShiftFactor: shift,
		ScaleFactor: p.scale,
		ImageParams: pigo.ImageParams{Pixels: g.Pix, Rows: tb.Dy(), Cols: tb.Dx(), Dim: g.Stride},
	}
	var out []detection
	for _, c := range cluster(cl.scan(params)) {
		if c.Q < minScore {
			continue
		}
		d := detection{x: float64(c.Col), y: float64(c.Row), side: float64(c.Scale), score: c.Q, angle: angle, detector: DetectorPico}
		if c.Q < sureScore {
			d.mirror = mirrorScore(cl, g, c)
			if d.mirror < p.minMirror {
				continue
			}
		}
		if angle != 0 && p.turnedMinHaar > 0 {
			// A second opinion on turned copies: every turn is one more
			// chance for a pattern to pass, and the Haar frontal cascade,
			// trained on other faces with other features, seldom agrees
			// with pigo's on one.
			cs, err := haarCascades()
			if err != nil {
				return nil, fmt.Errorf("imaging: load the Haar cascades: %w", err)
			}
			if denseHaarCount(g, cs[:1], detection{x: d.x, y: d.y, side: d.side * haarFrontalSide}) < p.turnedMinHaar {
				continue
			}
		}
		if angle != 0 {
			// Back from the turned copy, which turned about the centre.
			cx, cy := float64(tb.Dx())/2, float64(tb.Dy())/2
			d.x, d.y = turn(d.x-cx, d.y-cy, -angle)
			d.x += cx
			d.y += cy
		}
		out = append(out, d)
	}
	return dropOverlaps(out), nil
}

// searchHaar runs the Haar cascades over thumb shrunk to p.haarEdge and
// returns the faces that enough windows found and that pass the dense
// search around them (see detectParams), in thumb's coordinates.
func searchHaar(thumb *image.Gray, p detectParams) ([]detection, error) {
	cs, err := haarCascades()
	if err != nil {
		return nil, fmt.Errorf("imaging: load the Haar cascades: %w", err)
	}
	b := thumb.Bounds()
	g, k := thumb, 1.0
	if long := max(b.Dx(), b.Dy()); long > p.haarEdge {
		k = float64(long) / float64(p.haarEdge)
		g = resizeGrayBilinear(thumb, max(1, int(math.Round(float64(b.Dx())/k))), max(1, int(math.Round(float64(b.Dy())/k))))
	}
	gb := g.Bounds()
	search := haarSearch{minSize: p.haarMinFace, maxSize: min(gb.Dx(), gb.Dy()), scale: p.haarScale}
	var out []detection
	for i, hits := range haarDetect(g, cs, search) {
		det := DetectorFrontal
		if i > 0 {
			det = DetectorProfile
		}
		use, need := cs[1:], p.profile
		if det == DetectorFrontal {
			use, need = cs[:1], p.frontal
		}
		for _, gr := range groupHits(hits, 1) {
			r := gr.r
			d := detection{
				x: float64(r.Min.X+r.Max.X) / 2 * k, y: float64(r.Min.Y+r.Max.Y) / 2 * k, side: float64(r.Dx()) * k,
				score: float32(gr.n), detector: det,
			}
			d.mirror = float32(denseHaarCount(thumb, use, d))
			if need.met(gr.n, int(d.mirror)) {
				out = append(out, d)
			}
		}
	}
	return dropOverlaps(out), nil
}

// denseHaarCount counts the windows the cascades cs accept around the face
// d, on g: every position, at sizes from 0.75 to 1.35 times the face's, 5%
// apart. It costs little, for the windows are few.
func denseHaarCount(g *image.Gray, cs []*haarCascade, d detection) int {
	r := image.Rect(int(d.x-0.8*d.side), int(d.y-0.8*d.side), int(d.x+0.8*d.side), int(d.y+0.8*d.side)).Intersect(g.Bounds())
	if r.Empty() {
		return 0
	}
	search := haarSearch{minSize: int(0.75 * d.side), maxSize: int(1.35 * d.side), scale: 1.05, dense: true}
	var n int
	for _, hits := range haarDetect(g.SubImage(r).(*image.Gray), cs, search) {
		n += len(hits)
	}
	return n
}

// needsHaar reports whether the Haar cascades search after pigo's upright
// search and the face network found faces: when the network found none and
// none of pigo's scores haarUnder or more.
func (p detectParams) needsHaar(faces []detection) bool {
	return p.haarEdge > 0 && !slices.ContainsFunc(faces, func(d detection) bool {
		return d.detector == DetectorNetwork || d.score >= p.haarUnder
	})
}

// needsNetwork reports whether the face network searches after pigo's
// upright search found faces: unless that found a single face, scoring
// sureScore or more. Such a photo is a portrait, whose subject is that face;
// anything else (no face, weak faces, a group whose members pigo's cascade
// may have missed) is searched again. The network and its colour copy cost
// some 17 ms with the AVX2 kernels and 55 ms without, on top of pigo's
// cascade.
func (p detectParams) needsNetwork(faces []detection) bool {
	return p.netEdge > 0 && !(len(faces) == 1 && faces[0].score >= sureScore)
}

// mergeDetections adds to faces those of more that overlap none of them:
// where pigo's cascade and another detector found one face, pigo's box, the
// one the rest of the detector was calibrated on, is kept.
func mergeDetections(faces, more []detection) []detection {
	for _, d := range more {
		if !slices.ContainsFunc(faces, func(f detection) bool {
			return math.Abs(f.x-d.x) < max(f.side, d.side)/2 && math.Abs(f.y-d.y) < max(f.side, d.side)/2
		}) {
			faces = append(faces, d)
		}
	}
	return faces
}

// cluster merges the cascade's raw hits, many per face, into one detection
// per face, scored by the sum of its hits. Unlike pigo's
// ClusterDetections it grows each cluster from its best hit, so that a
// cluster's centre is not pulled off the face by a weak neighbour.
func cluster(hits []pigo.Detection) []pigo.Detection {
	slices.SortFunc(hits, func(a, b pigo.Detection) int { return cmp.Compare(b.Q, a.Q) })
	taken := make([]bool, len(hits))
	var out []pigo.Detection
	for i, h := range hits {
		if taken[i] {
			continue
		}
		var r, c, s, w float64
		var q float32
		for j := i; j < len(hits); j++ {
			if taken[j] || iou(h, hits[j]) < 0.3 {
				continue
			}
			taken[j] = true
			o := hits[j]
			wj := float64(o.Q)
			r += wj * float64(o.Row)
			c += wj * float64(o.Col)
			s += wj * float64(o.Scale)
			w += wj
			q += o.Q
		}
		out = append(out, pigo.Detection{Row: int(math.Round(r / w)), Col: int(math.Round(c / w)), Scale: int(math.Round(s / w)), Q: q})
	}
	return out
}

// iou is the intersection over union of two square hits.
func iou(a, b pigo.Detection) float64 {
	r1, c1, s1 := float64(a.Row), float64(a.Col), float64(a.Scale)
	r2, c2, s2 := float64(b.Row), float64(b.Col), float64(b.Scale)
	or := max(0, min(r1+s1/2, r2+s2/2)-max(r1-s1/2, r2-s2/2))
	oc := max(0, min(c1+s1/2, c2+s2/2)-max(c1-s1/2, c2-s2/2))
	return or * oc / (s1*s1 + s2*s2 - or*oc)
}

// dropOverlaps keeps, of detections whose centres lie in each other's
// box, the best scored: clustering can leave two on one face at distant
// scales, and turned copies find the same face twice.
func dropOverlaps(ds []detection) []detection {
	slices.SortFunc(ds, func(a, b detection) int { return cmp.Compare(b.score, a.score) })
	var kept []detection
	for _, d := range ds {
		if !slices.ContainsFunc(kept, func(k detection) bool {
			return math.Abs(d.x-k.x) < k.side/2 && math.Abs(d.y-k.y) < k.side/2 ||
				math.Abs(d.x-k.x) < d.side/2 && math.Abs(d.y-k.y) < d.side/2
		}) {
			kept = append(kept, d)
		}
	}
	return kept
}

// face returns d in upright source pixels, k of them to a thumb pixel,
// with the head estimated around it, turned as the face is.
func (d detection) face(k float64, bounds image.Rectangle) Face {
	half := d.side / 2
	box := image.Rect(
		int(math.Round((d.x-half)*k)), int(math.Round((d.y-half)*k)),
		int(math.Round((d.x+half)*k)), int(math.Round((d.y+half)*k)),
	).Intersect(bounds)
	// The head is the ellipse inscribed in its box, upright in the face's
	// own frame, turned back as the image was: the box around the turned
	// ellipse, not around the turned box, whose corners reach out past
	// the head by up to a quarter of its size at 45°.
	halfWidth, above, below := headGeometry(d.detector)
	a, b := halfWidth*d.side, (above+below)/2*d.side
	ox, oy := turn(0, (below-above)/2*d.side, -d.angle)
	sin, cos := math.Sincos(d.angle * math.Pi / 180)
	rx, ry := math.Hypot(a*cos, b*sin), math.Hypot(a*sin, b*cos)
	x0, y0, x1, y1 := ox-rx, oy-ry, ox+rx, oy+ry
	head := image.Rect(
		int(math.Round((d.x+x0)*k)), int(math.Round((d.y+y0)*k)),
		int(math.Round((d.x+x1)*k)), int(math.Round((d.y+y1)*k)),
	)
	return Face{Box: box, Head: head, Score: d.score, Mirror: d.mirror, Angle: int(math.Round(d.angle)), Detector: d.detector}
}

// turn rotates the vector (x, y) by deg degrees clockwise on screen (y
// points down).
func turn(x, y, deg float64) (float64, float64) {
	sin, cos := math.Sincos(deg * math.Pi / 180)
	return x*cos - y*sin, x*sin + y*cos
}

// rotateGray returns m turned by deg degrees clockwise about its centre,
// in a frame of the same size; corners turned in from outside are mid
// grey, which the cascade does not take for a face.
func rotateGray(m *image.Gray, deg float64) *image.Gray {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)/2
	// Each output pixel reads the source pixel turned back by deg.
	sin, cos := math.Sincos(-deg * math.Pi / 180)
	for y := range h {
		dy := float64(y) + 0.5 - cy
		row := out.Pix[y*out.Stride:][:w]
		for x := range row {
			dx := float64(x) + 0.5 - cx
			sx := dx*cos - dy*sin + cx - 0.5
			sy := dx*sin + dy*cos + cy - 0.5
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			if x0 < 0 || y0 < 0 || x0+1 >= w || y0+1 >= h {
				row[x] = 128
				continue
			}
			fx, fy := sx-float64(x0), sy-float64(y0)
			i := y0*m.Stride + x0
			top := float64(m.Pix[i])*(1-fx) + float64(m.Pix[i+1])*fx
			bot := float64(m.Pix[i+m.Stride])*(1-fx) + float64(m.Pix[i+m.Stride+1])*fx
			row[x] = uint8(top*(1-fy) + bot*fy + 0.5)
		}
	}
	return out
}
