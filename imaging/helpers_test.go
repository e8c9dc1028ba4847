package imaging

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"
)

// quadrants returns a w×h image whose four quadrants have distinct colours,
// so that every one of the eight orientations gives a different picture.
func quadrants(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	colors := [2][2]color.NRGBA{
		{{220, 30, 30, 255}, {30, 200, 40, 255}},  // top: red, green
		{{30, 40, 210, 255}, {240, 220, 40, 255}}, // bottom: blue, yellow
	}
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, colors[2*y/h][2*x/w])
		}
	}
	return m
}

// Display transforms as the Exif specification words them, built from
// mirror and clockwise rotation, independently of the package's own mapping.
func flipH(m *image.NRGBA) *image.NRGBA {
	b := m.Bounds()
	d := image.NewNRGBA(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			d.SetNRGBA(b.Dx()-1-x, y, m.NRGBAAt(x, y))
		}
	}
	return d
}

func rotCW(m *image.NRGBA) *image.NRGBA {
	b := m.Bounds()
	d := image.NewNRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			d.SetNRGBA(b.Dy()-1-y, x, m.NRGBAAt(x, y))
		}
	}
	return d
}

func displayed(m *image.NRGBA, o int) *image.NRGBA {
	switch o {
	case 2:
		return flipH(m)
	case 3:
		return rotCW(rotCW(m))
	case 4:
		return rotCW(rotCW(flipH(m)))
	case 5:
		return rotCW(rotCW(rotCW(flipH(m))))
	case 6:
		return rotCW(m)
	case 7:
		return rotCW(flipH(m))
	case 8:
		return rotCW(rotCW(rotCW(m)))
	}
	return m
}

// tiffOrientation returns a little-endian TIFF structure with one IFD0 entry:
// Orientation = o.
func tiffOrientation(o uint16) []byte {
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 0x0112)
	b = binary.LittleEndian.AppendUint16(b, 3)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint16(b, o)
	b = append(b, 0, 0)
	return binary.LittleEndian.AppendUint32(b, 0) // no next IFD
}

// withAPP1 inserts an APP1 segment carrying payload right after SOI.
func withAPP1(jpg, payload []byte) []byte {
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// withICC inserts an APP2 segment carrying profile as one ICC_PROFILE
// chunk right after SOI.
func withICC(jpg, profile []byte) []byte {
	out := withAPP1(jpg, append([]byte("ICC_PROFILE\x00\x01\x01"), profile...))
	out[3] = 0xe2
	return out
}

func encodeJPEG(t testing.TB, m image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodeOutput(t testing.TB, b []byte) image.Image {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("output is not a JPEG: %v", err)
	}
	return m
}

// psnr compares two images of the same size in 8-bit RGB; a and b with
// different sizes compare as 0 dB.
func psnr(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() {
		return 0
	}
	var sum float64
	for y := range ab.Dy() {
		for x := range ab.Dx() {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				sum += d * d
			}
		}
	}
	mse := sum / float64(3*ab.Dx()*ab.Dy())
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}
