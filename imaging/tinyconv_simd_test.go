//go:build goexperiment.simd && amd64

package imaging

import (
	"fmt"
	"math"
	"math/rand/v2"
	"simd/archsimd"
	"slices"
	"testing"
)

// The AVX2 kernels must give the loops' results bit for bit, not merely
// close ones: these tests compare every bit, on every layer's channels and
// on pixel counts that fill no block.

// vectorTestPixels are gemm's pixel counts: single pixels, counts that
// leave a short block, and the band of the network's second layer.
var vectorTestPixels = []int{1, 2, 3, 5, 7, 13, 64, 207 * 2}

// sameBits fails t unless got and want hold the same float32 bits.
func sameBits(t *testing.T, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d", len(got), len(want))
	}
	bad := 0
	for i, g := range got {
		if math.Float32bits(g) != math.Float32bits(want[i]) {
			if bad++; bad <= 5 {
				t.Errorf("value %d: %g (%#08x), want %g (%#08x)", i, g, math.Float32bits(g), want[i], math.Float32bits(want[i]))
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d values differ in all", bad)
	}
}

// sentinel marks the values a kernel must not write.
var sentinel = float32(math.Inf(-1))

func TestGEMMAVX2(t *testing.T) {
	if gemmVector == nil {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(2, 1))
	// The first layer's full convolution, then the pointwise ones.
	for _, ch := range slices.Concat([][2]int{{27, 16}}, pointwiseChannels) {
		in, out := ch[0], ch[1]
		for _, px := range vectorTestPixels {
			t.Run(fmt.Sprintf("%d-%d/%d", in, out, px), func(t *testing.T) {
				g := packGEMM(randFloats(r, in*out), randFloats(r, out), in, out)
				if g.vec == nil {
					t.Fatal("weights not packed for the vector kernel")
				}
				scalar := g
				scalar.vec = nil
				src := randFloats(r, px*in)
				// One value more than the kernel writes, to catch a
				// store past the end.
				want := make([]float32, px*out+1)
				got := make([]float32, px*out+1)
				want[px*out], got[px*out] = sentinel, sentinel
				gemm(want, src, px, &scalar)
				gemm(got, src, px, &g)
				sameBits(t, got, want)
			})
		}
	}
}

// scalarDepthwiseRows is depthwiseRows with its loops, not depthwiseVector.
// The package's tests do not run this file's in parallel with others.
func scalarDepthwiseRows(dst []float32, x tinyMap, f []float32, y0, rows int) {
	v := depthwiseVector
	depthwiseVector = nil
	defer func() { depthwiseVector = v }()
	depthwiseRows(dst, x, f, y0, rows)
}

func TestDepthwiseAVX2(t *testing.T) {
	if depthwiseVector == nil {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(2, 2))
	sizes := [][2]int{{1, 1}, {2, 1}, {1, 3}, {3, 2}, {5, 5}, {7, 3}, {13, 9}, {64, 4}, {207, 5}}
	for _, c := range []int{8, 16, 32, 64, 128, 256, 512} {
		for _, sz := range sizes {
			for _, band := range []int{1, 2, 3} {
				t.Run(fmt.Sprintf("%dx%d/%d/band%d", sz[0], sz[1], c, band), func(t *testing.T) {
					x := randMap(r, sz[0], sz[1], c)
					f := randFloats(r, 9*c)
					n := len(x.v)
					want := make([]float32, n+1)
					got := make([]float32, n+1)
					// The kernel must not read what it has not written.
					for i := range got {
						got[i] = float32(math.NaN())
					}
					want[n], got[n] = sentinel, sentinel
					for y := 0; y < x.h; y += band {
						rows := min(band, x.h-y)
						scalarDepthwiseRows(want[y*x.w*c:], x, f, y, rows)
						depthwiseRows(got[y*x.w*c:], x, f, y, rows)
					}
					sameBits(t, got, want)
				})
			}
		}
	}
}

// specialFloats are the values where Go's max differs from VMAXPS and
// IEEE's maximum: zeros of both signs and NaNs, with others around them.
var specialFloats = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -2,
	float32(math.Inf(1)), float32(math.Inf(-1)),
	math.Float32frombits(0x7fc00000), math.Float32frombits(0xffc00000),
	math.Float32frombits(0x7fc00001), math.Float32frombits(0x7f800001),
	math.Float32frombits(1), math.Float32frombits(0x80000001),
	math.MaxFloat32, -math.MaxFloat32,
}

func TestMaxGo(t *testing.T) {
	for _, x := range specialFloats {
		for _, y := range specialFloats {
			var got, gotMin [8]float32
			vx, vy := archsimd.BroadcastFloat32x8(x), archsimd.BroadcastFloat32x8(y)
			neg(minGo(neg(vx), neg(vy))).Store(&got)
			minGo(vx, vy).Store(&gotMin)
			if g, w := math.Float32bits(got[0]), math.Float32bits(max(x, y)); g != w {
				t.Errorf("max(%#08x, %#08x) = %#08x, want %#08x", math.Float32bits(x), math.Float32bits(y), g, w)
			}
			if g, w := math.Float32bits(gotMin[0]), math.Float32bits(min(x, y)); g != w {
				t.Errorf("min(%#08x, %#08x) = %#08x, want %#08x", math.Float32bits(x), math.Float32bits(y), g, w)
			}
		}
	}
}

// scalarMaxPoolLeaky is maxPoolLeaky with its loops, not maxPoolVector.
func scalarMaxPoolLeaky(dst []float32, x tinyMap, stride int) {
	v := maxPoolVector
	maxPoolVector = nil
	defer func() { maxPoolVector = v }()
	maxPoolLeaky(dst, x, stride)
}

func TestMaxPoolLeakyAVX2(t *testing.T) {
	if maxPoolVector == nil {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(2, 3))
	sizes := [][2]int{{1, 1}, {2, 1}, {1, 3}, {3, 2}, {5, 5}, {7, 3}, {13, 9}, {64, 4}, {414, 2}}
	for _, c := range []int{8, 16, 32, 64, 128, 256, 512} {
		for _, sz := range sizes {
			for _, stride := range []int{1, 2} {
				t.Run(fmt.Sprintf("%dx%d/%d/%d", sz[0], sz[1], c, stride), func(t *testing.T) {
					x := randMap(r, sz[0], sz[1], c)
					// A special value in one place of eight.
					for i := range x.v {
						if r.IntN(8) == 0 {
							x.v[i] = specialFloats[r.IntN(len(specialFloats))]
						}
					}
					n := ((sz[0] + stride - 1) / stride) * ((sz[1] + stride - 1) / stride) * c
					want := make([]float32, n+1)
					got := make([]float32, n+1)
					want[n], got[n] = sentinel, sentinel
					scalarMaxPoolLeaky(want, x, stride)
					maxPoolLeaky(got, x, stride)
					sameBits(t, got, want)
				})
			}
		}
	}
}

// TestTinyNetAVX2 checks the whole network, run with the vector kernels,
// against its loops, bit for bit.
func TestTinyNetAVX2(t *testing.T) {
	if gemmVector == nil {
		t.Skip("no AVX2")
	}
	n, err := tinyFaceNet()
	if err != nil {
		t.Fatal(err)
	}
	scalar := &tinyNet{layers: slices.Clone(n.layers)}
	for i := range scalar.layers {
		scalar.layers[i].gemm.vec = nil
	}
	for _, sz := range [][2]int{{64, 32}, {416, 288}} {
		w, h := sz[0], sz[1]
		rgb := randRGB(w, h)
		got := n.run(rgb, w, h)
		dw, mp := depthwiseVector, maxPoolVector
		depthwiseVector, maxPoolVector = nil, nil
		want := scalar.run(rgb, w, h)
		depthwiseVector, maxPoolVector = dw, mp
		sameBits(t, got.v, want.v)
	}
}
