package dctjpeg

import (
	"image"
	"image/color"
)

// image assembles the decoded planes into the image type image/jpeg would
// return for the same file, at the reduced size.
func (d *decoder) image() (image.Image, error) {
	w, h := ceilDiv(d.width, d.scale), ceilDiv(d.height, d.scale)
	rect := image.Rect(0, 0, w, h)
	switch d.colorSpace() {
	case Gray:
		c := &d.comps[0]
		return &image.Gray{Pix: c.pix, Stride: c.stride, Rect: rect}, nil
	case YCbCr:
		if ratio, ok := d.ycbcrRatio(); ok {
			y, cb, cr := &d.comps[0], &d.comps[1], &d.comps[2]
			return &image.YCbCr{
				Y: y.pix, Cb: cb.pix, Cr: cr.pix,
				YStride: y.stride, CStride: cb.stride,
				SubsampleRatio: ratio,
				Rect:           rect,
			}, nil
		}
		// A layout image.YCbCr cannot express: bring every component to
		// full resolution.
		img := image.NewYCbCr(rect, image.YCbCrSubsampleRatio444)
		d.expand(0, img.Y, img.YStride, 1, w, h)
		d.expand(1, img.Cb, img.CStride, 1, w, h)
		d.expand(2, img.Cr, img.CStride, 1, w, h)
		return img, nil
	case RGB:
		img := image.NewRGBA(rect)
		for i := range 3 {
			d.expand(i, img.Pix[i:], img.Stride, 4, w, h)
		}
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = 255
		}
		return img, nil
	case CMYK:
		// Adobe stores CMYK inverted: 255 means no ink.
		img := image.NewCMYK(rect)
		for i := range 4 {
			d.expand(i, img.Pix[i:], img.Stride, 4, w, h)
		}
		for i, v := range img.Pix {
			img.Pix[i] = 255 - v
		}
		return img, nil
	case YCCK:
		// YCbCr converts to inverted CMY, which cancels Adobe's inversion;
		// only K stays inverted.
		img := image.NewCMYK(rect)
		for i := range 4 {
			d.expand(i, img.Pix[i:], img.Stride, 4, w, h)
		}
		for i := 0; i < len(img.Pix); i += 4 {
			p := img.Pix[i : i+4 : i+4]
			p[0], p[1], p[2] = color.YCbCrToRGB(p[0], p[1], p[2])
			p[3] = 255 - p[3]
		}
		return img, nil
	}
	return nil, unsupported("4-component JPEG without Adobe color transform marker")
}

// ycbcrRatio reports the image.YCbCr subsampling that matches the file's
// sampling factors, if there is one.
func (d *decoder) ycbcrRatio() (image.YCbCrSubsampleRatio, bool) {
	y, cb, cr := d.comps[0], d.comps[1], d.comps[2]
	if cb.eh != cr.eh || cb.ev != cr.ev || y.eh%cb.eh != 0 || y.ev%cb.ev != 0 {
		return 0, false
	}
	switch [2]int{y.eh / cb.eh, y.ev / cb.ev} {
	case [2]int{1, 1}:
		return image.YCbCrSubsampleRatio444, true
	case [2]int{2, 1}:
		return image.YCbCrSubsampleRatio422, true
	case [2]int{2, 2}:
		return image.YCbCrSubsampleRatio420, true
	case [2]int{1, 2}:
		return image.YCbCrSubsampleRatio440, true
	case [2]int{4, 1}:
		return image.YCbCrSubsampleRatio411, true
	case [2]int{4, 2}:
		return image.YCbCrSubsampleRatio410, true
	}
	return 0, false
}

// expand copies component i to every step-th byte of dst at full output
// resolution, replicating subsampled samples.
func (d *decoder) expand(i int, dst []byte, stride, step, w, h int) {
	c := &d.comps[i]
	for y := range h {
		sy := y * c.ev / d.vmax
		src := c.pix[sy*c.stride:]
		row := dst[y*stride:]
		if c.eh == d.hmax {
			for x := range w {
				row[x*step] = src[x]
			}
			continue
		}
		for x := range w {
			row[x*step] = src[x*c.eh/d.hmax]
		}
	}
}
