package imaging

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// The tiny face detector of face-api.js: a convolutional network in the
// Tiny YOLO v2 style, with depthwise separable convolutions, trained on
// faces of every pose. See model/README.md. No Go module runs such a network
// without cgo, and this one is seven layers, so it is evaluated here, layer
// by layer as face-api.js's TensorFlow.js graph computes it; its float32
// sums differ from TensorFlow.js's in the last bits only.
var (
	//go:embed model/tiny_face_detector_model-weights_manifest.json
	tinyFaceManifest []byte
	//go:embed model/tiny_face_detector_model.bin
	tinyFaceWeights []byte
)

// tinyFaceNet is loaded once per process and read-only after.
var tinyFaceNet = sync.OnceValues(func() (*tinyNet, error) {
	return parseTinyNet(tinyFaceManifest, tinyFaceWeights)
})

// The network's fixed parts, from face-api.js's tinyFaceDetector/const.ts:
// the mean subtracted from each input channel, and the five anchor boxes,
// in cells of 32 input pixels, whose sizes each cell's boxes scale.
var (
	tinyMeanRGB = [3]float32{117.001, 114.697, 97.404}
	tinyAnchors = [5][2]float32{
		{1.603231, 2.094468},
		{6.041143, 7.080126},
		{2.882459, 3.518061},
		{4.266906, 5.178857},
		{9.041765, 10.66308},
	}
)

// tinyStride is the input pixels per output cell: five 2×2 poolings.
const tinyStride = 32

// tinyLayer is one convolution of the network. The first is a full 3×3
// convolution (filter laid out [ky][kx][in][out]); the middle ones are
// separable: a 3×3 depthwise filter ([ky][kx][channel]) then a pointwise
// one ([in][out]); the last is a pointwise one alone.
type tinyLayer struct {
	in, out   int
	full      []float32
	depthwise []float32
	pointwise []float32
	bias      []float32
	// gemm is the full or pointwise filter and the bias, packed for gemm.
	gemm gemmWeights
}

// pack packs the layer's full or pointwise filter and bias for gemm.
func (l *tinyLayer) pack() {
	if l.full != nil {
		l.gemm = packGEMM(l.full, l.bias, 9*l.in, l.out)
	} else {
		l.gemm = packGEMM(l.pointwise, l.bias, l.in, l.out)
	}
}

type tinyNet struct {
	layers []tinyLayer
}

// manifest is TensorFlow.js's weights manifest: groups of tensors stored
// one after the other, each quantized to bytes as q·scale + min.
type manifest []struct {
	Paths   []string `json:"paths"`
	Weights []struct {
		Name         string `json:"name"`
		Shape        []int  `json:"shape"`
		DType        string `json:"dtype"`
		Quantization *struct {
			DType string  `json:"dtype"`
			Scale float64 `json:"scale"`
			Min   float64 `json:"min"`
		} `json:"quantization"`
	} `json:"weights"`
}

// parseTinyNet reads the manifest and the weights file it describes,
// checking that every tensor the network needs is there with its shape.
func parseTinyNet(manifestJSON, data []byte) (*tinyNet, error) {
	var m manifest
	if err := json.Unmarshal(manifestJSON, &m); err != nil {
		return nil, fmt.Errorf("tiny face detector: manifest: %w", err)
	}
	tensors := map[string][]float32{}
	shapes := map[string][]int{}
	off := 0
	for _, g := range m {
		for _, w := range g.Weights {
			n := 1
			for _, d := range w.Shape {
				if d <= 0 {
					return nil, fmt.Errorf("tiny face detector: %s: bad shape %v", w.Name, w.Shape)
				}
				n *= d
			}
			if w.DType != "float32" || w.Quantization == nil || w.Quantization.DType != "uint8" {
				return nil, fmt.Errorf("tiny face detector: %s: only uint8-quantized float32 tensors are read", w.Name)
			}
			if off+n > len(data) {
				return nil, fmt.Errorf("tiny face detector: %s: weights file ends at byte %d, tensor needs %d more", w.Name, len(data), off+n-len(data))
			}
			// As TensorFlow.js does: q·scale + min in float64, stored
			// as float32. Summing in float32 would move most weights by
			// an ulp.
			scale, lo := w.Quantization.Scale, w.Quantization.Min
			v := make([]float32, n)
			for i, q := range data[off : off+n] {
				v[i] = float32(float64(q)*scale + lo)
			}
			off += n
			tensors[w.Name] = v
			shapes[w.Name] = w.Shape
		}
	}
	if off != len(data) {
		return nil, fmt.Errorf("tiny face detector: %d bytes of weights left over", len(data)-off)
	}
	get := func(name string, shape ...int) ([]float32, error) {
		if !slices.Equal(shapes[name], shape) {
			return nil, fmt.Errorf("tiny face detector: %s: shape %v, want %v", name, shapes[name], shape)
		}
		return tensors[name], nil
	}
	sizes := []int{3, 16, 32, 64, 128, 256, 512}
	net := &tinyNet{}
	var errs []error
	for i := range 6 {
		in, out := sizes[i], sizes[i+1]
		l := tinyLayer{in: in, out: out}
		var err error
		p := fmt.Sprintf("conv%d/", i)
		if i == 0 {
			l.full, err = get(p+"filters", 3, 3, in, out)
		} else {
			var e2 error
			l.depthwise, err = get(p+"depthwise_filter", 3, 3, in, 1)
			l.pointwise, e2 = get(p+"pointwise_filter", 1, 1, in, out)
			err = errors.Join(err, e2)
		}
		var e3 error
		l.bias, e3 = get(p+"bias", out)
		errs = append(errs, err, e3)
		net.layers = append(net.layers, l)
	}
	last := tinyLayer{in: 512, out: 5 * len(tinyAnchors)}
	var e1, e2 error
	last.pointwise, e1 = get("conv8/filters", 1, 1, last.in, last.out)
	last.bias, e2 = get("conv8/bias", last.out)
	net.layers = append(net.layers, last)
	if err := errors.Join(append(errs, e1, e2)...); err != nil {
		return nil, err
	}
	for i := range net.layers {
		net.layers[i].pack()
	}
	return net, nil
}

// tinyMap is a feature map, height × width × channels.
type tinyMap struct {
	w, h, c int
	v       []float32
}

// run evaluates the network on an RGB image of w×h pixels (3 bytes a
// pixel, row by row), both multiples of tinyStride, and returns the output
// map: (h/32)×(w/32) cells of 5 anchors × (x, y, w, h, score).
func (n *tinyNet) run(rgb []byte, w, h int) tinyMap {
	x := tinyMap{w: w, h: h, c: 3, v: make([]float32, w*h*3)}
	for i, b := range rgb[:w*h*3] {
		x.v[i] = (float32(b) - tinyMeanRGB[i%3]) / 255
	}
	x = n.layers[0].apply(x, 2)
	for i := 1; i < 6; i++ {
		// The last pooling keeps the map's size.
		stride := 2
		if i == 5 {
			stride = 1
		}
		x = n.layers[i].apply(x, stride)
	}
	last := &n.layers[6].gemm
	out := tinyMap{w: x.w, h: x.h, c: last.out, v: make([]float32, x.w*x.h*last.out)}
	gemm(out.v, x.v, x.w*x.h, last)
	return out
}

// tinyBox is a face the network found: a box in input pixels and its
// score, the probability the network gives it.
type tinyBox struct {
	x0, y0, x1, y1 float64
	score          float64
}

// decode reads the boxes scoring over minScore out of the output map, as
// face-api.js's extractBoxes does, in input pixels.
func (m tinyMap) decode(minScore float64) []tinyBox {
	var boxes []tinyBox
	for row := range m.h {
		for col := range m.w {
			cell := m.v[(row*m.w+col)*m.c:][:m.c]
			for a, anchor := range tinyAnchors {
				t := cell[a*5:][:5]
				score := sigmoid(t[4])
				if score <= minScore {
					continue
				}
				cx := (float64(col) + sigmoid(t[0])) * tinyStride
				cy := (float64(row) + sigmoid(t[1])) * tinyStride
				bw := math.Exp(float64(t[2])) * float64(anchor[0]) * tinyStride
				bh := math.Exp(float64(t[3])) * float64(anchor[1]) * tinyStride
				boxes = append(boxes, tinyBox{cx - bw/2, cy - bh/2, cx + bw/2, cy + bh/2, score})
			}
		}
	}
	return boxes
}

func sigmoid(x float32) float64 { return 1 / (1 + math.Exp(-float64(x))) }

// suppress keeps the best of boxes that overlap by more than iouMax, best
// first, as face-api.js's nonMaxSuppression does with its threshold 0.4.
func suppress(boxes []tinyBox, iouMax float64) []tinyBox {
	slices.SortStableFunc(boxes, func(a, b tinyBox) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	var kept []tinyBox
	for _, b := range boxes {
		if !slices.ContainsFunc(kept, func(k tinyBox) bool { return boxIoU(k, b) > iouMax }) {
			kept = append(kept, b)
		}
	}
	return kept
}

func boxIoU(a, b tinyBox) float64 {
	iw := min(a.x1, b.x1) - max(a.x0, b.x0)
	ih := min(a.y1, b.y1) - max(a.y0, b.y0)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	return inter / ((a.x1-a.x0)*(a.y1-a.y0) + (b.x1-b.x0)*(b.y1-b.y0) - inter)
}

// searchNetwork runs the tiny face network on the upright image, its
// longer side scaled to p.netEdge, and returns the faces scoring over
// p.netMinScore, in the coordinates of an upright thumb of tw×th pixels.
func (s *source) searchNetwork(tw, th int, p detectParams) ([]detection, error) {
	net, err := tinyFaceNet()
	if err != nil {
		return nil, fmt.Errorf("imaging: load the face network: %w", err)
	}
	in, iw, ih, dw, dh := s.networkInput(p.netEdge)
	boxes := suppress(net.run(in, iw, ih).decode(p.netMinScore), 0.4)
	fx, fy := float64(tw)/float64(dw), float64(th)/float64(dh)
	out := make([]detection, 0, len(boxes))
	for _, b := range boxes {
		out = append(out, detection{
			x: (b.x0 + b.x1) / 2 * fx, y: (b.y0 + b.y1) / 2 * fy, side: (b.x1 - b.x0) * fx,
			score: float32(b.score), detector: DetectorNetwork,
		})
	}
	return out, nil
}

// networkInput is the network's input for the upright image: its longer
// side scaled to edge, dw×dh pixels, at the top left of iw×ih, the next
// multiples of tinyStride, the rest black. face-api.js feeds the network
// so, though on a square: the faces it finds best are a given share of the
// longer side. The network being convolutional, the black that would
// make a square is left out, to save its cost.
func (s *source) networkInput(edge int) (in []byte, iw, ih, dw, dh int) {
	pix, w, h, _ := rgbThumb(s.img, s.cmyk, edge)
	pix, w, h = s.orientation.uprightPix(pix, w, h, 3*w, 3)
	k := float64(edge) / float64(max(w, h))
	dw, dh = max(1, int(math.Round(float64(w)*k))), max(1, int(math.Round(float64(h)*k)))
	iw, ih = (dw+tinyStride-1)/tinyStride*tinyStride, (dh+tinyStride-1)/tinyStride*tinyStride
	in = make([]byte, 3*iw*ih)
	resizeRGBInto(in, 3*iw, pix, w, h, dw, dh)
	return in, iw, ih, dw, dh
}

// resizeRGBInto scales the w×h RGB image src to dw×dh, bilinearly, into
// the top left of dst, whose rows are stride bytes apart.
func resizeRGBInto(dst []byte, stride int, src []byte, w, h, dw, dh int) {
	kx, ky := float64(w)/float64(dw), float64(h)/float64(dh)
	for y := range dh {
		sy := max(0, (float64(y)+0.5)*ky-0.5)
		y0 := min(int(sy), h-1)
		y1, wy := min(y0+1, h-1), float32(sy-float64(y0))
		r0, r1 := src[3*y0*w:][:3*w], src[3*y1*w:][:3*w]
		out := dst[y*stride:][:3*dw]
		for x := range dw {
			sx := max(0, (float64(x)+0.5)*kx-0.5)
			x0 := min(int(sx), w-1)
			x1, wx := min(x0+1, w-1), float32(sx-float64(x0))
			for c := range 3 {
				a := float32(r0[3*x0+c])*(1-wx) + float32(r0[3*x1+c])*wx
				b := float32(r1[3*x0+c])*(1-wx) + float32(r1[3*x1+c])*wx
				out[3*x+c] = uint8(a*(1-wy) + b*wy + 0.5)
			}
		}
	}
}
