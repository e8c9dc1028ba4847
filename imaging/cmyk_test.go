package imaging

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math"
	"testing"
)

// testCMYKLab is the press the synthetic CMYK profile describes: the Lab
// colour of each corner of the ink cube (c, m, y, k each 0 or 1).
func testCMYKLab(c, m, y, k float64) [3]float64 {
	return [3]float64{
		95 * (1 - 0.35*c) * (1 - 0.45*m) * (1 - 0.1*y) * (1 - 0.85*k),
		-5 - 30*c + 70*m - 10*y,
		-2 - 45*c - 5*m + 85*y,
	}
}

// cmykProfileFor builds an output profile with a 16-bit, two-point-per-ink
// A2B0 table from testCMYKLab, identity curves, Lab PCS.
func cmykProfileFor() []byte {
	u16 := func(b []byte, v float64) []byte {
		return binary.BigEndian.AppendUint16(b, uint16(math.Round(min(max(v, 0), 65535))))
	}
	t := []byte("mft2\x00\x00\x00\x00\x04\x03\x02\x00")
	for i := range 9 { // identity matrix, unused for CMYK input
		v := uint32(0)
		if i%4 == 0 {
			v = 1 << 16
		}
		t = binary.BigEndian.AppendUint32(t, v)
	}
	t = binary.BigEndian.AppendUint16(t, 2)
	t = binary.BigEndian.AppendUint16(t, 2)
	for range 4 {
		t = u16(u16(t, 0), 65535)
	}
	for corner := range 16 {
		bit := func(i int) float64 { return float64(corner >> (3 - i) & 1) }
		lab := testCMYKLab(bit(0), bit(1), bit(2), bit(3))
		t = u16(t, lab[0]*65280/100)
		t = u16(t, (lab[1]+128)*256)
		t = u16(t, (lab[2]+128)*256)
	}
	for range 3 {
		t = u16(u16(t, 0), 65535)
	}
	p := make([]byte, 128)
	copy(p[8:], "\x02\x10\x00\x00prtrCMYKLab ")
	copy(p[36:], "acsp")
	p = binary.BigEndian.AppendUint32(p, 1)
	p = append(p, "A2B0"...)
	p = binary.BigEndian.AppendUint32(p, 144)
	p = binary.BigEndian.AppendUint32(p, uint32(len(t)))
	p = append(p, t...)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	return p
}

// labToSRGB8 is the reference conversion: Lab (D50) to XYZ, then the
// Bradford-adapted XYZ(D50) to linear sRGB matrix as published by Bruce
// Lindbloom, then the sRGB curve.
func labToSRGB8(lab [3]float64) [3]int {
	fy := (lab[0] + 16) / 116
	f := [3]float64{fy + lab[1]/500, fy, fy - lab[2]/200}
	white := [3]float64{0.96422, 1, 0.82521}
	var xyz [3]float64
	for i, t := range f {
		if t > 6.0/29 {
			xyz[i] = t * t * t * white[i]
		} else {
			xyz[i] = 3 * (6.0 / 29) * (6.0 / 29) * (t - 4.0/29) * white[i]
		}
	}
	m := [3][3]float64{
		{3.1338561, -1.6168667, -0.4906146},
		{-0.9787684, 1.9161415, 0.0334540},
		{0.0719453, -0.2289914, 1.4052427},
	}
	var out [3]int
	for r := range 3 {
		v := m[r][0]*xyz[0] + m[r][1]*xyz[1] + m[r][2]*xyz[2]
		out[r] = int(math.Round(255 * linearToSRGB(min(1, max(0, v)))))
	}
	return out
}

// TestProcessCMYKProfile checks that a CMYK JPEG with an embedded press
// profile comes out in the colours the profile gives its inks, not those of
// the textbook formula.
func TestProcessCMYKProfile(t *testing.T) {
	plain := readTestdata(t, "quadrants-cmyk.jpg")
	stored, err := jpeg.Decode(bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	inks := stored.(*image.CMYK)
	withProfile := withICC(plain, cmykProfileFor())
	res, err := Process(bytes.NewReader(withProfile), &Options{Crop: CropNone})
	if err != nil {
		t.Fatal(err)
	}
	out := decodeOutput(t, res.JPEG)
	for _, p := range []image.Point{{16, 12}, {48, 12}, {16, 36}, {48, 36}} {
		ink := inks.CMYKAt(p.X, p.Y)
		c, m, y, k := float64(ink.C)/255, float64(ink.M)/255, float64(ink.Y)/255, float64(ink.K)/255
		// Multilinear interpolation of the corners, as the profile's
		// two-point grid defines the press.
		var lab [3]float64
		for corner := range 16 {
			w := 1.0
			var at [4]float64
			for i, v := range [4]float64{c, m, y, k} {
				if corner>>(3-i)&1 == 1 {
					w *= v
					at[i] = 1
				} else {
					w *= 1 - v
				}
			}
			l := testCMYKLab(at[0], at[1], at[2], at[3])
			for i := range lab {
				lab[i] += w * l[i]
			}
		}
		want := labToSRGB8(lab)
		r, g, b, _ := out.At(p.X, p.Y).RGBA()
		got := [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
		for i := range 3 {
			if d := got[i] - want[i]; d < -4 || d > 4 {
				t.Errorf("inks %v at %v: got %v, want %v ± 4", ink, p, got, want)
				break
			}
		}
	}
}

func TestNewCMYKProfileRejects(t *testing.T) {
	good := cmykProfileFor()
	rgbSpace := append([]byte{}, good...)
	copy(rgbSpace[16:], "RGB ")
	for name, p := range map[string][]byte{
		"nil":         nil,
		"RGB profile": rgbSpace,
		"truncated":   good[:200],
		"no A2B0":     good[:132],
	} {
		if cp := newCMYKProfile(p); cp != nil {
			t.Errorf("newCMYKProfile(%s) = non-nil, want nil", name)
		}
	}
	if newCMYKProfile(good) == nil {
		t.Error("newCMYKProfile(a valid profile) = nil")
	}
}
