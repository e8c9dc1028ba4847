package imaging

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	pigo "github.com/esimov/pigo/core"
)

// picoCascade is pigo's face cascade (the pico format: trees of pixel
// comparisons), scanned as pigo's RunCascade scans it with no rotation,
// with the same detections bit for bit, in some half the time.
//
// pigo computes each comparison's two pixel addresses from the window's
// position and size, four multiplications a node; a window's scale being
// fixed for a whole pass, picoCascade computes every node's two offsets
// once a scale, and a window's comparisons are then two loads each. The
// scan is most of the face detector's time, so it is written here.
type picoCascade struct {
	depth int       // of every tree
	nodes int       // 1<<depth: a tree's nodes (node 0 unused), and its leaves
	trees int       // in the cascade
	codes []int8    // 4 a node: row and column of one pixel, then the other's, in 256ths of the window
	pred  []float32 // nodes leaves a tree
	thr   []float32 // a tree's threshold on the running sum
}

// parsePico reads a cascade in pico's binary format, as pigo's Unpack
// does: 8 bytes skipped, the trees' depth and their number, then for each
// tree its inner nodes' codes, its leaves and its threshold, little-endian.
func parsePico(b []byte) (*picoCascade, error) {
	if len(b) < 16 {
		return nil, errors.New("pico cascade: shorter than its header")
	}
	depth, trees := binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint32(b[12:])
	if depth < 1 || depth > 16 || trees < 1 || trees > 1<<16 {
		return nil, fmt.Errorf("pico cascade: %d trees of depth %d", trees, depth)
	}
	c := &picoCascade{depth: int(depth), nodes: 1 << depth, trees: int(trees)}
	per := 4*(c.nodes-1) + 4*c.nodes + 4
	if len(b) != 16+c.trees*per {
		return nil, fmt.Errorf("pico cascade: %d bytes, want %d for %d trees of depth %d", len(b), 16+c.trees*per, trees, depth)
	}
	c.codes = make([]int8, 0, 4*c.nodes*c.trees)
	c.pred = make([]float32, 0, c.nodes*c.trees)
	c.thr = make([]float32, 0, c.trees)
	pos := 16
	for range c.trees {
		c.codes = append(c.codes, 0, 0, 0, 0)
		for _, v := range b[pos : pos+4*(c.nodes-1)] {
			c.codes = append(c.codes, int8(v))
		}
		pos += 4 * (c.nodes - 1)
		for range c.nodes {
			c.pred = append(c.pred, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
			pos += 4
		}
		c.thr = append(c.thr, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
		pos += 4
	}
	return c, nil
}

// scan returns the windows of p's image that the cascade accepts, as
// pigo's RunCascade(p, 0) does: every scale from p.MinSize to p.MaxSize,
// every step of p.ShiftFactor times the scale, windows kept whose score is
// positive, in the same order and with the same scores.
func (c *picoCascade) scan(p pigo.CascadeParams) []pigo.Detection {
	var out []pigo.Detection
	pix, dim := p.Pixels, p.Dim
	w := picoScratch.Get().(*picoWork)
	defer picoScratch.Put(w)
	o := &w.offsets
	if o.c != c {
		*o = picoOffsets{c: c, off: make([]int32, 2*c.nodes*c.trees), scale: make([]int, c.trees), per: make([][]int32, c.trees)}
		for t := range o.per {
			o.per[t] = o.off[2*c.nodes*t:][:2*c.nodes]
		}
	}
	o.dim = dim
	for t := range o.scale {
		o.scale[t] = -1
	}
	at, q := w.at, w.q // the windows of a scale, by their centres, and their scores
	defer func() { w.at, w.q = at, q }()
	for scale := p.MinSize; scale <= p.MaxSize; {
		o.at = scale
		step := int(math.Max(p.ShiftFactor*float64(scale), 1))
		edge := scale/2 + 1
		at = at[:0]
		for row := edge; row <= p.Rows-edge; row += step {
			for col := edge; col <= p.Cols-edge; col += step {
				at = append(at, int32(row*dim+col))
			}
		}
		q = slices.Grow(q[:0], len(at))[:len(at)]
		c.scores(pix, at, o, q)
		for i, a := range at {
			if q[i] > 0 {
				// A row is dim pixels long and the windows lie within
				// its first p.Cols.
				out = append(out, pigo.Detection{Row: int(a) / dim, Col: int(a) % dim, Scale: scale, Q: q[i]})
			}
		}
		scale = int(float64(scale) + math.Max(2, float64(scale)*p.ScaleFactor-float64(scale)))
	}
	return out
}

// picoWork is what a scan works in, kept for the next: the detector scans
// several times a photo (and once more for each weak face's mirror check),
// and the offsets alone take 240 KB.
type picoWork struct {
	offsets picoOffsets
	at      []int32
	q       []float32
}

var picoScratch = sync.Pool{New: func() any { return new(picoWork) }}

// picoOffsets holds, for the scale at, the offsets from a window's
// centre of both pixels of each node: computed a tree at a time, when a
// window first reaches it at that scale, since most windows end within a
// few of the cascade's trees.
type picoOffsets struct {
	c     *picoCascade
	dim   int       // the image's stride
	at    int       // the scale being scanned
	off   []int32   // two a node
	per   [][]int32 // off, a tree's part each
	scale []int     // the scale each tree's offsets are for, -1 for none
}

// tree returns the offsets of tree t's nodes at the current scale.
func (o *picoOffsets) tree(t int) []int32 {
	if o.scale[t] != o.at {
		o.fill(t)
	}
	return o.per[t]
}

// fill computes the offsets of tree t's nodes at the current scale.
func (o *picoOffsets) fill(t int) {
	o.scale[t] = o.at
	n := o.c.nodes
	codes := o.c.codes[4*n*t:][:4*n]
	off := o.per[t]
	for i := range n {
		// (256·row + v) >> 8 is row + (v >> 8): the window's position
		// comes out of pigo's address arithmetic.
		code := codes[4*i:][:4]
		off[2*i] = int32((int(code[0])*o.at>>8)*o.dim + int(code[1])*o.at>>8)
		off[2*i+1] = int32((int(code[2])*o.at>>8)*o.dim + int(code[3])*o.at>>8)
	}
}

// picoLanes is how many windows scores evaluates at once; its loop is
// written out for four.
const picoLanes = 4

// scores sets q[i] to the cascade's score of the window whose centre is
// pix[at[i]], its nodes' pixels at the offsets o gives: what pigo's
// classifyRegion returns, summed in the same order.
//
// A tree is a chain of dependent loads, each node's pixels found from the
// last node's outcome, and most windows end within a few trees. So the
// windows are evaluated picoLanes at a time, a tree of each in turn, and
// a lane whose window ends takes the next: the processor then overlaps the
// lanes' chains, which one window's trees leave it idle waiting for.
func (c *picoCascade) scores(pix []uint8, at []int32, o *picoOffsets, q []float32) {
	var (
		win  [picoLanes]int // the window each lane evaluates, or -1
		tree [picoLanes]int
		sum  [picoLanes]float32
		base [picoLanes]int
	)
	next, busy := 0, 0
	for k := range picoLanes {
		win[k] = -1
		if next < len(at) {
			win[k], base[k] = next, int(at[next])
			next++
			busy++
		} else if len(at) > 0 {
			base[k] = int(at[0]) // idle, reading a window that exists
		}
	}
	for busy > 0 {
		o0, o1, o2, o3 := o.tree(tree[0]), o.tree(tree[1]), o.tree(tree[2]), o.tree(tree[3])
		b0, b1, b2, b3 := base[0], base[1], base[2], base[3]
		i0, i1, i2, i3 := 1, 1, 1, 1
		for range c.depth {
			// Right when the first pixel is no brighter than the
			// second, without a branch: the comparisons go either
			// way at random.
			d0 := int(pix[b0+int(o0[2*i0+1])]) - int(pix[b0+int(o0[2*i0])])
			d1 := int(pix[b1+int(o1[2*i1+1])]) - int(pix[b1+int(o1[2*i1])])
			d2 := int(pix[b2+int(o2[2*i2+1])]) - int(pix[b2+int(o2[2*i2])])
			d3 := int(pix[b3+int(o3[2*i3+1])]) - int(pix[b3+int(o3[2*i3])])
			i0 = 2*i0 + 1 - int(uint(d0)>>63)
			i1 = 2*i1 + 1 - int(uint(d1)>>63)
			i2 = 2*i2 + 1 - int(uint(d2)>>63)
			i3 = 2*i3 + 1 - int(uint(d3)>>63)
		}
		leaf := [picoLanes]int{i0, i1, i2, i3}
		for k := range picoLanes {
			if win[k] < 0 {
				continue
			}
			t := tree[k]
			sum[k] += c.pred[c.nodes*t+leaf[k]-c.nodes]
			done := true
			switch {
			case sum[k] <= c.thr[t]:
				q[win[k]] = -1
			case t == c.trees-1:
				q[win[k]] = sum[k] - c.thr[t]
			default:
				tree[k]++
				done = false
			}
			if !done {
				continue
			}
			tree[k], sum[k] = 0, 0
			if next < len(at) {
				win[k], base[k] = next, int(at[next])
				next++
			} else {
				win[k] = -1
				busy--
			}
		}
	}
}
