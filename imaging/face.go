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

// classifier is unpacked once per process; the cascade is read-only after.
var classifier = sync.OnceValues(func() (*pigo.Pigo, error) {
	return pigo.NewPigo().Unpack(faceCascade)
})

const (
	// detectEdge bounds the longer side of the image faces are detected
	// on: pigo's cost grows with the pixel count, and a face that matters
	// for a contact photo is still dozens of pixels wide at this size.
	detectEdge = 720
	// minFaceQuality is the clustered pigo score below which a detection
	// is noise. Faces score from about 100 (25 px wide) into the hundreds;
	// bark, foliage and fabric reach 10 at most.
	minFaceQuality = 15
	// faceFrame is the side of the square over the face box size: the
	// face takes about a third of the width, leaving hair and shoulders.
	faceFrame = 3.0
	// faceLevel is where the centre of the face sits, from the top, as a
	// share of the square: slightly above the middle, leaving headroom
	// above the hair and room for the chin.
	faceLevel = 0.45
	// minFaceCropShare bounds how far a face crop zooms in: the square is
	// never smaller than this share of the image's shorter side, so a
	// small face in a large photo keeps enough resolution.
	minFaceCropShare = 0.5
	// groupShare is how large, relative to the largest face, another face
	// must be to belong to the group the crop tries to frame; smaller
	// ones are passers-by.
	groupShare = 0.5
)

// A face is a detected face in upright source pixels.
type face struct {
	box   image.Rectangle
	score float32
}

// detectFaces finds faces in the upright image, largest first.
func (s *source) detectFaces() ([]face, error) {
	cl, err := classifier()
	if err != nil {
		return nil, fmt.Errorf("imaging: load the face cascade: %w", err)
	}
	b := s.img.Bounds()
	thumb, f := grayThumb(s.img, s.cmyk, detectEdge)
	thumb = s.orientation.uprightGray(thumb)
	tb := thumb.Bounds()
	short := min(tb.Dx(), tb.Dy())
	params := pigo.CascadeParams{
		// Coarser steps than pigo's examples (0.1, 1.1) cut the time by
		// more than half on textured photos; faces still score far above
		// minFaceQuality.
		MinSize:     max(20, short/16),
		MaxSize:     short,
		ShiftFactor: 0.12,
		ScaleFactor: 1.2,
		ImageParams: pigo.ImageParams{Pixels: thumb.Pix, Rows: tb.Dy(), Cols: tb.Dx(), Dim: thumb.Stride},
	}
	dets := cl.ClusterDetections(cl.RunCascade(params, 0), 0.2)
	// Thumb pixels to upright stored pixels.
	uw, uh := s.orientation.uprightSize(s.width, s.height)
	ub, _ := s.orientation.uprightSize(b.Dx(), b.Dy())
	bounds := image.Rect(0, 0, uw, uh)
	k := float64(f) * float64(uw) / float64(ub)
	var faces []face
	for _, d := range dets {
		if d.Q < minFaceQuality {
			continue
		}
		half := float64(d.Scale) / 2
		faces = append(faces, face{
			box: image.Rect(
				int(math.Round((float64(d.Col)-half)*k)), int(math.Round((float64(d.Row)-half)*k)),
				int(math.Round((float64(d.Col)+half)*k)), int(math.Round((float64(d.Row)+half)*k)),
			).Intersect(bounds),
			score: d.Q,
		})
	}
	// Clustering can leave two boxes on one face at neighbouring scales;
	// keep the better scored one.
	slices.SortFunc(faces, func(a, b face) int { return cmp.Compare(b.score, a.score) })
	var kept []face
	for _, f := range faces {
		c := image.Pt((f.box.Min.X+f.box.Max.X)/2, (f.box.Min.Y+f.box.Max.Y)/2)
		if !slices.ContainsFunc(kept, func(k face) bool { return c.In(k.box) }) {
			kept = append(kept, f)
		}
	}
	slices.SortStableFunc(kept, func(a, b face) int { return b.box.Dx() - a.box.Dx() })
	return kept, nil
}

// faceSquare chooses the square for CropFace in a w×h upright image: around
// the group of faces when it fits, else around the largest face, else the
// upward-biased centre.
func faceSquare(w, h, size int, faces []face) (image.Rectangle, bool) {
	if len(faces) == 0 {
		return centerSquare(w, h, true), false
	}
	short := min(w, h)
	minSide := max(int(float64(short)*minFaceCropShare), min(size, short))
	primary := faces[0].box
	group := primary
	for _, f := range faces[1:] {
		if float64(f.box.Dx()) >= groupShare*float64(primary.Dx()) {
			group = group.Union(f.box)
		}
	}
	margin := (faceFrame - 1) * float64(primary.Dx())
	box := primary
	if group != primary && float64(max(group.Dx(), group.Dy()))+margin <= float64(short) {
		box = group
	}
	side := int(math.Ceil(float64(max(box.Dx(), box.Dy())) + margin))
	side = min(max(side, minSide), short)
	x0 := (box.Min.X+box.Max.X)/2 - side/2
	y0 := (box.Min.Y+box.Max.Y)/2 - int(faceLevel*float64(side))
	x0 = min(max(x0, 0), w-side)
	y0 = min(max(y0, 0), h-side)
	return image.Rect(x0, y0, x0+side, y0+side), true
}
