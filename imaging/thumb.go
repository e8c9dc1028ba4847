package imaging

import (
	"image"
	"image/color"
)

// grayThumb returns a grayscale copy of m reduced by the smallest integer
// factor f that brings its longer side to at most maxEdge, averaging each
// f×f block. It is for face detection only, so speed beats filter quality:
// JPEG's luma plane is averaged as stored, anything else in linear light,
// and of each block only every (f/2)th row is read.
func grayThumb(m image.Image, cmyk *cmykProfile, maxEdge int) (*image.Gray, int) {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	f := max(1, (max(w, h)+maxEdge-1)/maxEdge)
	tw, th := (w+f-1)/f, (h+f-1)/f
	thumb := image.NewGray(image.Rect(0, 0, tw, th))
	sum := make([]float32, tw)
	count := make([]float32, tw)
	var row func(y int)
	yc, luma := m.(*image.YCbCr)
	if luma {
		row = func(y int) {
			p := yc.Y[yc.YOffset(b.Min.X, b.Min.Y+y):][:w]
			for x, v := range p {
				sum[x/f] += float32(v)
				count[x/f]++
			}
		}
	} else {
		read := newRowReader(m, cmyk)
		rgb := make([]float32, 3*w)
		row = func(y int) {
			read(y, 0, w, rgb)
			for x := range w {
				sum[x/f] += 0.2126*rgb[3*x] + 0.7152*rgb[3*x+1] + 0.0722*rgb[3*x+2]
				count[x/f]++
			}
		}
	}
	enc := encode8()
	for ty := range th {
		clear(sum)
		clear(count)
		for y := ty * f; y < min(h, (ty+1)*f); y += max(1, f/2) {
			row(y)
		}
		out := thumb.Pix[ty*thumb.Stride:][:tw]
		for x := range out {
			v := sum[x] / count[x]
			if luma {
				out[x] = uint8(v + 0.5)
			} else {
				out[x] = toSRGB8(enc, v)
			}
		}
	}
	return thumb, f
}

// rgbThumb is grayThumb in colour: 3 bytes a pixel, sRGB. JPEG's planes
// are averaged as stored and converted after, and of them only every
// (f/2)th column is read too, which halves the cost on a large photo; anything
// else is averaged in linear light.
func rgbThumb(m image.Image, cmyk *cmykProfile, maxEdge int) (pix []byte, w, h, f int) {
	b := m.Bounds()
	sw, sh := b.Dx(), b.Dy()
	f = max(1, (max(sw, sh)+maxEdge-1)/maxEdge)
	w, h = (sw+f-1)/f, (sh+f-1)/f
	pix = make([]byte, 3*w*h)
	sum := make([]float32, 3*w)
	count := make([]float32, w)
	var row func(y int)
	step := max(1, f/2)
	yc, planes := m.(*image.YCbCr)
	if planes {
		hs := chromaShift(yc.SubsampleRatio)
		row = func(y int) {
			ys := yc.Y[yc.YOffset(b.Min.X, b.Min.Y+y):][:sw]
			// Chroma of stored x is at rowC + (x>>hs) - (b.Min.X>>hs).
			rowC := yc.COffset(b.Min.X, b.Min.Y+y) - b.Min.X>>hs
			for x := 0; x < sw; x += step {
				v := ys[x]
				t, ci := 3*(x/f), rowC+(b.Min.X+x)>>hs
				sum[t] += float32(v)
				sum[t+1] += float32(yc.Cb[ci])
				sum[t+2] += float32(yc.Cr[ci])
				count[x/f]++
			}
		}
	} else {
		read := newRowReader(m, cmyk)
		rgb := make([]float32, 3*sw)
		row = func(y int) {
			read(y, 0, sw, rgb)
			for x := range sw {
				t := 3 * (x / f)
				sum[t] += rgb[3*x]
				sum[t+1] += rgb[3*x+1]
				sum[t+2] += rgb[3*x+2]
				count[x/f]++
			}
		}
	}
	enc := encode8()
	for ty := range h {
		clear(sum)
		clear(count)
		for y := ty * f; y < min(sh, (ty+1)*f); y += step {
			row(y)
		}
		out := pix[3*ty*w:][:3*w]
		for x := range w {
			c := count[x]
			if planes {
				r, g, bl := color.YCbCrToRGB(uint8(sum[3*x]/c+0.5), uint8(sum[3*x+1]/c+0.5), uint8(sum[3*x+2]/c+0.5))
				out[3*x], out[3*x+1], out[3*x+2] = r, g, bl
				continue
			}
			for i := range 3 {
				out[3*x+i] = toSRGB8(enc, sum[3*x+i]/c)
			}
		}
	}
	return pix, w, h, f
}
