package imaging

import (
	"fmt"
	"image"
	"math"
)

// The crop is judged by the circle contacts apps show the photo in: the
// heads it keeps must be inside that circle with room around them.
const (
	// headShare is the height of a lone head in the crop, as a share of its
	// side: head and shoulders, as a person frames a contact photo.
	headShare = 0.5
	// headLevel is where the middle of the kept heads sits, from the top,
	// as a share of the side: with it the eyes fall a little above the
	// middle of the circle.
	headLevel = 0.47
	// headMargin is the room kept around each head inside the circle, as a
	// share of the head's height.
	headMargin = 0.08
	// minFaceCropShare bounds how far a face crop zooms in: the square is
	// never smaller than this share of the image's shorter side, nor than
	// minFaceCropPixels, so the photo keeps enough resolution.
	minFaceCropShare  = 0.5
	minFaceCropPixels = 320
	// groupShare is how large, relative to the largest face, another face
	// must be to count among the faces the crop tries to keep; smaller
	// ones are passers-by.
	groupShare = 0.45
	// portraitTop is where the fallback square of a portrait-format photo
	// without a face starts, as a share of the height it leaves over: near
	// the top, where heads are.
	portraitTop = 0.1
	// edgeShare is how near, as a share of a head's height, the photo's
	// edge must come to the head for it to count as cut there.
	edgeShare = 0.15
	// maxHeads bounds the faces, largest first, that the crop tries to
	// keep: a crowd is framed by its largest faces, in bounded time.
	maxHeads = 24
	// cutShare is how far, as a share of a head's height, the circle may
	// cut into the head before the crop reaches beyond the photo to hold
	// it: the hair's outermost wisps.
	cutShare = 0.02
	// sizeTie is the ratio of head areas under which two sets of as many
	// heads count as equally large.
	sizeTie = 1.3
)

// minFaceSide returns the smallest square faceSquare chooses in an image
// whose shorter side is short.
func minFaceSide(short, size int) int {
	return min(short, max(int(float64(short)*minFaceCropShare), min(size, minFaceCropPixels)))
}

// faceSquare chooses the square for CropFace in a w×h upright image, and
// says why in words. It keeps in the circle as many of the faces (passers-by
// left aside) as fit, preferring the larger and the more central faces when
// fewer fit than were found, frames a lone head at headShare and a group as
// wide as the photo allows. When no square inside the photo holds every
// head whole, the square may reach beyond the photo (paddedSquare). Without
// a face it falls back to the centre, or near the top for portrait photos.
// It marks the faces it keeps as Kept.
func faceSquare(w, h, size int, faces []Face) (image.Rectangle, string, bool) {
	if len(faces) == 0 {
		if h > w {
			y := int(portraitTop * float64(h-w))
			return image.Rect(0, y, w, y+w), "no face found: a square near the top of the portrait photo", false
		}
		return centerSquare(w, h), "no face found: the centre", false
	}
	short := min(w, h)
	bounds := image.Rect(0, 0, w, h)
	var heads, boxes []image.Rectangle
	var index []int // of each head in faces
	for i, f := range faces {
		if len(heads) == maxHeads {
			break // a crowd: the largest faces decide
		}
		if float64(f.Box.Dx()) >= groupShare*float64(faces[0].Box.Dx()) {
			heads = append(heads, keepable(f, bounds))
			boxes = append(boxes, f.Box)
			index = append(index, i)
		}
	}
	// Which heads: the most that one circle can hold, found by sliding the
	// largest square over the image.
	keep := bestHeads(bounds, heads)
	kept := make([]image.Rectangle, len(keep))
	union := heads[keep[0]]
	for i, k := range keep {
		kept[i] = heads[k]
		union = union.Union(heads[k])
		faces[index[k]].Kept = true
	}
	// How large: the largest head (first) at headShare, grown until the
	// circle holds every kept head.
	side := max(int(math.Ceil(float64(kept[0].Dy())/headShare)), minFaceSide(short, size))
	side = min(side, short)
	// The side meant for the heads, before the photo's edges had a say: a
	// lone head at headShare, a group as wide as the photo.
	meant := side
	if len(heads) > 1 {
		meant = short
	}
	cx := float64(union.Min.X+union.Max.X) / 2
	cy := float64(union.Min.Y+union.Max.Y) / 2
	var sq image.Rectangle
	for {
		sq = squareAt(cx, cy-(headLevel-0.5)*float64(side), side, w, h)
		if side == short || holdsAll(sq, bounds, kept) {
			break
		}
		side = min(short, side+max(1, side/50))
	}
	if len(kept) > 1 && side < short {
		// A group is framed as wide as the photo allows: the heads are
		// estimated, and the detector misses some members of most
		// groups (turned away, small, in shade), who stand among or
		// beside the others.
		side = short
		sq = squareAt(cx, cy-(headLevel-0.5)*float64(side), side, w, h)
	}
	if !holdsAll(sq, bounds, kept) {
		// The photo's edge pushed the square off the heads: the largest
		// square that holds them, nearest to where it was meant to be. A
		// smaller circle reaches further into a corner.
		var ok bool
		sq, ok = placeFor(bounds, kept, sq, kept[0].Dy())
		if !ok {
			// A head larger than the photo: keep the face itself, brows
			// to chin, in the middle, and let the circle cut the hair.
			b := boxes[keep[0]]
			sq = squareAt(float64(b.Min.X+b.Max.X)/2, float64(b.Min.Y+b.Max.Y)/2, short, w, h)
		}
	}
	// Every head whole, as far as the photo shows it: when no square
	// inside the photo holds them all, a square reaching a little beyond
	// it may.
	full := make([]image.Rectangle, len(heads))
	for i, k := range index {
		full[i] = faces[k].Head.Intersect(bounds)
	}
	padded := false
	if cutsAny(sq, bounds, full) {
		var u image.Rectangle
		for _, hd := range full {
			u = u.Union(hd)
		}
		wx, wy := center2(u)
		margin := headMargin
		if len(full) > 1 {
			margin = padMargin
		}
		if p, ok := paddedSquare(bounds, full, margin, meant, wx, wy-(headLevel-0.5)*float64(meant)); ok {
			sq, padded = p, true
			keep = keep[:0]
			for i, k := range index {
				faces[k].Kept = true
				keep = append(keep, i)
			}
		}
	}
	reason := fmt.Sprintf("around the face (%s)", faces[0].Evidence())
	switch {
	case len(keep) > 1 && len(keep) == len(heads):
		reason = fmt.Sprintf("around all %d faces", len(keep))
	case len(keep) > 1:
		reason = fmt.Sprintf("around %d of %d faces, the most that fit", len(keep), len(heads))
	case len(heads) > 1:
		reason = fmt.Sprintf("around the largest face whole: no two of %d faces fit", len(heads))
	}
	if padded {
		reason += fmt.Sprintf("; %.0f%% beyond the photo's edge, filled", 100*padShare(sq, bounds))
	}
	if n := len(faces) - len(heads); n > 0 {
		reason += fmt.Sprintf("; %d other face(s) left aside", n)
	}
	if faces[0].Angle != 0 {
		reason += fmt.Sprintf("; found on the photo turned by %d°", faces[0].Angle)
	}
	return sq, reason, true
}

// keepable returns the part of f's head that the circle must hold. Where
// the photo's edge cuts the head, or comes within edgeShare of its height
// of it, the circle, which touches that edge in one point only, cannot hold
// it up to the edge: there it must hold the face, and the hair or ear beyond
// may go, as the photographer already let them.
func keepable(f Face, bounds image.Rectangle) image.Rectangle {
	h := f.Head
	near := int(edgeShare * float64(h.Dy()))
	if h.Min.X < bounds.Min.X+near {
		h.Min.X = max(f.Box.Min.X, bounds.Min.X)
	}
	if h.Max.X > bounds.Max.X-near {
		h.Max.X = min(f.Box.Max.X, bounds.Max.X)
	}
	if h.Min.Y < bounds.Min.Y+near {
		h.Min.Y = max(f.Box.Min.Y, bounds.Min.Y)
	}
	if h.Max.Y > bounds.Max.Y-near {
		h.Max.Y = min(f.Box.Max.Y, bounds.Max.Y)
	}
	return h
}

// squareAt returns the square of the given side centred on (cx, cy), moved
// as little as needed to lie inside the w×h image.
func squareAt(cx, cy float64, side, w, h int) image.Rectangle {
	x0 := min(max(int(math.Round(cx-float64(side)/2)), 0), w-side)
	y0 := min(max(int(math.Round(cy-float64(side)/2)), 0), h-side)
	return image.Rect(x0, y0, x0+side, y0+side)
}

// bestHeads returns the indexes of the heads to keep: the most that the
// circle of a square in the photo can hold, of those sets the one with the
// largest heads, then the most central; the largest head comes first. It
// slides squares of a few sizes over the photo: a smaller circle reaches
// further into the corners.
func bestHeads(bounds image.Rectangle, heads []image.Rectangle) []int {
	w, h := bounds.Dx(), bounds.Dy()
	short := min(w, h)
	var best []int
	var bestArea, bestDist float64
	for _, share := range []float64{1, 0.8, 0.64, 0.5} {
		side := int(float64(short) * share)
		step := max(1, short/40)
		for y := 0; y+side <= h; y += step {
			for x := 0; x+side <= w; x += step {
				sq := image.Rect(x, y, x+side, y+side)
				var in []int
				var area float64
				var u image.Rectangle
				for i, hd := range heads {
					if holds(sq, bounds, hd) {
						in = append(in, i)
						area += float64(hd.Dx()) * float64(hd.Dy())
						u = u.Union(hd)
					}
				}
				if len(in) == 0 {
					continue
				}
				dist := math.Hypot(float64(u.Min.X+u.Max.X-w)/2, float64(u.Min.Y+u.Max.Y-h)/2)
				// Sets of heads as large within sizeTie count as ties,
				// which the more central wins.
				better := len(in) > len(best) ||
					len(in) == len(best) && (area > bestArea*sizeTie || area*sizeTie >= bestArea && dist < bestDist)
				if better {
					best, bestArea, bestDist = in, area, dist
				}
			}
		}
	}
	if len(best) == 0 {
		// No head fits whole (it is larger than the photo): the largest.
		largest := 0
		for i, hd := range heads {
			if hd.Dy() > heads[largest].Dy() {
				largest = i
			}
		}
		return []int{largest}
	}
	// Largest first.
	for i := 1; i < len(best); i++ {
		if heads[best[i]].Dy() > heads[best[0]].Dy() {
			best[0], best[i] = best[i], best[0]
		}
	}
	return best
}

// placeFor returns the largest square, no larger than want and no smaller
// than minSide, whose circle holds all of heads, the nearest to want's
// centre of those, and whether there is one.
func placeFor(bounds image.Rectangle, heads []image.Rectangle, want image.Rectangle, minSide int) (image.Rectangle, bool) {
	w, h := bounds.Dx(), bounds.Dy()
	wx, wy := center2(want)
	var union image.Rectangle
	for _, hd := range heads {
		union = union.Union(hd)
	}
	for side := want.Dx(); side >= minSide; side = side * 9 / 10 {
		step := max(1, side/32)
		var best image.Rectangle
		bestDist := math.Inf(1)
		// Only squares that reach over all of the heads can hold them.
		for y := max(0, union.Max.Y-side); y <= min(union.Min.Y, h-side); y += step {
			for x := max(0, union.Max.X-side); x <= min(union.Min.X, w-side); x += step {
				sq := image.Rect(x, y, x+side, y+side)
				if !holdsAll(sq, bounds, heads) {
					continue
				}
				cx, cy := center2(sq)
				if d := math.Hypot(cx-wx, cy-wy); d < bestDist {
					best, bestDist = sq, d
				}
			}
		}
		if !best.Empty() {
			return best, true
		}
	}
	return image.Rectangle{}, false
}

func center2(r image.Rectangle) (float64, float64) {
	return float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2
}

// cutsAny reports whether the circle inscribed in sq cuts into one of heads
// by more than cutShare of its height: the head itself, without the margin
// the crop otherwise keeps around it.
func cutsAny(sq, bounds image.Rectangle, heads []image.Rectangle) bool {
	for _, hd := range heads {
		if overflowBy(sq, bounds, hd, 0) > cutShare*float64(hd.Dy()) {
			return true
		}
	}
	return false
}

func holdsAll(sq, bounds image.Rectangle, heads []image.Rectangle) bool {
	for _, hd := range heads {
		if !holds(sq, bounds, hd) {
			return false
		}
	}
	return true
}

// holds reports whether the circle inscribed in sq holds the head: the
// ellipse inscribed in its box, grown by headMargin, as far as it lies in
// the photo's bounds.
func holds(sq, bounds, head image.Rectangle) bool {
	return overflow(sq, bounds, head) == 0
}

// overflow is how far, in pixels, the ellipse of head grown by headMargin
// reaches out of the circle inscribed in sq, at its worst point inside
// bounds: what lies outside the photo cannot be kept.
func overflow(sq, bounds, head image.Rectangle) float64 {
	return overflowBy(sq, bounds, head, headMargin)
}

// overflowBy is overflow with the head grown by margin, a share of its
// height, instead.
func overflowBy(sq, bounds, head image.Rectangle, margin float64) float64 {
	if !head.In(sq) {
		// The circle lies in the square: not a point of the head outside
		// the square can be in it. Measured from the head's box, which
		// holds the ellipse before the margin.
		return math.Max(1, float64(max(sq.Min.X-head.Min.X, head.Max.X-sq.Max.X, sq.Min.Y-head.Min.Y, head.Max.Y-sq.Max.Y)))
	}
	cx, cy := float64(sq.Min.X+sq.Max.X)/2, float64(sq.Min.Y+sq.Max.Y)/2
	r := float64(sq.Dx()) / 2
	m := margin * float64(head.Dy())
	hx, hy := float64(head.Min.X+head.Max.X)/2, float64(head.Min.Y+head.Max.Y)/2
	ax, ay := float64(head.Dx())/2+m, float64(head.Dy())/2+m
	worst := 0.0
	for i := range 32 {
		sin, cos := math.Sincos(float64(i) * math.Pi / 16)
		x, y := hx+ax*cos, hy+ay*sin
		if x < float64(bounds.Min.X) || y < float64(bounds.Min.Y) || x > float64(bounds.Max.X) || y > float64(bounds.Max.Y) {
			continue
		}
		worst = max(worst, math.Hypot(x-cx, y-cy)-r)
	}
	return worst
}
