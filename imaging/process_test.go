package imaging

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProcessOrientation(t *testing.T) {
	stored := quadrants(64, 48)
	jpg := encodeJPEG(t, stored, 95)
	for o := 1; o <= 8; o++ {
		t.Run(string(rune('0'+o)), func(t *testing.T) {
			in := withAPP1(jpg, append([]byte("Exif\x00\x00"), tiffOrientation(uint16(o))...))
			res, err := Process(bytes.NewReader(in), &Options{Crop: CropNone})
			if err != nil {
				t.Fatal(err)
			}
			want := displayed(stored, o)
			if res.Orientation != o {
				t.Errorf("Orientation = %d, want %d", res.Orientation, o)
			}
			if p := psnr(decodeOutput(t, res.JPEG), want); p < 30 {
				t.Errorf("PSNR against the upright image = %.1f dB, want >= 30", p)
			}
		})
	}
}

func TestProcessSquareNeverUpscales(t *testing.T) {
	tests := []struct {
		name       string
		w, h, size int
		crop       Crop
		wantCrop   image.Rectangle
		wantW      int
		wantH      int
	}{
		{"landscape center", 400, 300, 200, CropCenter, image.Rect(50, 0, 350, 300), 200, 200},
		{"small stays small", 120, 90, 720, CropCenter, image.Rect(15, 0, 105, 90), 90, 90},
		{"portrait none", 300, 600, 200, CropNone, image.Rect(0, 0, 300, 600), 100, 200},
		{"portrait face fallback near the top", 300, 600, 300, CropFace, image.Rect(0, 30, 300, 330), 300, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := encodeJPEG(t, quadrants(tt.w, tt.h), 90)
			res, err := Process(bytes.NewReader(in), &Options{Size: tt.size, Crop: tt.crop})
			if err != nil {
				t.Fatal(err)
			}
			got := [3]any{res.Crop, res.Width, res.Height}
			if diff := cmp.Diff([3]any{tt.wantCrop, tt.wantW, tt.wantH}, got); diff != "" {
				t.Errorf("crop, width, height (-want +got):\n%s", diff)
			}
			if b := decodeOutput(t, res.JPEG).Bounds(); b.Dx() != tt.wantW || b.Dy() != tt.wantH {
				t.Errorf("JPEG is %v, want %dx%d", b, tt.wantW, tt.wantH)
			}
		})
	}
}

func TestProcessAlphaOnWhite(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := 16; x < 32; x++ {
			m.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 128}) // right half: black at 50%
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	res, err := Process(&buf, &Options{Crop: CropNone})
	if err != nil {
		t.Fatal(err)
	}
	out := decodeOutput(t, res.JPEG)
	for _, tc := range []struct {
		x    int
		want uint32
	}{{4, 255}, {28, 127}} {
		r, g, b, _ := out.At(tc.x, 16).RGBA()
		for _, v := range []uint32{r >> 8, g >> 8, b >> 8} {
			if d := int(v) - int(tc.want); d < -3 || d > 3 {
				t.Errorf("pixel at x=%d = (%d,%d,%d), want about %d", tc.x, r>>8, g>>8, b>>8, tc.want)
				break
			}
		}
	}
}

func TestProcessMaxBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, noise); err != nil {
		t.Fatal(err)
	}
	in := buf.Bytes()
	full, err := Process(bytes.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	budget := len(full.JPEG) / 2
	res, err := Process(bytes.NewReader(in), &Options{MaxBytes: budget})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.JPEG) > budget || res.Quality >= DefaultQuality || res.Quality < minQuality {
		t.Errorf("got %d bytes at quality %d, want at most %d bytes at a quality in [%d, %d)",
			len(res.JPEG), res.Quality, budget, minQuality, DefaultQuality)
	}
	_, err = Process(bytes.NewReader(in), &Options{MaxBytes: 1000})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("1000-byte budget: err = %v, want ErrTooLarge", err)
	}
}

func TestProcessErrors(t *testing.T) {
	png1 := func() []byte {
		var buf bytes.Buffer
		if err := png.Encode(&buf, quadrants(40, 30)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}()
	tests := []struct {
		name       string
		data       []byte
		opt        *Options
		kind       error // ErrUnsupportedFormat, ErrTooLarge, or nil for *FormatError
		wantInText string
	}{
		{"empty", nil, nil, nil, "empty"},
		{"heic without meta", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), nil, nil, "corrupt HEIC image: invalid HEIF: no meta box"},
		{"avif", []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"), nil, ErrUnsupportedFormat, "AVIF is not supported yet; export as JPEG"},
		{"pdf", []byte("%PDF-1.7\n"), nil, ErrUnsupportedFormat, "PDF"},
		{"html", []byte("<!DOCTYPE html><html>"), nil, ErrUnsupportedFormat, "HTML"},
		{"unknown", []byte("hello world"), nil, ErrUnsupportedFormat, "not a JPEG, PNG, GIF, WebP, BMP, TIFF or HEIC image"},
		{"truncated png", png1[:len(png1)/2], nil, nil, "corrupt PNG image"},
		{"truncated jpeg header", []byte{0xff, 0xd8, 0xff, 0xe0, 0x00}, nil, nil, "corrupt JPEG image"},
		{"over pixel budget", png1, &Options{MaxPixels: 1000}, ErrTooLarge, "40x30 is 1200 pixels, over the limit of 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tt.data), tt.opt)
			if err == nil {
				t.Fatalf("Process succeeded (%+v), want an error", res)
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Errorf("err = %v, want one matching %v", err, tt.kind)
			}
			var fe *FormatError
			if tt.kind == nil && !errors.As(err, &fe) {
				t.Errorf("err = %v (%T), want a *FormatError", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantInText) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantInText)
			}
			var p interface{ Permanent() bool }
			if !errors.As(err, &p) || !p.Permanent() {
				t.Errorf("err = %v is not marked permanent", err)
			}
		})
	}
}

func TestParseCrop(t *testing.T) {
	for in, want := range map[string]Crop{"": CropFace, "face": CropFace, "Center": CropCenter, " none ": CropNone} {
		if got, err := ParseCrop(in); err != nil || got != want {
			t.Errorf("ParseCrop(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseCrop("middle"); err == nil {
		t.Error(`ParseCrop("middle") succeeded, want an error`)
	}
}

// TestProcessStripsMetadata checks that nothing of the source's metadata
// (Exif with GPS, XMP, ICC, comments) reaches the photo sent to Google.
func TestProcessStripsMetadata(t *testing.T) {
	in := encodeJPEG(t, quadrants(64, 48), 90)
	in = withAPP1(in, append([]byte("Exif\x00\x00"), tiffOrientation(1)...))
	in = withAPP1(in, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPS 48.85N 2.35E</x:xmpmeta>"))
	comment := []byte{0xff, 0xfe, 0x00, 0x0c}
	comment = append(comment, "secret cam"...)
	in = append(in[:2], append(comment, in[2:]...)...)
	res, err := Process(bytes.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	var markers []byte
	walkJPEG(res.JPEG, func(marker byte, seg []byte) bool {
		if marker >= 0xe0 && marker <= 0xef || marker == 0xfe {
			markers = append(markers, marker)
		}
		return true
	})
	if len(markers) != 0 {
		t.Errorf("output has metadata segments % x, want none", markers)
	}
	for _, s := range []string{"GPS", "secret", "Exif", "xmpmeta"} {
		if bytes.Contains(res.JPEG, []byte(s)) {
			t.Errorf("output contains %q", s)
		}
	}
}

// TestProcessConcurrent runs Process from several goroutines, as a
// function instance serving concurrent requests does; run it with -race.
func TestProcessConcurrent(t *testing.T) {
	in := readTestdata(t, "face.jpg")
	want, err := Process(bytes.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			t.Parallel()
			got, err := Process(bytes.NewReader(in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.JPEG, want.JPEG) {
				t.Error("output differs from a sequential run")
			}
		})
	}
}

// TestProcessBufferIsLentNotCopiedOrChanged checks that a *bytes.Buffer's
// bytes are decoded in place: the result matches a plain reader's, and the
// caller's bytes are left as they were.
func TestProcessBufferIsLentNotCopiedOrChanged(t *testing.T) {
	data := encodeJPEG(t, quadrants(640, 480), 90)
	orig := bytes.Clone(data)
	fromReader, err := Process(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.NewBuffer(data)
	fromBuffer, err := Process(buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromReader.JPEG, fromBuffer.JPEG) {
		t.Error("a *bytes.Buffer gave another photo than a plain reader")
	}
	if !bytes.Equal(data, orig) {
		t.Error("Process changed the caller's bytes")
	}

	// A noisy photo compresses badly, so its bytes are a large share of
	// what Process allocates: lending them must save at least their size.
	noise := image.NewNRGBA(image.Rect(0, 0, 1600, 1200))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.Uint32())
	}
	big := encodeJPEG(t, noise, 95)
	allocated := func(r func() io.Reader) uint64 {
		least := uint64(math.MaxUint64)
		for range 3 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if _, err := Process(r(), nil); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			least = min(least, after.TotalAlloc-before.TotalAlloc)
		}
		return least
	}
	copied := allocated(func() io.Reader { return bytes.NewReader(big) })
	lent := allocated(func() io.Reader { return bytes.NewBuffer(big) })
	if copied < lent || copied-lent < uint64(len(big)) {
		t.Errorf("Process allocated %d bytes from a reader and %d from a buffer of %d bytes; the buffer's bytes were copied",
			copied, lent, len(big))
	}
}
