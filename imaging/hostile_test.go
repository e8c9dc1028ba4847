package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// withWatchdog fails the test if f runs longer than a hostile input may
// take; the work is abandoned, not waited for.
func withWatchdog(t *testing.T, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("still running after %v", limit)
	}
}

// pngHeader returns a PNG whose IHDR claims w×h RGBA pixels, followed by a
// tiny IDAT: a decompression bomb's header without the bomb.
func pngHeader(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		c = append(c, typ...)
		c = append(c, data...)
		return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, chunk("IEND", nil)...)
}

// jpegHeader returns the start of a baseline JFIF whose SOF0 claims w×h.
func jpegHeader(w, h uint16) []byte {
	out := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
	out = append(out, 0xff, 0xc0, 0x00, 0x11, 8)
	out = binary.BigEndian.AppendUint16(out, h)
	out = binary.BigEndian.AppendUint16(out, w)
	return append(out, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9)
}

func TestProcessHostile(t *testing.T) {
	gifScreen := []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00;")
	webpCanvas := []byte("RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\xff\x3f\x00\xff\x3f\x00")
	bmpHeader := func() []byte {
		b := []byte("BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00")
		b = binary.LittleEndian.AppendUint32(b, 50000)
		b = binary.LittleEndian.AppendUint32(b, 50000)
		b = append(b, 1, 0, 24, 0)
		return append(b, make([]byte, 24)...)
	}()
	q := pngOfQuadrants(t)
	bigExif := pngWithChunk(q, "eXIf", append(tiffOrientation(6), make([]byte, MaxExifBytes)...))
	manyScans := func() []byte {
		prog := readTestdata(t, "quadrants-progressive.jpg")
		first := bytes.Index(prog, []byte{0xff, 0xda})
		out := append([]byte{}, prog[:first]...)
		for range maxJPEGScans + 1 {
			// An empty DC refinement scan of the first component.
			out = append(out, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 0, 0x10, 0)
		}
		return append(out, 0xff, 0xd9)
	}()
	tests := []struct {
		name string
		data []byte
		kind error // nil: a *FormatError
	}{
		{"jpeg with more scans than the bound", manyScans, ErrTooLarge},
		{"png claims 100000x100000", pngHeader(100000, 100000), ErrTooLarge},
		{"png claims 2^31-1 wide", pngHeader(1<<31-1, 1), ErrTooLarge},
		{"jpeg claims 65535x65535", jpegHeader(65535, 65535), ErrTooLarge},
		{"gif screen 65535x65535", gifScreen, ErrTooLarge},
		{"webp canvas 16384x16384", webpCanvas, ErrTooLarge},
		{"bmp claims 50000x50000", bmpHeader, ErrTooLarge},
		{"png eXIf over the bound", bigExif, ErrTooLarge},
		{"png within budget, no pixel data", pngHeader(4000, 3000), nil},
		{"jpeg within budget, no scan", jpegHeader(4000, 3000), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withWatchdog(t, 10*time.Second, func() {
				_, err := Process(bytes.NewReader(tt.data), nil)
				var fe *FormatError
				switch {
				case tt.kind != nil && !errors.Is(err, tt.kind):
					t.Errorf("err = %v, want %v", err, tt.kind)
				case tt.kind == nil && !errors.As(err, &fe):
					t.Errorf("err = %v (%T), want a *FormatError", err, err)
				}
			})
		})
	}
}

func pngOfQuadrants(t testing.TB) []byte {
	return encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, quadrants(64, 48)) })
}

// TestProcessManyFrames checks that an animation costs one frame however
// many it has.
func TestProcessManyFrames(t *testing.T) {
	first := image.NewPaletted(image.Rect(0, 0, 64, 48), color.Palette{color.White, color.Black})
	other := image.NewPaletted(first.Rect, first.Palette)
	for i := range other.Pix {
		other.Pix[i] = 1
	}
	anim := &gif.GIF{Image: []*image.Paletted{first}, Delay: []int{1}}
	for range 2000 {
		anim.Image = append(anim.Image, other)
		anim.Delay = append(anim.Delay, 1)
	}
	data := encodeWith(t, func(b *bytes.Buffer) error { return gif.EncodeAll(b, anim) })
	withWatchdog(t, 10*time.Second, func() {
		res, err := Process(bytes.NewReader(data), &Options{Crop: CropNone})
		if err != nil {
			t.Error(err)
			return
		}
		r, g, b, _ := decodeOutput(t, res.JPEG).At(10, 10).RGBA()
		if r>>8 < 250 || g>>8 < 250 || b>>8 < 250 {
			t.Errorf("pixel = %d,%d,%d; want the white first frame", r>>8, g>>8, b>>8)
		}
	})
}

// TestProcessTruncated cuts every test file at many lengths: each cut must
// give a typed error or a photo, never a panic or a hang.
func TestProcessTruncated(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "quadrants*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			withWatchdog(t, 20*time.Second, func() {
				for n := 0; n < len(data); n += max(1, len(data)/40) {
					_, err := Process(bytes.NewReader(data[:n]), &Options{Size: 32})
					if err != nil && !typed(err) {
						t.Errorf("cut at %d: untyped error %v (%T)", n, err, err)
					}
				}
			})
		})
	}
}

// typed reports whether err is one of the kinds the package documents.
func typed(err error) bool {
	var fe *FormatError
	return errors.Is(err, ErrUnsupportedFormat) || errors.Is(err, ErrTooLarge) || errors.As(err, &fe)
}

// TestUnknownFormatKeepsTheBytesOut: the error for a file that is not an
// image goes to logs and terminals, so it never repeats the file's bytes.
func TestUnknownFormatKeepsTheBytesOut(t *testing.T) {
	data := []byte("refresh_token=1//0secret-value")
	_, err := Process(bytes.NewReader(data), nil)
	if !errors.Is(err, ErrUnsupportedFormat) {
		t.Fatalf("error %v, want ErrUnsupportedFormat", err)
	}
	for _, leak := range []string{"refresh", "72 65 66", "secret"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q repeats the file's bytes (%q)", err, leak)
		}
	}
}
