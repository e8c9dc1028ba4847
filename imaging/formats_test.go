package imaging

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// The quadrants*.{jpg,webp,tiff,gif,heic,avif} files in testdata were made
// from the 64x48 quadrants image with ImageMagick 6.9 and libvips 8.14 (see
// testdata/README.md); the rest of the inputs are encoded here.

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeWith(t testing.TB, enc func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// onWhite composites m over white in 8-bit sRGB: what Process must show for
// a transparent image.
func onWhite(m image.Image) *image.RGBA {
	b := m.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
			a := uint32(c.A)
			f := func(v uint8) uint8 { return uint8((uint32(v)*a + 255*(255-a) + 127) / 255) }
			out.SetRGBA(x, y, color.RGBA{f(c.R), f(c.G), f(c.B), 255})
		}
	}
	return out
}

// gradient16 returns a 16-bit image whose samples differ in their low byte,
// so that reading only the high byte, or overflowing, shows.
func gradient16(w, h int) *image.NRGBA64 {
	m := image.NewNRGBA64(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA64(x, y, color.NRGBA64{
				R: uint16(x * 0xffff / (w - 1)), G: uint16(y * 0xffff / (h - 1)),
				B: uint16(0x8000 + 0x7f*x), A: 0xffff,
			})
		}
	}
	return m
}

func TestProcessFormats(t *testing.T) {
	q := quadrants(64, 48)
	qAlpha := quadrants(64, 48)
	for y := range 48 {
		for x := 32; x < 64; x++ {
			qAlpha.Pix[qAlpha.PixOffset(x, y)+3] = 128
		}
	}
	gray := image.NewGray(q.Bounds())
	gray16 := image.NewGray16(q.Bounds())
	pal := image.NewPaletted(q.Bounds(), color.Palette{color.Transparent, q.At(0, 0), q.At(63, 0), q.At(0, 47), q.At(63, 47)})
	for y := range 48 {
		for x := range 64 {
			gray.Set(x, y, q.At(x, y))
			gray16.Set(x, y, color.Gray16{uint16(x * 1000)})
			pal.Set(x, y, q.At(x, y))
		}
	}
	palTransparent := image.NewPaletted(pal.Bounds(), pal.Palette)
	copy(palTransparent.Pix, pal.Pix)
	for y := range 24 {
		for x := range 32 {
			palTransparent.SetColorIndex(x, y, 0)
		}
	}
	g16 := gradient16(64, 48)
	rgba64 := image.NewRGBA64(q.Bounds())
	for y := range 48 {
		for x := range 64 {
			rgba64.Set(x, y, qAlpha.At(x, y))
		}
	}
	goGray := func(name string) image.Image { // the stdlib's reading of a grayscale JPEG
		m, err := jpeg.Decode(bytes.NewReader(readTestdata(t, name)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	pngOf := func(m image.Image) []byte {
		return encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, m) })
	}
	tests := []struct {
		name    string
		data    []byte
		format  string
		want    image.Image
		minPSNR float64
	}{
		{"jpeg baseline 4:2:0", encodeJPEG(t, q, 95), "jpeg", q, 30},
		{"jpeg 4:2:2", readTestdata(t, "quadrants-422.jpg"), "jpeg", q, 30},
		{"jpeg 4:4:4", readTestdata(t, "quadrants-444.jpg"), "jpeg", q, 30},
		{"jpeg progressive", readTestdata(t, "quadrants-progressive.jpg"), "jpeg", q, 30},
		{"jpeg grayscale", readTestdata(t, "quadrants-gray.jpg"), "jpeg", goGray("quadrants-gray.jpg"), 35},
		{"jpeg CMYK (Adobe, inverted)", readTestdata(t, "quadrants-cmyk.jpg"), "jpeg", q, 30},
		{"jpeg YCCK", readTestdata(t, "quadrants-ycck.jpg"), "jpeg", q, 30},
		{"png rgb", pngOf(q), "png", q, 35},
		{"png alpha", pngOf(qAlpha), "png", onWhite(qAlpha), 35},
		{"png 16-bit", pngOf(g16), "png", onWhite(g16), 35},
		{"png 16-bit premultiplied alpha", pngOf(rgba64), "png", onWhite(qAlpha), 35},
		{"png gray", pngOf(gray), "png", gray, 35},
		{"png gray 16-bit", pngOf(gray16), "png", gray16, 35},
		{"png palette", pngOf(pal), "png", q, 35},
		{"png palette transparent", pngOf(palTransparent), "png", onWhite(palTransparent), 35},
		{"gif", encodeWith(t, func(b *bytes.Buffer) error { return gif.Encode(b, pal, nil) }), "gif", q, 35},
		{"gif transparent", encodeWith(t, func(b *bytes.Buffer) error { return gif.Encode(b, palTransparent, nil) }), "gif", onWhite(palTransparent), 35},
		{"gif animated: first frame", readTestdata(t, "quadrants-animated.gif"), "gif", q, 35},
		// Lossy WebP smears chroma across the hard colour edges twice as far
		// as JPEG, and the output is a second lossy generation.
		{"webp lossy", readTestdata(t, "quadrants-lossy.webp"), "webp", q, 24},
		{"webp lossless", readTestdata(t, "quadrants-lossless.webp"), "webp", q, 35},
		{"webp lossy alpha", readTestdata(t, "quadrants-alpha-lossy.webp"), "webp", onWhite(qAlpha), 24},
		{"webp lossless alpha", readTestdata(t, "quadrants-alpha-lossless.webp"), "webp", onWhite(qAlpha), 35},
		{"webp animated: first frame", readTestdata(t, "quadrants-animated.webp"), "webp", q, 35},
		{"bmp", encodeWith(t, func(b *bytes.Buffer) error { return bmp.Encode(b, q) }), "bmp", q, 35},
		{"tiff", encodeWith(t, func(b *bytes.Buffer) error { return tiff.Encode(b, q, nil) }), "tiff", q, 35},
		{"heic", readTestdata(t, "quadrants.heic"), "heic", q, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tt.data), &Options{Crop: CropNone})
			if err != nil {
				t.Fatal(err)
			}
			want := &Result{Format: tt.format, SourceWidth: 64, SourceHeight: 48, Orientation: 1,
				Crop: image.Rect(0, 0, 64, 48), CropReason: "the whole image, no crop", Width: 64, Height: 48, Quality: DefaultQuality}
			if diff := cmp.Diff(want, res, cmpopts.IgnoreFields(Result{}, "JPEG", "Storage")); diff != "" {
				t.Errorf("Result mismatch (-want +got):\n%s", diff)
			}
			if p := psnr(decodeOutput(t, res.JPEG), tt.want); p < tt.minPSNR {
				t.Errorf("PSNR = %.1f dB, want >= %.0f", p, tt.minPSNR)
			}
		})
	}
}

// pngWithChunk inserts a chunk right after IHDR.
func pngWithChunk(p []byte, typ string, data []byte) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, c...)
	return append(out, p[ihdrEnd:]...)
}

// webpExtended rewraps a simple lossless 64x48 WebP as an extended one with
// the given VP8X flags and extra chunks (FourCC, payload) after the image.
func webpExtended(t testing.TB, simple []byte, flags byte, chunks ...string) []byte {
	if string(simple[12:16]) != "VP8L" {
		t.Fatal("want a simple lossless WebP")
	}
	out := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00")
	out = append(out, flags, 0, 0, 0, 63, 0, 0, 47, 0, 0) // 64x48
	out = append(out, simple[12:]...)
	for i := 0; i+1 < len(chunks); i += 2 {
		out = append(out, chunks[i]...)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(chunks[i+1])))
		out = append(out, chunks[i+1]...)
		if len(chunks[i+1])%2 == 1 {
			out = append(out, 0)
		}
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// webpWithExif returns a WebP carrying an EXIF chunk.
func webpWithExif(t testing.TB, simple, exif []byte) []byte {
	const exifFlag = 1 << 3
	return webpExtended(t, simple, exifFlag, "EXIF", string(exif))
}

// TestProcessExifContainers checks that orientation is read from every
// place formats keep Exif, and that a broken block never rotates.
func TestProcessExifContainers(t *testing.T) {
	q := quadrants(64, 48)
	jpg := encodeJPEG(t, q, 95)
	pngData := encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, q) })
	exif6 := tiffOrientation(6)
	bigEndian6 := []byte("MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
	truncated := exif6[:len(exif6)-12]
	outOfRange := tiffOrientation(9)
	wrongType := append([]byte{}, exif6...)
	wrongType[12] = 4                                 // LONG instead of SHORT
	loop := []byte("II*\x00\x08\x00\x00\x00\xff\xff") // claims 65535 entries
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"jpeg APP1", withAPP1(jpg, append([]byte("Exif\x00\x00"), exif6...)), 6},
		{"jpeg APP1 big-endian", withAPP1(jpg, append([]byte("Exif\x00\x00"), bigEndian6...)), 6},
		{"jpeg XMP APP1 is not Exif", withAPP1(jpg, []byte("http://ns.adobe.com/xap/1.0/\x00<x/>")), 1},
		{"png eXIf", pngWithChunk(pngData, "eXIf", exif6), 6},
		{"webp EXIF", webpWithExif(t, readTestdata(t, "quadrants-lossless.webp"), exif6), 6},
		{"webp EXIF with JPEG signature", webpWithExif(t, readTestdata(t, "quadrants-lossless.webp"), append([]byte("Exif\x00\x00"), exif6...)), 6},
		{"tiff Orientation tag", readTestdata(t, "quadrants-orient6.tiff"), 6},
		{"truncated", withAPP1(jpg, append([]byte("Exif\x00\x00"), truncated...)), 1},
		{"value 9", withAPP1(jpg, append([]byte("Exif\x00\x00"), outOfRange...)), 1},
		{"wrong type", withAPP1(jpg, append([]byte("Exif\x00\x00"), wrongType...)), 1},
		{"entry count past the end", withAPP1(jpg, append([]byte("Exif\x00\x00"), loop...)), 1},
		{"garbage", withAPP1(jpg, []byte("Exif\x00\x00garbage")), 1},
		{"png eXIf garbage", pngWithChunk(pngData, "eXIf", []byte{1, 2, 3}), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tt.data), &Options{Crop: CropNone})
			if err != nil {
				t.Fatal(err)
			}
			if res.Orientation != tt.want {
				t.Errorf("Orientation = %d, want %d", res.Orientation, tt.want)
			}
			if p := psnr(decodeOutput(t, res.JPEG), displayed(q, tt.want)); p < 30 {
				t.Errorf("PSNR against the image shown with orientation %d = %.1f dB, want >= 30", tt.want, p)
			}
		})
	}
}

func TestProcessUnsupportedRealFiles(t *testing.T) {
	for name, want := range map[string]string{
		"quadrants.avif": "unsupported image format: AVIF is not supported yet; export as JPEG",
		// x/image/tiff reads RGB, gray and palette TIFFs only.
		"quadrants-cmyk.tiff": "unsupported image format: this TIFF uses a feature the decoder lacks (tiff: unsupported feature: color model); save it as JPEG or PNG",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Process(bytes.NewReader(readTestdata(t, name)), nil)
			if err == nil || err.Error() != want {
				t.Errorf("err = %v, want %q", err, want)
			}
		})
	}
}
