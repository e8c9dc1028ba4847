package imaging

import (
	"image"
	"image/color"
	"math"
	"sync"
)

// Resampling and box averaging happen on linear light: averaging the
// gamma-encoded values darkens fine detail and shifts colours at edges.
// These tables convert between sRGB-encoded samples and linear light.

// srgbToLinear converts an sRGB-encoded value in [0, 1] to linear light.
func srgbToLinear(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

// linearToSRGB converts linear light in [0, 1] to an sRGB-encoded value.
func linearToSRGB(v float64) float64 {
	if v <= 0.0031308 {
		return v * 12.92
	}
	return 1.055*math.Pow(v, 1/2.4) - 0.055
}

var linear8 = sync.OnceValue(func() *[256]float32 {
	var t [256]float32
	for i := range t {
		t[i] = float32(srgbToLinear(float64(i) / 255))
	}
	return &t
})

var linear16 = sync.OnceValue(func() []float32 {
	t := make([]float32, 1<<16)
	for i := range t {
		t[i] = float32(srgbToLinear(float64(i) / 65535))
	}
	return t
})

// encodeSteps is the resolution of the linear-to-sRGB table: fine enough that
// the darkest 8-bit levels, 0.0003 apart in linear light, stay distinct.
const encodeSteps = 1 << 16

// encode8 is the table toSRGB8 reads: entry i is the 8-bit sRGB level of
// linear light i/encodeSteps, rounded. The table is a staircase of 256
// steps, so it is built from where each step starts (the inverse function,
// settled exactly by the forward one) rather than from 65537 powers, which
// would cost a one-shot conversion a third of its time.
var encode8 = sync.OnceValue(func() []uint8 {
	level := func(i int) int {
		return int(math.Round(255 * linearToSRGB(float64(i)/encodeSteps)))
	}
	t := make([]uint8, encodeSteps+1)
	start := 0 // where level k-1 starts
	for k := 1; k <= 255; k++ {
		// The first i with level(i) >= k.
		i := int(math.Ceil(srgbToLinear((float64(k)-0.5)/255) * encodeSteps))
		i = min(max(i, start), encodeSteps+1)
		for i > start && level(i-1) >= k {
			i--
		}
		for i <= encodeSteps && level(i) < k {
			i++
		}
		for j := start; j < i; j++ {
			t[j] = uint8(k - 1)
		}
		start = i
	}
	for j := start; j <= encodeSteps; j++ {
		t[j] = 255
	}
	return t
})

// toSRGB8 encodes linear light as an 8-bit sRGB sample, clipping out-of-range
// values that sharpening kernels and gamut conversion produce.
func toSRGB8(table []uint8, v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 1:
		return 255
	}
	return table[int(v*encodeSteps+0.5)]
}

// A rowReader writes pixels [x0, x1) of row y as linear RGB triples into dst,
// with transparency already composited on white in sRGB space, as browsers
// show a transparent image on a white page.
type rowReader func(y, x0, x1 int, dst []float32)

// newRowReader returns a rowReader for m. Coordinates are relative to
// m.Bounds().Min. The common decoder outputs get direct access to their
// pixel buffers; anything else goes through the color.Color interface. A
// CMYK image is converted through cmyk when it is not nil.
func newRowReader(m image.Image, cmyk *cmykProfile) rowReader {
	l8 := linear8()
	org := m.Bounds().Min
	switch m := m.(type) {
	case *rgb24:
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[y*m.Stride+3*x0:][:3*(x1-x0)]
			for i, v := range p {
				dst[i] = l8[v]
			}
		}
	case *onCanvas:
		return canvasRowReader(m, cmyk)
	case *image.YCbCr:
		hs := chromaShift(m.SubsampleRatio)
		return func(y, x0, x1 int, dst []float32) {
			yi := m.YOffset(org.X+x0, org.Y+y)
			// Chroma of stored x is at rowC + (x>>hs) - (org.X>>hs).
			rowC := m.COffset(org.X, org.Y+y) - org.X>>hs
			lastC := -1
			var rc, gc, bc int32
			ys := m.Y[yi : yi+x1-x0]
			dst = dst[:3*len(ys)]
			for i, yv := range ys {
				// color.YCbCrToRGB, with the chroma terms computed once
				// for the pixels that share a chroma sample.
				if ci := rowC + (org.X+x0+i)>>hs; ci != lastC {
					lastC = ci
					cb1, cr1 := int32(m.Cb[ci])-128, int32(m.Cr[ci])-128
					rc, gc, bc = 91881*cr1, -22554*cb1-46802*cr1, 116130*cb1
				}
				yy := int32(yv) * 0x10101
				q := dst[3*i : 3*i+3 : 3*i+3]
				q[0], q[1], q[2] = l8[clip16(yy+rc)], l8[clip16(yy+gc)], l8[clip16(yy+bc)]
			}
		}
	case *image.NYCbCrA:
		return func(y, x0, x1 int, dst []float32) {
			y += org.Y
			for x := x0; x < x1; x++ {
				yi, ci, ai := m.YOffset(x+org.X, y), m.COffset(x+org.X, y), m.AOffset(x+org.X, y)
				r, g, b := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				a := uint32(m.A[ai])
				i := 3 * (x - x0)
				dst[i], dst[i+1], dst[i+2] = l8[over8(uint32(r), a)], l8[over8(uint32(g), a)], l8[over8(uint32(b), a)]
			}
		}
	case *image.RGBA:
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[y*m.Stride+4*x0:]
			for i := range x1 - x0 {
				s := p[4*i : 4*i+4 : 4*i+4]
				ink := 255 - uint16(s[3]) // premultiplied: add white where alpha is missing
				dst[3*i], dst[3*i+1], dst[3*i+2] = l8[plus8(s[0], ink)], l8[plus8(s[1], ink)], l8[plus8(s[2], ink)]
			}
		}
	case *image.NRGBA:
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[y*m.Stride+4*x0:]
			for i := range x1 - x0 {
				s := p[4*i : 4*i+4 : 4*i+4]
				a := uint32(s[3])
				if a == 255 {
					dst[3*i], dst[3*i+1], dst[3*i+2] = l8[s[0]], l8[s[1]], l8[s[2]]
					continue
				}
				dst[3*i], dst[3*i+1], dst[3*i+2] = l8[over8(uint32(s[0]), a)], l8[over8(uint32(s[1]), a)], l8[over8(uint32(s[2]), a)]
			}
		}
	case *image.Gray:
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[y*m.Stride+x0:]
			for i := range x1 - x0 {
				v := l8[p[i]]
				dst[3*i], dst[3*i+1], dst[3*i+2] = v, v, v
			}
		}
	case *image.CMYK:
		if cmyk != nil {
			return func(y, x0, x1 int, dst []float32) {
				p := m.Pix[y*m.Stride+4*x0:]
				for i := range x1 - x0 {
					s := p[4*i : 4*i+4 : 4*i+4]
					dst[3*i], dst[3*i+1], dst[3*i+2] = cmyk.linear(s[0], s[1], s[2], s[3])
				}
			}
		}
		l16 := linear16()
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[y*m.Stride+4*x0:]
			for i := range x1 - x0 {
				s := p[4*i : 4*i+4 : 4*i+4]
				w := 0xffff - uint32(s[3])*0x101
				for c := range 3 {
					dst[3*i+c] = l16[(0xffff-uint32(s[c])*0x101)*w/0xffff]
				}
			}
		}
	case *image.NRGBA64:
		l16 := linear16()
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[y*m.Stride+8*x0:]
			for i := range x1 - x0 {
				s := p[8*i : 8*i+8 : 8*i+8]
				a := uint32(s[6])<<8 | uint32(s[7])
				for c := range 3 {
					v := uint32(s[2*c])<<8 | uint32(s[2*c+1])
					dst[3*i+c] = l16[(v*a+0xffff*(0xffff-a)+0x7fff)/0xffff]
				}
			}
		}
	case *image.RGBA64:
		l16 := linear16()
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[y*m.Stride+8*x0:]
			for i := range x1 - x0 {
				s := p[8*i : 8*i+8 : 8*i+8]
				ink := 0xffff - (uint32(s[6])<<8 | uint32(s[7]))
				for c := range 3 {
					v := uint32(s[2*c])<<8 | uint32(s[2*c+1])
					dst[3*i+c] = l16[min(0xffff, v+ink)]
				}
			}
		}
	case *image.Gray16:
		l16 := linear16()
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[y*m.Stride+2*x0:]
			for i := range x1 - x0 {
				v := l16[uint32(p[2*i])<<8|uint32(p[2*i+1])]
				dst[3*i], dst[3*i+1], dst[3*i+2] = v, v, v
			}
		}
	case *image.Paletted:
		pal := make([][3]float32, 256)
		for i := range pal {
			c := color.Color(color.Transparent) // out-of-palette indices show as background
			if i < len(m.Palette) {
				c = m.Palette[i]
			}
			pal[i] = linearOver16(c)
		}
		return func(y, x0, x1 int, dst []float32) {
			p := m.Pix[y*m.Stride+x0:]
			for i := range x1 - x0 {
				c := pal[p[i]]
				dst[3*i], dst[3*i+1], dst[3*i+2] = c[0], c[1], c[2]
			}
		}
	}
	return func(y, x0, x1 int, dst []float32) {
		for x := x0; x < x1; x++ {
			c := linearOver16(m.At(x+org.X, y+org.Y))
			copy(dst[3*(x-x0):], c[:])
		}
	}
}

// chromaShift returns log2 of the horizontal chroma subsampling.
func chromaShift(r image.YCbCrSubsampleRatio) int {
	switch r {
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		return 1
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		return 2
	}
	return 0
}

// plus8 adds white ink to a premultiplied sample, saturating for the invalid
// case of a sample above its alpha.
func plus8(c uint8, ink uint16) uint8 { return uint8(min(255, uint16(c)+ink)) }

// over8 composites an 8-bit non-premultiplied sample with alpha a over white.
func over8(c, a uint32) uint8 {
	return uint8((c*a + 255*(255-a) + 127) / 255)
}

// linearOver16 converts any colour, composited over white at 16 bits, to
// linear RGB. 16-bit sources keep their precision this way.
func linearOver16(c color.Color) [3]float32 {
	l16 := linear16()
	r, g, b, a := c.RGBA() // premultiplied
	ink := 0xffff - a
	return [3]float32{l16[min(0xffff, r+ink)], l16[min(0xffff, g+ink)], l16[min(0xffff, b+ink)]}
}

// clip16 is the clamping step of color.YCbCrToRGB: v>>16 limited to 0..255.
func clip16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}
