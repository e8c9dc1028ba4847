package imaging

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A haarCascade is a boosted cascade of Haar-like features in the format
// OpenCV's traincascade writes (stageType BOOST, featureType HAAR). OpenCV's
// own detector needs cgo and the whole library, and no Go module reads
// these files, so the evaluator is written here; it computes what OpenCV's
// CascadeClassifier computes, feature for feature, so that the cascades'
// thresholds, trained on OpenCV's arithmetic, keep their meaning.
type haarCascade struct {
	win      image.Point // window the features are laid out in
	stages   []haarStage
	weak     []haarWeak
	nodes    []haarNode
	features []haarFeature
}

type haarStage struct {
	threshold   float32
	first, last int // weak classifiers [first, last)
}

// A haarWeak is a small decision tree, whose nodes start at nodes[root].
type haarWeak struct {
	root int
}

// A haarNode compares a feature with threshold and goes left when below.
// left and right index the weak classifier's nodes when positive and its
// leaves, negated, otherwise, as OpenCV stores them.
type haarNode struct {
	feature     int
	threshold   float32
	left, right int
	// leafLeft and leafRight are the values of the leaves left and right
	// point to, when they point to leaves.
	leafLeft, leafRight float32
}

type haarFeature struct {
	rects [3]haarRect
	n     int
}

// A haarRect is one rectangle of a feature, with its weight: a whole
// number, as in every Haar cascade OpenCV ships (-1, 2 or 3), so that a
// feature sums in integers.
type haarRect struct {
	x, y, w, h int
	weight     int32
}

// parseHaarCascade reads a cascade in OpenCV's XML format. Only upright
// (untilted) Haar features are supported, which is all the cascades used
// here have.
func parseHaarCascade(data []byte) (*haarCascade, error) {
	var doc struct {
		Cascade struct {
			StageType   string `xml:"stageType"`
			FeatureType string `xml:"featureType"`
			Height      int    `xml:"height"`
			Width       int    `xml:"width"`
			Stages      []struct {
				Threshold string `xml:"stageThreshold"`
				Weak      []struct {
					Nodes  string `xml:"internalNodes"`
					Leaves string `xml:"leafValues"`
				} `xml:"weakClassifiers>_"`
			} `xml:"stages>_"`
			Features []struct {
				Rects  []string `xml:"rects>_"`
				Tilted int      `xml:"tilted"`
			} `xml:"features>_"`
		} `xml:"cascade"`
	}
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("haar cascade: %w", err)
	}
	c := doc.Cascade
	if c.StageType != "BOOST" || c.FeatureType != "HAAR" {
		return nil, fmt.Errorf("haar cascade: stage type %q and feature type %q, want BOOST and HAAR", c.StageType, c.FeatureType)
	}
	if c.Width < 4 || c.Height < 4 || len(c.Stages) == 0 {
		return nil, fmt.Errorf("haar cascade: %dx%d window with %d stages", c.Width, c.Height, len(c.Stages))
	}
	h := &haarCascade{win: image.Pt(c.Width, c.Height)}
	for _, f := range c.Features {
		if f.Tilted != 0 {
			return nil, fmt.Errorf("haar cascade: tilted features are not supported")
		}
		if len(f.Rects) < 2 || len(f.Rects) > 3 {
			return nil, fmt.Errorf("haar cascade: a feature of %d rectangles", len(f.Rects))
		}
		var hf haarFeature
		for i, r := range f.Rects {
			v, err := floats(r, 5)
			if err != nil {
				return nil, fmt.Errorf("haar cascade: feature rectangle: %w", err)
			}
			x, y, w, ht := int(v[0]), int(v[1]), int(v[2]), int(v[3])
			if x < 0 || y < 0 || w <= 0 || ht <= 0 || x+w > c.Width || y+ht > c.Height {
				return nil, fmt.Errorf("haar cascade: feature rectangle %q outside the %dx%d window", r, c.Width, c.Height)
			}
			if v[4] != math.Trunc(v[4]) || math.Abs(v[4]) > 64 {
				return nil, fmt.Errorf("haar cascade: feature rectangle %q weighs %v, not a small whole number", r, v[4])
			}
			hf.rects[i] = haarRect{x, y, w, ht, int32(v[4])}
		}
		hf.n = len(f.Rects)
		h.features = append(h.features, hf)
	}
	for _, s := range c.Stages {
		t, err := strconv.ParseFloat(strings.TrimSpace(s.Threshold), 32)
		if err != nil {
			return nil, fmt.Errorf("haar cascade: stage threshold: %w", err)
		}
		st := haarStage{threshold: float32(t), first: len(h.weak)}
		for _, w := range s.Weak {
			nv, err := floats(w.Nodes, -4)
			if err != nil {
				return nil, fmt.Errorf("haar cascade: nodes: %w", err)
			}
			lv, err := floats(w.Leaves, -1)
			if err != nil {
				return nil, fmt.Errorf("haar cascade: leaves: %w", err)
			}
			nn := len(nv) / 4
			if nn == 0 || len(lv) != nn+1 {
				return nil, fmt.Errorf("haar cascade: a tree of %d nodes and %d leaves", nn, len(lv))
			}
			wk := haarWeak{root: len(h.nodes)}
			for i := range nn {
				n := haarNode{left: int(nv[4*i]), right: int(nv[4*i+1]), feature: int(nv[4*i+2]), threshold: float32(nv[4*i+3])}
				if n.feature < 0 || n.feature >= len(h.features) {
					return nil, fmt.Errorf("haar cascade: node uses feature %d of %d", n.feature, len(h.features))
				}
				for _, child := range []int{n.left, n.right} {
					// Children lie further down the tree, so that
					// evaluation always ends.
					if child > 0 && (child <= i || child >= nn) || child <= 0 && -child >= len(lv) {
						return nil, fmt.Errorf("haar cascade: node %d of a tree points to %d", i, child)
					}
				}
				if n.left <= 0 {
					n.leafLeft = float32(lv[-n.left])
				}
				if n.right <= 0 {
					n.leafRight = float32(lv[-n.right])
				}
				h.nodes = append(h.nodes, n)
			}
			h.weak = append(h.weak, wk)
		}
		st.last = len(h.weak)
		h.stages = append(h.stages, st)
	}
	return h, nil
}

// floats parses the space-separated numbers of s: exactly n of them, or a
// multiple of -n when n is negative.
func floats(s string, n int) ([]float64, error) {
	f := strings.Fields(s)
	if n > 0 && len(f) != n || n < 0 && len(f)%-n != 0 {
		return nil, fmt.Errorf("%d numbers in %q", len(f), s)
	}
	out := make([]float64, len(f))
	for i, v := range f {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// integral holds the summed-area tables of a grayscale image: sum[y*stride+x]
// is the sum of the pixels above and left of (x, y), with a zero first row
// and column.
type integral struct {
	stride int
	sum    []int32
	sq     []float64
}

// fill makes it the tables of g, reusing its memory where it is large
// enough: the search fills one set of tables per size.
func (it *integral) fill(g *image.Gray) {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	n := (w + 1) * (h + 1)
	it.stride = w + 1
	it.sum = slices.Grow(it.sum[:0], n)[:n]
	it.sq = slices.Grow(it.sq[:0], n)[:n]
	clear(it.sum[:w+1])
	clear(it.sq[:w+1])
	for y := range h {
		row := g.Pix[y*g.Stride:][:w]
		var rs int32
		var rq float64
		above, cur := it.sum[y*it.stride:], it.sum[(y+1)*it.stride:]
		aboveq, curq := it.sq[y*it.stride:], it.sq[(y+1)*it.stride:]
		cur[0], curq[0] = 0, 0
		for x, p := range row {
			rs += int32(p)
			rq += float64(p) * float64(p)
			cur[x+1] = above[x+1] + rs
			curq[x+1] = aboveq[x+1] + rq
		}
	}
}

// A haarHit is a window the whole cascade accepted, in the searched image's
// pixels.
type haarHit struct {
	r image.Rectangle
}

// A haarSearch says which windows a search tries: square windows from
// minSize to maxSize pixels, each size scale times the last, stepping 2
// pixels at a time in the image shrunk for the size, or 1 pixel once the
// image is shrunk to under half when fine is set, as OpenCV's
// detectMultiScale does.
type haarSearch struct {
	minSize, maxSize int
	scale            float64
	fine             bool
	dense            bool // step 1 pixel at every size
}

// haarDetect slides each cascade over g, sharing the shrunk images and
// their summed-area tables, and returns each cascade's hits in g's pixels.
// Like OpenCV, it shrinks the image for each size rather than grow the
// features, so the cascades see the pixels they were trained on.
func haarDetect(g *image.Gray, cs []*haarCascade, p haarSearch) [][]haarHit {
	b := g.Bounds()
	hits := make([][]haarHit, len(cs))
	ops := make([][]haarOp, len(cs))
	// One image and one set of tables, filled anew for each size.
	var shrunk []byte
	it := &integral{}
	// The sizes stop when the largest window no longer fits; the positions
	// run as far as the smallest one fits.
	win, least := cs[0].win, cs[0].win
	for _, c := range cs[1:] {
		win.X, win.Y = max(win.X, c.win.X), max(win.Y, c.win.Y)
		least.X, least.Y = min(least.X, c.win.X), min(least.Y, c.win.Y)
	}
	for f := 1.0; ; f *= p.scale {
		sw, sh := int(math.Round(float64(b.Dx())/f)), int(math.Round(float64(b.Dy())/f))
		if sw < win.X || sh < win.Y || float64(win.X)*f > float64(p.maxSize) {
			break
		}
		if float64(win.X)*f < float64(p.minSize) {
			continue
		}
		small := g
		if f != 1 {
			small = resizeGrayInto(shrunk, g, sw, sh)
			shrunk = small.Pix
		}
		it.fill(small)
		step := 2
		if p.fine && f > 2 || p.dense {
			step = 1
		}
		for i, c := range cs {
			ops[i] = c.compile(ops[i], it.stride)
		}
		// Position by position, the cascades share the window's
		// normalisation where their windows are the same size.
		for y := 0; y <= sh-least.Y; y += step {
			for x := 0; x <= sw-least.X; x += step {
				o := y*it.stride + x
				var normWin image.Point
				var norm float32
				var flat bool
				for i, c := range cs {
					if x > sw-c.win.X || y > sh-c.win.Y {
						continue
					}
					if c.win != normWin {
						n, ok := windowNorm(it, o, c.win.X, c.win.Y)
						normWin, norm, flat = c.win, n, !ok
					}
					if flat {
						continue
					}
					if c.eval(it, ops[i], o, norm) {
						ww, wh := int(math.Round(float64(c.win.X)*f)), int(math.Round(float64(c.win.Y)*f))
						x0, y0 := int(math.Round(float64(x)*f)), int(math.Round(float64(y)*f))
						hits[i] = append(hits[i], haarHit{r: image.Rect(x0, y0, x0+ww, y0+wh).Add(b.Min)})
					}
				}
			}
		}
	}
	return hits
}

// mirrored returns the cascade for the mirror image of what c finds: a
// profile cascade trained on faces turned one way finds faces turned the
// other way, without mirroring the photo.
func (c *haarCascade) mirrored() *haarCascade {
	m := *c
	m.features = slices.Clone(c.features)
	for i := range m.features {
		f := &m.features[i]
		for j := range f.n {
			f.rects[j].x = c.win.X - f.rects[j].x - f.rects[j].w
		}
	}
	return &m
}

// A haarOp is a node compiled for one summed-area table: its feature's
// rectangles as offsets of their corners from the window's top-left
// corner, so that the inner loop reads nothing else.
type haarOp struct {
	o                   [3][4]int32
	w                   [3]int32
	threshold           float32
	left, right         int32
	leafLeft, leafRight float32
}

// compile resolves every node's feature for a summed-area table of the given
// stride into ops, which it returns grown as needed.
func (c *haarCascade) compile(ops []haarOp, stride int) []haarOp {
	ops = slices.Grow(ops[:0], len(c.nodes))[:len(c.nodes)]
	for i, n := range c.nodes {
		f := &c.features[n.feature]
		op := haarOp{threshold: n.threshold, left: int32(n.left), right: int32(n.right), leafLeft: n.leafLeft, leafRight: n.leafRight}
		for j := range f.n {
			r := f.rects[j]
			op.o[j] = [4]int32{
				int32(r.y*stride + r.x), int32(r.y*stride + r.x + r.w),
				int32((r.y+r.h)*stride + r.x), int32((r.y+r.h)*stride + r.x + r.w),
			}
			op.w[j] = r.weight
		}
		ops[i] = op
	}
	return ops
}

// windowNorm returns the standard deviation of the pixels of the w×h
// window at offset o of the summed-area table, one pixel in from each side,
// times their count: OpenCV divides feature values by it. ok is false for a
// window whose deviation is 10 grey levels or less, which OpenCV takes for
// no face.
func windowNorm(it *integral, o, w, h int) (norm float32, ok bool) {
	s := it.stride
	nw, nh := w-2, h-2
	a, bb, cc, d := o+s+1, o+s+1+nw, o+(1+nh)*s+1, o+(1+nh)*s+1+nw
	sum := float64(it.sum[d] - it.sum[bb] - it.sum[cc] + it.sum[a])
	sq := it.sq[d] - it.sq[bb] - it.sq[cc] + it.sq[a]
	area := float64(nw * nh)
	nf := area*sq - sum*sum
	if nf <= 0 {
		return 0, false
	}
	nf = math.Sqrt(nf)
	return float32(nf), area/nf < 0.1
}

// eval runs the cascade on the window whose top-left corner is at offset o
// of the summed-area table, whose nodes ops holds, norm being the window's
// windowNorm. The thresholds are compared with the unnormalised feature
// values times norm, which spares a division a node.
func (c *haarCascade) eval(it *integral, ops []haarOp, o int, norm float32) bool {
	win := it.sum[o:]
	for _, st := range c.stages {
		var total float32
		for _, wk := range c.weak[st.first:st.last] {
			op := &ops[wk.root]
			for {
				v := op.w[0]*(win[op.o[0][3]]-win[op.o[0][1]]-win[op.o[0][2]]+win[op.o[0][0]]) +
					op.w[1]*(win[op.o[1][3]]-win[op.o[1][1]]-win[op.o[1][2]]+win[op.o[1][0]])
				if op.w[2] != 0 {
					v += op.w[2] * (win[op.o[2][3]] - win[op.o[2][1]] - win[op.o[2][2]] + win[op.o[2][0]])
				}
				next, leaf := op.right, op.leafRight
				if float32(v) < op.threshold*norm {
					next, leaf = op.left, op.leafLeft
				}
				if next <= 0 {
					total += leaf
					break
				}
				op = &ops[wk.root+int(next)]
			}
		}
		if total < st.threshold {
			return false
		}
	}
	return true
}

// resizeGrayBilinear scales g to w×h by bilinear interpolation with pixel
// centres aligned, as OpenCV shrinks images for its detection pyramid; in
// floating point where OpenCV rounds to fixed point, so now and then a
// pixel differs by one level.
func resizeGrayBilinear(g *image.Gray, w, h int) *image.Gray {
	return resizeGrayInto(nil, g, w, h)
}

// resizeGrayInto is resizeGrayBilinear writing into buf when it is large
// enough.
func resizeGrayInto(buf []byte, g *image.Gray, w, h int) *image.Gray {
	b := g.Bounds()
	sw, sh := b.Dx(), b.Dy()
	out := &image.Gray{Pix: slices.Grow(buf[:0], w*h)[:w*h], Stride: w, Rect: image.Rect(0, 0, w, h)}
	xs := make([]int, w)
	xw := make([]float32, w)
	for x := range w {
		xs[x], xw[x] = bilinearTap(x, float64(sw)/float64(w), sw)
	}
	for y := range h {
		y0, t := bilinearTap(y, float64(sh)/float64(h), sh)
		y1 := min(y0+1, sh-1)
		r0 := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y0):][:sw]
		r1 := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y1):][:sw]
		row := out.Pix[y*out.Stride:][:w]
		for x := range row {
			x0, u := xs[x], xw[x]
			x1 := min(x0+1, sw-1)
			top := float32(r0[x0])*(1-u) + float32(r0[x1])*u
			bot := float32(r1[x0])*(1-u) + float32(r1[x1])*u
			row[x] = uint8(top*(1-t) + bot*t + 0.5)
		}
	}
	return out
}

// bilinearTap returns the first of the two source pixels that output pixel
// i reads, n source pixels to f output ones, and the weight of the second,
// pixel centres aligned and the edges clamped.
func bilinearTap(i int, f float64, n int) (int, float32) {
	s := (float64(i)+0.5)*f - 0.5
	i0 := int(math.Floor(s))
	t := float32(s - float64(i0))
	if i0 < 0 {
		return 0, 0
	}
	if i0 >= n-1 {
		return n - 1, 0
	}
	return i0, t
}

// A haarGroup is a cluster of hits on one object: their mean rectangle, how
// many hits it holds (OpenCV's "neighbours").
type haarGroup struct {
	r image.Rectangle
	n int
}

// groupHits clusters hits as OpenCV's groupRectangles does with eps 0.2:
// two hits are one object when each side lies within a fifth of their
// mean size of the other's. Groups of minNeighbors hits or fewer are
// dropped, as are groups lying inside a better-supported group.
func groupHits(hits []haarHit, minNeighbors int) []haarGroup {
	const eps = 0.2
	similar := func(a, b image.Rectangle) bool {
		delta := eps * float64(min(a.Dx(), b.Dx())+min(a.Dy(), b.Dy())) * 0.5
		return math.Abs(float64(a.Min.X-b.Min.X)) <= delta && math.Abs(float64(a.Min.Y-b.Min.Y)) <= delta &&
			math.Abs(float64(a.Max.X-b.Max.X)) <= delta && math.Abs(float64(a.Max.Y-b.Max.Y)) <= delta
	}
	// Union-find over the similarity relation, as cv::partition does.
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	root := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range hits {
		for j := i + 1; j < len(hits); j++ {
			if similar(hits[i].r, hits[j].r) {
				parent[root(i)] = root(j)
			}
		}
	}
	// Each group is the mean of its rectangles' corners and sizes, as
	// OpenCV averages them.
	type acc struct {
		x, y, w, h int
		n          int
	}
	accs := map[int]*acc{}
	var order []int
	for i, h := range hits {
		k := root(i)
		a := accs[k]
		if a == nil {
			a = &acc{}
			accs[k] = a
			order = append(order, k)
		}
		a.x += h.r.Min.X
		a.y += h.r.Min.Y
		a.w += h.r.Dx()
		a.h += h.r.Dy()
		a.n++
	}
	var groups []haarGroup
	for _, k := range order {
		a := accs[k]
		if a.n <= minNeighbors {
			continue
		}
		mean := func(v int) int { return int(math.RoundToEven(float64(v) / float64(a.n))) }
		x, y := mean(a.x), mean(a.y)
		groups = append(groups, haarGroup{r: image.Rect(x, y, x+mean(a.w), y+mean(a.h)), n: a.n})
	}
	// Drop a group inside another that more hits support, as OpenCV does.
	var out []haarGroup
	for _, g := range groups {
		inside := slices.ContainsFunc(groups, func(o haarGroup) bool {
			if o == g || !(o.n > max(3, g.n) || g.n < 3) {
				return false
			}
			dx, dy := int(math.Round(float64(o.r.Dx())*eps)), int(math.Round(float64(o.r.Dy())*eps))
			return g.r.Min.X >= o.r.Min.X-dx && g.r.Min.Y >= o.r.Min.Y-dy &&
				g.r.Max.X <= o.r.Max.X+dx && g.r.Max.Y <= o.r.Max.Y+dy
		})
		if !inside {
			out = append(out, g)
		}
	}
	return out
}
