//go:build ignore

// gen writes the hostile-input corpus of the function's tests into the
// directory it runs in. Run it from the repository root with
//
//	go generate -run hostile .
//
// Every file is small: the bombs claim or inflate to huge sizes, they are not
// huge themselves.
package main

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"log"
	"os"
	"path/filepath"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	valid := gradientJPEG(80, 60)
	validPNG := encodePNG(gradient(40, 30))
	validHEIC, err := os.ReadFile("imaging/internal/heif/testdata/single-64x64-q30.heic")
	if err != nil {
		log.Fatal(err)
	}
	files := map[string][]byte{
		"valid.jpg":            valid,
		"valid.png":            validPNG,
		"empty.jpg":            {},
		"text.jpg":             []byte("This is a text file that somebody named photo.jpg.\n"),
		"page.html":            []byte("<!DOCTYPE html>\n<html><head><title>Photo</title></head><body><img src=\"photo.jpg\"></body></html>\n"),
		"svg.svg":              []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><circle r="50000"/></svg>`),
		"document.pdf":         []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
		"archive.zip":          append([]byte("PK\x03\x04\x14\x00\x00\x00\x00\x00"), make([]byte, 40)...),
		"photo.avif":           isoBMFF("avif"),
		"photo.heic":           isoBMFF("heic"),
		"valid.heic":           validHEIC,
		"heic-truncated.heic":  validHEIC[:len(validHEIC)/2],
		"heic-ispe-60000.heic": lyingISPE(validHEIC, 60000),
		"truncated.jpg":        valid[:len(valid)/2],
		"soi-only.jpg":         {0xff, 0xd8},
		"bad-huffman.jpg":      corruptHuffman(valid),
		"sof-65535.jpg":        jpegHeader(65535, 65535),
		"png-bomb.png":         pngHeader(100000, 100000),
		"png-bad-crc.png":      badCRC(validPNG),
		"png-truncated.png":    validPNG[:len(validPNG)-20],
		"png-iccp-bomb.png":    withPNGChunk(validPNG, "iCCP", append([]byte("bomb\x00\x00"), zlibZeros(64<<20)...)),
		"png-ztxt-bomb.png":    withPNGChunk(validPNG, "zTXt", append([]byte("Comment\x00\x00"), zlibZeros(64<<20)...)),
		"png-ztxt-lying.png":   withLyingChunk(validPNG, "zTXt", 0x7ffffff0),
		"png-16bit.png":        encodePNG(gradient16(40, 30)),
		"gif-10000-frames.gif": manyFrames(10000),
		"gif-screen-65535.gif": []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00;"),
		"gif-truncated.gif":    manyFrames(2)[:40],
		"webp-lying-riff.webp": lyingWebP(),
		"webp-lying-vp8l.webp": lyingVP8L(),
		"webp-canvas.webp":     []byte("RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\xff\x3f\x00\xff\x3f\x00"),
		"bmp-50000.bmp":        bmpHeader(50000, 50000),
		"tiff-circular.tiff":   tiff(false),
		"tiff-exif-loop.tiff":  tiff(true),
		"exif-loop.jpg":        withExif(valid, exifLoop()),
		"exif-orient-0.jpg":    withExif(valid, exifOrientation(0)),
		"exif-orient-9.jpg":    withExif(valid, exifOrientation(9)),
		"exif-orient-255.jpg":  withExif(valid, exifOrientation(255)),
		"exif-orient-6.jpg":    withExif(valid, exifOrientation(6)),
		"exif-lying-length.jpg": append(append([]byte{0xff, 0xd8, 0xff, 0xe1, 0xff, 0xf0}, "Exif\x00\x00II*\x00"...),
			valid[2:]...),
		"at-max-pixels.png":   encodePNG(gradient(100, 100)),
		"over-max-pixels.png": encodePNG(gradient(101, 100)),
		"one-pixel.jpg":       gradientJPEG(1, 1),
		"jpeg-then-zip.jpg":   append(append([]byte{}, valid...), "PK\x05\x06"+string(make([]byte, 18))...),
		"valid.jpg.gz":        gzipped(valid),
		"gzip-bomb.jpg.gz":    gzipped(make([]byte, 16<<20)),
	}
	var total int
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
		total += len(data)
	}
	fmt.Printf("wrote %d files, %d bytes\n", len(files), total)
}

func gradient(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / max(w-1, 1)), uint8(y * 255 / max(h-1, 1)), 100, 255})
		}
	}
	return img
}

func gradient16(w, h int) image.Image {
	img := image.NewRGBA64(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA64{uint16(x * 65535 / (w - 1)), uint16(y * 65535 / (h - 1)), 30000, 65535})
		}
	}
	return img
}

func gradientJPEG(w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, gradient(w, h), &jpeg.Options{Quality: 90}); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// lyingISPE makes the ispe property of a HEIC claim side×side pixels.
func lyingISPE(heic []byte, side uint32) []byte {
	out := append([]byte{}, heic...)
	i := bytes.Index(out, []byte("ispe"))
	binary.BigEndian.PutUint32(out[i+8:], side)
	binary.BigEndian.PutUint32(out[i+12:], side)
	return out
}

// isoBMFF is the start of an ISO base media file of the given brand, as
// AVIF and HEIC files begin.
func isoBMFF(brand string) []byte {
	b := binary.BigEndian.AppendUint32(nil, 24)
	b = append(b, "ftyp"+brand...)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = append(b, "mif1"+brand...)
	return append(b, make([]byte, 32)...)
}

// corruptHuffman makes the first Huffman table claim more codes than its
// segment holds.
func corruptHuffman(jpg []byte) []byte {
	out := append([]byte{}, jpg...)
	i := bytes.Index(out, []byte{0xff, 0xc4})
	if i < 0 {
		log.Fatal("no DHT segment")
	}
	out[i+5+15] = 0xff // codes of 16 bits
	return out
}

func jpegHeader(w, h uint16) []byte {
	out := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
	out = append(out, 0xff, 0xc0, 0x00, 0x11, 8)
	out = binary.BigEndian.AppendUint16(out, h)
	out = binary.BigEndian.AppendUint16(out, w)
	return append(out, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9)
}

func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, pngChunk("IEND", nil)...)
}

// withPNGChunk inserts a chunk right after IHDR.
func withPNGChunk(p []byte, typ string, data []byte) []byte {
	const afterIHDR = 8 + 8 + 13 + 4
	out := append([]byte{}, p[:afterIHDR]...)
	out = append(out, pngChunk(typ, data)...)
	return append(out, p[afterIHDR:]...)
}

// withLyingChunk inserts, after IHDR, a chunk header claiming length bytes
// that are not there.
func withLyingChunk(p []byte, typ string, length uint32) []byte {
	const afterIHDR = 8 + 8 + 13 + 4
	out := append([]byte{}, p[:afterIHDR]...)
	out = binary.BigEndian.AppendUint32(out, length)
	out = append(out, typ...)
	return append(out, p[afterIHDR:]...)
}

func badCRC(p []byte) []byte {
	out := append([]byte{}, p...)
	out[8+8+13] ^= 0xff // IHDR's CRC
	return out
}

func zlibZeros(n int) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zw.Write(make([]byte, n))
	zw.Close()
	return buf.Bytes()
}

func gzipped(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// manyFrames is a GIF of n frames: a 16x16 first frame, then 1x1 ones.
func manyFrames(n int) []byte {
	pal := color.Palette{color.White, color.Black}
	first := image.NewPaletted(image.Rect(0, 0, 16, 16), pal)
	tiny := image.NewPaletted(image.Rect(0, 0, 1, 1), pal)
	tiny.Pix[0] = 1
	anim := &gif.GIF{Image: []*image.Paletted{first}, Delay: []int{0}}
	for range n - 1 {
		anim.Image = append(anim.Image, tiny)
		anim.Delay = append(anim.Delay, 0)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// lyingWebP has a RIFF size far beyond the file and a VP8 frame header
// whose partition size runs past the data.
func lyingWebP() []byte {
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, 0x7ffffff0)
	b = append(b, "WEBPVP8 "...)
	b = binary.LittleEndian.AppendUint32(b, 0x7fffff00)
	// A key frame tag with a huge first partition, the start code, 64x64.
	b = append(b, 0x50, 0xff, 0xff, 0x9d, 0x01, 0x2a, 64, 0, 64, 0)
	return append(b, make([]byte, 16)...)
}

// lyingVP8L claims a 64x64 lossless image and carries noise instead.
func lyingVP8L() []byte {
	// The signature, then width-1 and height-1 (63) in 14 bits each, no
	// alpha, version 0, least significant bit first.
	body := []byte{0x2f, 0x3f, 0xc0, 0x0f, 0x00}
	for i := range 40 {
		body = append(body, byte(i*37+11))
	}
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(4+8+len(body)))
	b = append(b, "WEBPVP8L"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

func bmpHeader(w, h uint32) []byte {
	b := []byte("BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00")
	b = binary.LittleEndian.AppendUint32(b, w)
	b = binary.LittleEndian.AppendUint32(b, h)
	b = append(b, 1, 0, 24, 0)
	return append(b, make([]byte, 24)...)
}

// ifd is a little-endian TIFF image file directory of SHORT and LONG
// entries.
type ifdEntry struct {
	tag, typ uint16
	value    uint32
}

func appendIFD(b []byte, entries []ifdEntry, next uint32) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.typ)
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, e.value)
	}
	return binary.LittleEndian.AppendUint32(b, next)
}

const (
	tShort = 3
	tLong  = 4
)

// tiff is an 8x8 grey TIFF whose first IFD names itself as the next one
// and, with exifLoop, also as its Exif IFD.
func tiff(exifLoop bool) []byte {
	entries := []ifdEntry{
		{256, tShort, 8}, {257, tShort, 8}, {258, tShort, 8}, {259, tShort, 1}, {262, tShort, 1},
		{273, tLong, 0}, // strip offset, set below
		{274, tShort, 3}, {277, tShort, 1}, {278, tShort, 8}, {279, tLong, 64},
	}
	if exifLoop {
		entries = append(entries, ifdEntry{34665, tLong, 8})
	}
	stripAt := uint32(8 + 2 + 12*len(entries) + 4)
	entries[5].value = stripAt
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = appendIFD(b, entries, 8)
	for i := range 64 {
		b = append(b, byte(i*4))
	}
	return b
}

// exifTIFF wraps IFD0 entries as an APP1 Exif payload.
func exifTIFF(entries []ifdEntry, next uint32) []byte {
	b := []byte("Exif\x00\x00II*\x00\x08\x00\x00\x00")
	return appendIFD(b, entries, next)
}

func exifOrientation(o uint32) []byte {
	return exifTIFF([]ifdEntry{{274, tShort, o}}, 0)
}

// exifLoop points IFD0's next IFD and its Exif IFD back at IFD0.
func exifLoop() []byte {
	return exifTIFF([]ifdEntry{{274, tShort, 3}, {34665, tLong, 8}}, 8)
}

func withExif(jpg, payload []byte) []byte {
	seg := []byte{0xff, 0xe1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}
