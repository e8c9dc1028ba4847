package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"

	"golang.org/x/image/bmp"
	"log/slog"
	"math"
	"os"
	"strings"
	"testing"
)

// photoLike draws smooth shading with edges and fine texture, so that a
// reduced decode has high frequencies to lose.
func photoLike(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 120 + 90*math.Sin(5*fx+2*fy)
			g := 110 + 80*math.Cos(4*fy-3*fx)
			b := 100 + 50*math.Sin(30*fx*fy) + 12*math.Sin(float64(x)*0.7)*math.Cos(float64(y)*0.5)
			if (x/97+y/71)%4 == 0 {
				r, g = 230-r, 220-g
			}
			m.SetRGBA(x, y, color.RGBA{uint8(max(0, min(255, r))), uint8(max(0, min(255, g))), uint8(max(0, min(255, b))), 255})
		}
	}
	return m
}

// boxLinear averages f×f cells of r in linear light: the exact reference
// for an integer reduction.
func boxLinear(m image.Image, r image.Rectangle, f int) *image.RGBA {
	var toLinear [256]float64
	for i := range toLinear {
		toLinear[i] = srgbToLinear(float64(i) / 255)
	}
	out := image.NewRGBA(image.Rect(0, 0, r.Dx()/f, r.Dy()/f))
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			var sum [3]float64
			for yy := range f {
				for xx := range f {
					cr, cg, cb, _ := m.At(r.Min.X+x*f+xx, r.Min.Y+y*f+yy).RGBA()
					sum[0] += toLinear[cr>>8]
					sum[1] += toLinear[cg>>8]
					sum[2] += toLinear[cb>>8]
				}
			}
			var c [3]uint8
			for i := range c {
				c[i] = uint8(math.Round(255 * linearToSRGB(sum[i]/float64(f*f))))
			}
			out.SetRGBA(x, y, color.RGBA{c[0], c[1], c[2], 255})
		}
	}
	return out
}

// TestJPEGScaledDecodeQuality checks what decoding JPEG at a reduced size
// costs against decoding it in full (the path BMP takes): both outputs are
// compared with an exact linear-light box reduction of the full decode, at
// sizes that pick each reduction. The DCT-domain reduction stops at twice
// the output size, so the resampler's one pass decides the result either
// way: the two agree within 0.1 dB.
func TestJPEGScaledDecodeQuality(t *testing.T) {
	src := photoLike(1440, 1080)
	data := encodeJPEG(t, src, 92)
	full := decodeOutput(t, data)
	var bmpData bytes.Buffer
	if err := bmp.Encode(&bmpData, full); err != nil {
		t.Fatal(err)
	}
	crop := image.Rect(180, 0, 1260, 1080)
	for _, size := range []int{540, 270, 135} { // 1/2, 1/4, 1/8
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			ref := boxLinear(full, crop, crop.Dx()/size)
			opt := &Options{Size: size, Crop: CropCenter, Quality: 95, MaxBytes: 10 << 20}
			viaJPEG, err := Process(bytes.NewReader(data), opt)
			if err != nil {
				t.Fatal(err)
			}
			viaBMP, err := Process(bytes.NewReader(bmpData.Bytes()), opt)
			if err != nil {
				t.Fatal(err)
			}
			scaled, fullSize := psnr(decodeOutput(t, viaJPEG.JPEG), ref), psnr(decodeOutput(t, viaBMP.JPEG), ref)
			t.Logf("PSNR against the exact reduction: %.2f dB scaled, %.2f dB full-size", scaled, fullSize)
			if scaled < fullSize-0.3 {
				t.Errorf("scaled decode %.2f dB, more than 0.3 dB below the full-size decode's %.2f dB", scaled, fullSize)
			}
		})
	}
}

// withSize rewrites the dimensions in a JPEG's frame header or a PNG's
// IHDR, leaving the pixel data as it was.
func withSize(t *testing.T, data []byte, w, h int) []byte {
	t.Helper()
	b := bytes.Clone(data)
	if i := bytes.Index(b, []byte("IHDR")); i >= 0 && bytes.HasPrefix(b, []byte("\x89PNG")) {
		binary.BigEndian.PutUint32(b[i+4:], uint32(w))
		binary.BigEndian.PutUint32(b[i+8:], uint32(h))
		binary.BigEndian.PutUint32(b[i+17:], crc32.ChecksumIEEE(b[i:i+17]))
		return b
	}
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no baseline frame header")
	}
	binary.BigEndian.PutUint16(b[i+5:], uint16(h))
	binary.BigEndian.PutUint16(b[i+7:], uint16(w))
	return b
}

func TestPixelBudgets(t *testing.T) {
	small := photoLike(64, 48)
	jpg := encodeJPEG(t, small, 90)
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, small); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		tooBig  bool
		message string
	}{
		// A JPEG is decoded at the reduced size, so 200 MP is within budget
		// (this one then fails as corrupt: its data is for 64x48).
		{"200 MP JPEG", withSize(t, jpg, 16320, 12240), false, ""},
		{"300 MP JPEG", withSize(t, jpg, 20000, 15000), true, "over the limit of 250000000"},
		// A non-interlaced PNG streams into a reduced image, as a JPEG is
		// decoded at the reduced size; an interlaced one is decoded whole.
		{"200 MP PNG", withSize(t, pngBuf.Bytes(), 16320, 12240), false, ""},
		{"300 MP PNG", withSize(t, pngBuf.Bytes(), 20000, 15000), true, "over the limit of 250000000"},
		{"48 MP interlaced PNG", withSize(t, interlace(pngBuf.Bytes()), 8000, 6000), true, "over the limit of 40000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Process(bytes.NewReader(tt.data), &Options{Crop: CropCenter})
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrTooLarge); got != tt.tooBig {
				t.Fatalf("errors.Is(%q, ErrTooLarge) = %v, want %v", err, got, tt.tooBig)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not contain %q", err, tt.message)
			}
		})
	}
}

// TestDamagedJPEG checks the policy for JPEGs whose data is cut short or
// corrupt: what arrived is sent when under a tenth of the crop is missing,
// with a warning in the log; otherwise the photo is refused as truncated,
// saying how much is missing. Files libjpeg does not read either stay
// refused, naming the feature.
func TestDamagedJPEG(t *testing.T) {
	whole := encodeJPEG(t, photoLike(400, 300), 90)
	sos := bytes.Index(whole, []byte{0xFF, 0xDA})
	arith, err := os.ReadFile("internal/dctjpeg/testdata/arithmetic.jpg")
	if err != nil {
		t.Fatal(err)
	}
	sof := bytes.Index(whole, []byte{0xFF, 0xC0})
	tests := []struct {
		name    string
		data    []byte
		crop    Crop
		message string // "" when the photo is sent
		warned  bool
	}{
		{"arithmetic coding", arith, CropCenter, "", false},
		{"last rows cut", whole[:len(whole)-(len(whole)-sos)/30], CropCenter, "", true},
		{"EOI missing", whole[:len(whole)-2], CropCenter, "", true},
		{"half cut", whole[:sos+(len(whole)-sos)/2], CropCenter, "truncated: ", true},
		{"half cut, whole picture", whole[:sos+(len(whole)-sos)/2], CropNone, "of the photo's crop is missing", true},
		{"12-bit", append(append(bytes.Clone(whole[:sof+4]), 12), whole[sof+5:]...), CropCenter, "12-bit samples", false},
		{"lossless", append(append(bytes.Clone(whole[:sof]), 0xFF, 0xC3), whole[sof+2:]...), CropCenter, "lossless JPEG", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			res, err := Process(bytes.NewReader(tt.data), &Options{Crop: tt.crop, Logger: logger})
			if tt.message == "" {
				if err != nil {
					t.Fatal(err)
				}
				if res.Width == 0 {
					t.Fatal("no photo")
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("err = %v, want one containing %q", err, tt.message)
			}
			if got := strings.Contains(logs.String(), "damaged"); got != tt.warned {
				t.Errorf("warning logged = %v, want %v: %s", got, tt.warned, logs.String())
			}
		})
	}
}
