package imaging

import (
	"image"
	"math"
	"math/rand/v2"
)

// A face crop reaches beyond the photo only when no square inside it
// holds every head whole: a group wider than the photo is tall, or a head
// at its edge. What lies beyond is filled by fillPadding.
const (
	// maxPadShare bounds how much of the square may lie beyond the
	// photo, as a share of its area: a group photo of 3:2 framed as wide
	// as it is needs 30%.
	maxPadShare = 0.35
	// padMargin is the room kept around each head of a group, as a share
	// of its height, when the square reaches beyond the photo: more than
	// headMargin, since the square is then as tight as the outermost
	// heads, whose estimates stray from the real heads by up to a fifth
	// of their size, and members the detector missed stand beside them.
	// A lone head keeps headMargin.
	padMargin = 0.2
	// padGrowth and padSteps: when the smallest square leaves too much
	// beyond the photo, larger ones, up to padGrowth times its side, are
	// tried in padSteps steps.
	padGrowth = 1.3
	padSteps  = 6
)

// paddedSquare returns a square, which may reach beyond bounds, whose
// circle holds every head (each the part of it inside bounds) grown by
// margin, a share of its height: at least side wide, placed as near as it
// can be to the centre (wx, wy) and, when it must reach beyond the photo,
// as little beyond it as that allows. It reports false when every such
// square leaves more than maxPadShare of itself beyond the photo; the
// heads then keep the square of faceSquare that lies inside it.
func paddedSquare(bounds image.Rectangle, heads []image.Rectangle, margin float64, side int, wx, wy float64) (image.Rectangle, bool) {
	var pts []pointF
	for _, hd := range heads {
		pts = append(pts, headOutline(hd.Intersect(bounds), bounds, margin)...)
	}
	if len(pts) == 0 {
		return image.Rectangle{}, false
	}
	c, r := enclosingCircle(pts)
	// One pixel more than the circle holding every point: the square's
	// corner is rounded to whole pixels below.
	need := int(math.Ceil(2*r)) + 2
	// The smallest square leaves the most beyond the photo when the heads
	// sit at its edge: a row of heads along the top leaves the circle's
	// upper half empty. A larger square, centred lower, leaves less.
	sides := []int{max(side, need)}
	if need < side {
		sides = append(sides, need)
	}
	for k := 1; k <= padSteps; k++ {
		sides = append(sides, int(float64(max(side, need))*(1+float64(k)*(padGrowth-1)/padSteps)))
	}
	for _, s := range sides {
		sq, ok := placePadded(bounds, pts, c, s, wx, wy)
		if ok && padShare(sq, bounds) <= maxPadShare {
			return sq, true
		}
	}
	return image.Rectangle{}, false
}

// placePadded places a square of side s whose circle holds pts, starting
// from c, the centre of the smallest circle that holds them, and moving
// towards the wanted centre (wx, wy) brought inside the photo as far as the
// side allows, for as long as the circle still holds every point. The
// centres whose circle holds every point form a convex set, so the points
// of that line that are allowed form one segment from c.
func placePadded(bounds image.Rectangle, pts []pointF, c pointF, s int, wx, wy float64) (image.Rectangle, bool) {
	r := float64(s) / 2
	to := pointF{intoSpan(wx, r, bounds.Min.X, bounds.Max.X), intoSpan(wy, r, bounds.Min.Y, bounds.Max.Y)}
	holdsAt := func(p pointF) bool {
		for _, q := range pts {
			if math.Hypot(q.x-p.x, q.y-p.y) > r-1 {
				return false
			}
		}
		return true
	}
	if !holdsAt(c) {
		return image.Rectangle{}, false
	}
	lo, hi := 0.0, 1.0
	if holdsAt(to) {
		lo = 1
	}
	for range 24 {
		if lo == 1 {
			break
		}
		t := (lo + hi) / 2
		if holdsAt(pointF{c.x + t*(to.x-c.x), c.y + t*(to.y-c.y)}) {
			lo = t
		} else {
			hi = t
		}
	}
	p := pointF{c.x + lo*(to.x-c.x), c.y + lo*(to.y-c.y)}
	x0, y0 := int(math.Round(p.x-r)), int(math.Round(p.y-r))
	return image.Rect(x0, y0, x0+s, y0+s), true
}

// intoSpan moves the centre v of a span of half-width r as little as needed
// to lie within [lo, hi), or centres it there when it is wider.
func intoSpan(v, r float64, lo, hi int) float64 {
	if 2*r >= float64(hi-lo) {
		return float64(lo+hi) / 2
	}
	return min(max(v, float64(lo)+r), float64(hi)-r)
}

// padShare is the share of sq's area that lies beyond bounds.
func padShare(sq, bounds image.Rectangle) float64 {
	in := sq.Intersect(bounds)
	return 1 - float64(in.Dx())*float64(in.Dy())/(float64(sq.Dx())*float64(sq.Dy()))
}

type pointF struct{ x, y float64 }

// headOutline returns points around the ellipse inscribed in head, grown
// by margin (a share of its height): the outline the circle must hold.
// Points beyond the photo's edge are brought onto it, so that a head the
// edge cuts is held up to the edge, and no further.
func headOutline(head, bounds image.Rectangle, margin float64) []pointF {
	if head.Empty() {
		return nil
	}
	m := margin * float64(head.Dy())
	hx, hy := float64(head.Min.X+head.Max.X)/2, float64(head.Min.Y+head.Max.Y)/2
	ax, ay := float64(head.Dx())/2+m, float64(head.Dy())/2+m
	pts := make([]pointF, 0, 32)
	for i := range 32 {
		sin, cos := math.Sincos(float64(i) * math.Pi / 16)
		x := min(max(hx+ax*cos, float64(bounds.Min.X)), float64(bounds.Max.X))
		y := min(max(hy+ay*sin, float64(bounds.Min.Y)), float64(bounds.Max.Y))
		pts = append(pts, pointF{x, y})
	}
	return pts
}

// enclosingCircle returns the smallest circle holding every point, by
// Welzl's algorithm in its iterative form: expected linear time on points
// in random order, so they are shuffled first, by a fixed seed so that a
// photo always gets the same crop.
func enclosingCircle(pts []pointF) (pointF, float64) {
	p := append([]pointF(nil), pts...)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	const slack = 1e-7
	in := func(c pointF, r float64, q pointF) bool { return math.Hypot(q.x-c.x, q.y-c.y) <= r*(1+slack)+slack }
	c, r := p[0], 0.0
	for i := 1; i < len(p); i++ {
		if in(c, r, p[i]) {
			continue
		}
		c, r = p[i], 0
		for j := range i {
			if in(c, r, p[j]) {
				continue
			}
			c, r = mid(p[i], p[j])
			for k := range j {
				if !in(c, r, p[k]) {
					c, r = circumcircle(p[i], p[j], p[k])
				}
			}
		}
	}
	return c, r
}

func mid(a, b pointF) (pointF, float64) {
	return pointF{(a.x + b.x) / 2, (a.y + b.y) / 2}, math.Hypot(a.x-b.x, a.y-b.y) / 2
}

// circumcircle returns the circle through a, b and c, or, when they lie on
// a line, the smallest circle holding the two farthest apart.
func circumcircle(a, b, c pointF) (pointF, float64) {
	bx, by := b.x-a.x, b.y-a.y
	cx, cy := c.x-a.x, c.y-a.y
	d := 2 * (bx*cy - by*cx)
	if math.Abs(d) < 1e-12 {
		best, r := mid(a, b)
		for _, pr := range [][2]pointF{{a, c}, {b, c}} {
			if m, rr := mid(pr[0], pr[1]); rr > r {
				best, r = m, rr
			}
		}
		return best, r
	}
	b2, c2 := bx*bx+by*by, cx*cx+cy*cy
	ux := (cy*b2 - by*c2) / d
	uy := (bx*c2 - cx*b2) / d
	return pointF{a.x + ux, a.y + uy}, math.Hypot(ux, uy)
}
