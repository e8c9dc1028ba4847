package imaging

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// The reference kernels: the network's layers written as plainly as
// possible, one output value at a time in the order TensorFlow.js sums
// them, for the blocked kernels of tinyconv.go to be checked against.

func refLeaky(v []float32) {
	for i, x := range v {
		m := x * 0.1
		v[i] = max(x-m, 0) + m
	}
}

func refConv3x3Valid(x tinyMap, l tinyLayer) tinyMap {
	ow, oh := x.w-2, x.h-2
	out := tinyMap{w: ow, h: oh, c: l.out, v: make([]float32, ow*oh*l.out)}
	patch := make([]float32, 9*x.c)
	for y := range oh {
		for xx := range ow {
			k := 0
			for ky := range 3 {
				row := x.v[((y+ky)*x.w+xx)*x.c:][:3*x.c]
				k += copy(patch[k:], row)
			}
			o := out.v[(y*ow+xx)*l.out:][:l.out]
			copy(o, l.bias)
			for i, p := range patch {
				wr := l.full[i*l.out:][:l.out]
				for j, wv := range wr {
					o[j] += p * wv
				}
			}
		}
	}
	return out
}

func refDepthwise3x3(x tinyMap, f []float32) tinyMap {
	out := tinyMap{w: x.w, h: x.h, c: x.c, v: make([]float32, len(x.v))}
	c := x.c
	for y := range x.h {
		for ky := range 3 {
			sy := y + ky - 1
			if sy < 0 || sy >= x.h {
				continue
			}
			src := x.v[sy*x.w*c:][:x.w*c]
			dst := out.v[y*x.w*c:][:x.w*c]
			for kx := range 3 {
				fw := f[(ky*3+kx)*c:][:c]
				// Output column xx reads source column xx+kx−1.
				x0, x1 := max(0, 1-kx), min(x.w, x.w+1-kx)
				for xx := x0; xx < x1; xx++ {
					s := src[(xx+kx-1)*c:][:c]
					d := dst[xx*c:][:c]
					for i, fv := range fw {
						d[i] += s[i] * fv
					}
				}
			}
		}
	}
	return out
}

func refPointwise(x tinyMap, l tinyLayer) tinyMap {
	out := tinyMap{w: x.w, h: x.h, c: l.out, v: make([]float32, x.w*x.h*l.out)}
	for p := range x.w * x.h {
		in := x.v[p*x.c:][:x.c]
		o := out.v[p*l.out:][:l.out]
		copy(o, l.bias)
		for i, a := range in {
			wr := l.pointwise[i*l.out:][:l.out]
			for j, wv := range wr {
				o[j] += a * wv
			}
		}
	}
	return out
}

func refMaxPool2(x tinyMap, stride int) tinyMap {
	ow, oh := (x.w+stride-1)/stride, (x.h+stride-1)/stride
	out := tinyMap{w: ow, h: oh, c: x.c, v: make([]float32, ow*oh*x.c)}
	for y := range oh {
		for xx := range ow {
			o := out.v[(y*ow+xx)*x.c:][:x.c]
			first := true
			for dy := range 2 {
				sy := y*stride + dy
				if sy >= x.h {
					continue
				}
				for dx := range 2 {
					sx := xx*stride + dx
					if sx >= x.w {
						continue
					}
					s := x.v[(sy*x.w+sx)*x.c:][:x.c]
					if first {
						copy(o, s)
						first = false
						continue
					}
					for i, v := range s {
						o[i] = max(o[i], v)
					}
				}
			}
		}
	}
	return out
}

// refRun is tinyNet.run built from the reference kernels.
func refRun(n *tinyNet, rgb []byte, w, h int) tinyMap {
	x := tinyMap{w: w, h: h, c: 3, v: make([]float32, w*h*3)}
	for i, b := range rgb[:w*h*3] {
		x.v[i] = (float32(b) - tinyMeanRGB[i%3]) / 255
	}
	x = refConv3x3Valid(x, n.layers[0])
	refLeaky(x.v)
	x = refMaxPool2(x, 2)
	for i := 1; i < 6; i++ {
		x = refPointwise(refDepthwise3x3(x, n.layers[i].depthwise), n.layers[i])
		refLeaky(x.v)
		if i < 5 {
			x = refMaxPool2(x, 2)
		} else {
			x = refMaxPool2(x, 1)
		}
	}
	return refPointwise(x, n.layers[6])
}

func randFloats(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

func randMap(r *rand.Rand, w, h, c int) tinyMap {
	return tinyMap{w: w, h: h, c: c, v: randFloats(r, w*h*c)}
}

// randLayer makes a layer of random weights, packed as parseTinyNet packs
// the network's: a full convolution's, or if full is false a separable
// one's.
func randLayer(r *rand.Rand, in, out int, full bool) tinyLayer {
	l := tinyLayer{in: in, out: out, bias: randFloats(r, out)}
	if full {
		l.full = randFloats(r, 9*in*out)
	} else {
		l.depthwise = randFloats(r, 9*in)
		l.pointwise = randFloats(r, in*out)
	}
	l.pack()
	return l
}

// sameMap fails t unless got and want have the same shape and every value
// is within 1e-4 relative or 1e-5 absolute of want's.
func sameMap(t *testing.T, got, want tinyMap) {
	t.Helper()
	if got.w != want.w || got.h != want.h || got.c != want.c || len(got.v) != len(want.v) {
		t.Fatalf("map %dx%dx%d (%d values), want %dx%dx%d (%d)",
			got.w, got.h, got.c, len(got.v), want.w, want.h, want.c, len(want.v))
	}
	bad := 0
	for i, g := range got.v {
		w := want.v[i]
		if d := math.Abs(float64(g - w)); d > 1e-5 && d > 1e-4*math.Abs(float64(w)) {
			if bad++; bad <= 5 {
				p, ch := i/want.c, i%want.c
				t.Errorf("at (%d,%d) channel %d: %g, want %g", p%want.w, p/want.w, ch, g, w)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d values differ in all", bad)
	}
}

// Output sizes with odd widths and heights, down to a single pixel.
var tinyTestSizes = [][2]int{{1, 1}, {3, 5}, {7, 9}, {13, 9}, {2, 1}, {5, 2}}

// Bands of rows to compute the maps in: tinyLayer.apply's two, and others
// that leave a short band at the bottom.
var tinyTestBands = []int{2, 1, 3, 1000}

// conv3x3Valid computes the full convolution of x with l's filter as
// tinyLayer.apply does, band rows at a time.
func conv3x3Valid(x tinyMap, l *tinyLayer, band int) tinyMap {
	out := tinyMap{w: x.w - 2, h: x.h - 2, c: l.out}
	out.v = make([]float32, out.w*out.h*out.c)
	in := make([]float32, band*out.w*9*x.c)
	for y := 0; y < out.h; y += band {
		rows := min(band, out.h-y)
		im2col3x3(in, x, y, rows)
		gemm(out.v[y*out.w*out.c:], in, rows*out.w, &l.gemm)
	}
	return out
}

func TestConv3x3Valid(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	sizes := slices.Concat(tinyTestSizes, [][2]int{{207, 143}})
	for _, ch := range [][2]int{{3, 16}, {3, 5}, {2, 19}, {1, 1}} {
		for _, sz := range sizes {
			for _, band := range tinyTestBands {
				t.Run(fmt.Sprintf("%dx%d/%d-%d/band%d", sz[0], sz[1], ch[0], ch[1], band), func(t *testing.T) {
					x := randMap(r, sz[0]+2, sz[1]+2, ch[0])
					l := randLayer(r, ch[0], ch[1], true)
					sameMap(t, conv3x3Valid(x, &l, band), refConv3x3Valid(x, l))
				})
			}
		}
	}
}

func TestDepthwise3x3(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []int{16, 32, 64, 128, 256, 512, 1, 3, 5} {
		sizes := tinyTestSizes
		if c == 16 {
			sizes = slices.Concat(sizes, [][2]int{{207, 143}})
		}
		for _, sz := range sizes {
			for _, band := range tinyTestBands {
				t.Run(fmt.Sprintf("%dx%d/%d/band%d", sz[0], sz[1], c, band), func(t *testing.T) {
					x := randMap(r, sz[0], sz[1], c)
					f := randFloats(r, 9*c)
					got := tinyMap{w: x.w, h: x.h, c: c, v: make([]float32, len(x.v))}
					for y := 0; y < x.h; y += band {
						depthwiseRows(got.v[y*x.w*c:], x, f, y, min(band, x.h-y))
					}
					sameMap(t, got, refDepthwise3x3(x, f))
				})
			}
		}
	}
}

// Every layer's channels, and counts that fill no block.
var pointwiseChannels = [][2]int{
	{16, 32}, {32, 64}, {64, 128}, {128, 256}, {256, 512}, {512, 25},
	{1, 1}, {3, 5}, {7, 13}, {16, 3}, {5, 37},
}

func TestPointwise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 3))
	for _, ch := range pointwiseChannels {
		sizes := tinyTestSizes
		if ch[0]*ch[1] <= 32*64 {
			sizes = slices.Concat(sizes, [][2]int{{207, 143}})
		}
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%dx%d/%d-%d", sz[0], sz[1], ch[0], ch[1]), func(t *testing.T) {
				x := randMap(r, sz[0], sz[1], ch[0])
				l := randLayer(r, ch[0], ch[1], false)
				got := tinyMap{w: x.w, h: x.h, c: l.out, v: make([]float32, x.w*x.h*l.out)}
				gemm(got.v, x.v, x.w*x.h, &l.gemm)
				sameMap(t, got, refPointwise(x, l))
			})
		}
	}
}

func TestMaxPoolLeaky(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 4))
	for _, c := range []int{16, 512, 1, 5} {
		sizes := slices.Concat(tinyTestSizes, [][2]int{{8, 6}})
		if c == 16 {
			sizes = slices.Concat(sizes, [][2]int{{414, 286}})
		}
		for _, sz := range sizes {
			for _, stride := range []int{1, 2} {
				t.Run(fmt.Sprintf("%dx%d/%d/%d", sz[0], sz[1], c, stride), func(t *testing.T) {
					x := randMap(r, sz[0], sz[1], c)
					want := refMaxPool2(x, stride)
					got := tinyMap{w: want.w, h: want.h, c: c, v: make([]float32, len(want.v))}
					maxPoolLeaky(got.v, x, stride)
					// Leaky after pooling, as maxPoolLeaky computes it,
					refLeaky(want.v)
					sameMap(t, got, want)
					// and before, as the network is defined.
					refLeaky(x.v)
					sameMap(t, got, refMaxPool2(x, stride))
				})
			}
		}
	}
}

// refApply is tinyLayer.apply built from the reference kernels.
func refApply(x tinyMap, l tinyLayer, stride int) tinyMap {
	if l.full != nil {
		x = refConv3x3Valid(x, l)
	} else {
		x = refPointwise(refDepthwise3x3(x, l.depthwise), l)
	}
	refLeaky(x.v)
	return refMaxPool2(x, stride)
}

func TestTinyLayerApply(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 5))
	for _, ch := range slices.Concat(pointwiseChannels[:5], [][2]int{{3, 16}, {5, 7}}) {
		for _, sz := range slices.Concat(tinyTestSizes, [][2]int{{4, 4}, {6, 11}}) {
			for _, stride := range []int{1, 2} {
				for _, full := range []bool{false, true} {
					if full && ch[0] > 16 {
						continue // the network's full convolution is its first
					}
					t.Run(fmt.Sprintf("%dx%d/%d-%d/%d/full=%v", sz[0], sz[1], ch[0], ch[1], stride, full), func(t *testing.T) {
						w, h := sz[0], sz[1]
						if full {
							w, h = w+2, h+2
						}
						x := randMap(r, w, h, ch[0])
						l := randLayer(r, ch[0], ch[1], full)
						sameMap(t, l.apply(x, stride), refApply(x, l, stride))
					})
				}
			}
		}
	}
}

func randRGB(w, h int) []byte {
	r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	rgb := make([]byte, w*h*3)
	for i := range rgb {
		rgb[i] = byte(r.IntN(256))
	}
	return rgb
}

func TestTinyNetRun(t *testing.T) {
	n, err := tinyFaceNet()
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 64, 32
	rgb := randRGB(w, h)
	sameMap(t, n.run(rgb, w, h), refRun(n, rgb, w, h))
}

// BenchmarkTinyFaceNet runs the network on noise of the size a photo is
// scaled to, reporting the thread's CPU time besides the wall time, which
// background load inflates.
func BenchmarkTinyFaceNet(b *testing.B) {
	n, err := tinyFaceNet()
	if err != nil {
		b.Fatal(err)
	}
	const w, h = 416, 288
	rgb := randRGB(w, h)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	start := threadCPU()
	for b.Loop() {
		n.run(rgb, w, h)
	}
	b.ReportMetric(float64(threadCPU()-start)/1e6/float64(b.N), "cpu-ms/op")
}
