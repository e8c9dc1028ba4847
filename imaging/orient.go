package imaging

import "image"

// An orientation is an Exif Orientation value, 1 to 8: how the stored pixels
// must be transformed to be shown upright.
type orientation int

// swapsAxes reports whether the upright image is the stored one turned on its
// side (the transposing orientations 5 to 8).
func (o orientation) swapsAxes() bool { return o >= 5 && o <= 8 }

// uprightSize returns the size of the upright image for a stored w×h image.
func (o orientation) uprightSize(w, h int) (int, int) {
	if o.swapsAxes() {
		return h, w
	}
	return w, h
}

// storedPoint maps the upright pixel (x, y) of an image stored as w×h to its
// stored position.
func (o orientation) storedPoint(x, y, w, h int) (int, int) {
	switch o {
	case 2:
		return w - 1 - x, y
	case 3:
		return w - 1 - x, h - 1 - y
	case 4:
		return x, h - 1 - y
	case 5:
		return y, x
	case 6:
		return y, h - 1 - x
	case 7:
		return w - 1 - y, h - 1 - x
	case 8:
		return w - 1 - y, x
	}
	return x, y
}

// storedRect maps a rectangle in upright coordinates to stored coordinates of
// an image stored as w×h.
func (o orientation) storedRect(r image.Rectangle, w, h int) image.Rectangle {
	if r.Empty() {
		return r
	}
	x0, y0 := o.storedPoint(r.Min.X, r.Min.Y, w, h)
	x1, y1 := o.storedPoint(r.Max.X-1, r.Max.Y-1, w, h)
	return image.Rect(min(x0, x1), min(y0, y1), max(x0, x1)+1, max(y0, y1)+1)
}

// uprightPix returns the pixels of a stored w×h image with bpp bytes per
// pixel (rows stride bytes apart) rearranged upright, with a tight stride.
func (o orientation) uprightPix(pix []byte, w, h, stride, bpp int) (out []byte, uw, uh int) {
	uw, uh = o.uprightSize(w, h)
	out = make([]byte, uw*uh*bpp)
	i := 0
	for y := range uh {
		for x := range uw {
			sx, sy := o.storedPoint(x, y, w, h)
			copy(out[i:i+bpp], pix[sy*stride+sx*bpp:])
			i += bpp
		}
	}
	return out, uw, uh
}

// uprightRGBA returns m rearranged upright; m must have its origin at (0, 0).
func (o orientation) uprightRGBA(m *image.RGBA) *image.RGBA {
	if o <= 1 || o > 8 {
		return m
	}
	b := m.Bounds()
	pix, w, h := o.uprightPix(m.Pix, b.Dx(), b.Dy(), m.Stride, 4)
	return &image.RGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
}

// uprightGray returns m rearranged upright; m must have its origin at (0, 0).
func (o orientation) uprightGray(m *image.Gray) *image.Gray {
	if o <= 1 || o > 8 {
		return m
	}
	b := m.Bounds()
	pix, w, h := o.uprightPix(m.Pix, b.Dx(), b.Dy(), m.Stride, 1)
	return &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// then returns the orientation that applies o and then t, t acting on the
// image o made upright: HEIF states its rotations and mirrors as a sequence.
func (o orientation) then(t orientation) orientation {
	// An asymmetric image is enough to tell the eight apart.
	const w, h = 3, 2
	uw, uh := o.uprightSize(w, h)
	tw, th := t.uprightSize(uw, uh)
	for n := orientation(1); n <= 8; n++ {
		if nw, nh := n.uprightSize(w, h); nw != tw || nh != th {
			continue
		}
		same := true
		for y := 0; y < th && same; y++ {
			for x := 0; x < tw && same; x++ {
				mx, my := t.storedPoint(x, y, uw, uh)
				ox, oy := o.storedPoint(mx, my, w, h)
				nx, ny := n.storedPoint(x, y, w, h)
				same = ox == nx && oy == ny
			}
		}
		if same {
			return n
		}
	}
	return o // not reached: the orientations form a group
}
