package imaging

// The tiny face network's layers, on feature maps laid out height × width ×
// channels.

// leaky is face-api.js's leaky ReLU, with slope 0.1 under zero, computed as
// it does: relu(x − 0.1x) + 0.1x.
func leaky(v []float32) {
	for i, x := range v {
		m := x * 0.1
		v[i] = max(x-m, 0) + m
	}
}

// conv3x3Valid is a full 3×3 convolution without padding, plus bias.
func conv3x3Valid(x tinyMap, l tinyLayer) tinyMap {
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

// depthwise3x3 filters each channel with its own 3×3 filter, the map padded
// by a pixel of zeros on each side.
func depthwise3x3(x tinyMap, f []float32) tinyMap {
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

// pointwise mixes channels at each pixel: a 1×1 convolution, plus bias.
func pointwise(x tinyMap, l tinyLayer) tinyMap {
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

// maxPool2 takes the maximum of 2×2 windows at the given stride, padded as
// TensorFlow's 'same' padding does: windows that run over the right or
// bottom edge take what lies inside.
func maxPool2(x tinyMap, stride int) tinyMap {
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
