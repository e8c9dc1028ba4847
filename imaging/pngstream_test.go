package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"reflect"
	"testing"
)

// pngSpec describes a PNG for writePNG.
type pngSpec struct {
	w, h       int
	colorType  byte
	depth      int
	interlaced bool
	trns       bool // write a tRNS chunk
	paletteLen int  // for paletted images
	flat       bool // every sample zero, so that a large image stays a small file
}

// adam7 are the passes of Adam7 interlacing: x and y offset, x and y step.
var adam7 = [7][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}

// writePNG writes a PNG of random pixels with every row under a random
// filter, which image/png's encoder cannot: it writes neither tRNS, gray
// below 8 bits, gray with alpha nor interlaced files.
func writePNG(t testing.TB, rng *rand.Rand, sp pngSpec) []byte {
	t.Helper()
	p := &pngInfo{width: sp.w, height: sp.h, colorType: sp.colorType, depth: sp.depth}
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, b []byte) {
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(len(b)))
		copy(hdr[4:], typ)
		out.Write(hdr[:])
		out.Write(b)
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(b)
		out.Write(binary.BigEndian.AppendUint32(nil, crc.Sum32()))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(sp.w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(sp.h))
	ihdr[8], ihdr[9] = byte(sp.depth), sp.colorType
	if sp.interlaced {
		ihdr[12] = 1
	}
	chunk("IHDR", ihdr)
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	if sp.colorType == pngPaletted {
		chunk("PLTE", randBytes(3*sp.paletteLen))
	}
	if sp.trns {
		switch sp.colorType {
		case pngGray:
			v := rng.IntN(1 << sp.depth)
			chunk("tRNS", []byte{byte(v >> 8), byte(v)})
		case pngRGB:
			chunk("tRNS", randBytes(6))
		case pngPaletted:
			chunk("tRNS", randBytes(1+rng.IntN(sp.paletteLen)))
		}
	}
	chunk("tEXt", []byte("Comment\x00ignored"))
	var raw bytes.Buffer
	bpp := max(1, p.channels()*p.depth/8)
	writeRows := func(w, h int) {
		if w == 0 || h == 0 {
			return
		}
		q := *p
		q.width = w
		prev := make([]byte, q.rowBytes())
		for range h {
			// Few distinct samples, so that the transparent colour and
			// the filters' edge cases occur.
			cur := randBytes(q.rowBytes())
			if sp.flat {
				clear(cur)
			} else if rng.IntN(2) == 0 {
				for i := range cur {
					cur[i] &= 0x81
				}
			}
			f := byte(rng.IntN(5))
			filtered := make([]byte, len(cur))
			for i := range cur {
				var a, b, c int
				if i >= bpp {
					a, c = int(cur[i-bpp]), int(prev[i-bpp])
				}
				b = int(prev[i])
				var pred int
				switch f {
				case ftSub:
					pred = a
				case ftUp:
					pred = b
				case ftAverage:
					pred = (a + b) / 2
				case ftPaeth:
					pa, pb, pc := abs(b-c), abs(a-c), abs(a+b-2*c)
					switch {
					case pa <= pb && pa <= pc:
						pred = a
					case pb <= pc:
						pred = b
					default:
						pred = c
					}
				}
				filtered[i] = cur[i] - byte(pred)
			}
			raw.WriteByte(f)
			raw.Write(filtered)
			prev = cur
		}
	}
	if sp.interlaced {
		for _, pass := range adam7 {
			writeRows((sp.w-pass[0]+pass[2]-1)/pass[2], (sp.h-pass[1]+pass[3]-1)/pass[3])
		}
	} else {
		writeRows(sp.w, sp.h)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	// Split the data over several IDAT chunks, as encoders do.
	d := z.Bytes()
	for len(d) > 0 {
		n := min(len(d), 1+rng.IntN(64))
		chunk("IDAT", d[:n])
		d = d[n:]
	}
	chunk("IEND", nil)
	return out.Bytes()
}

// streamPNG decodes data with pngRows into a full image of image/png's
// type.
func streamPNG(data []byte) (image.Image, error) {
	p, err := readPNGInfo(data)
	if err != nil {
		return nil, err
	}
	if p.interlaced {
		return nil, fmt.Errorf("interlaced")
	}
	return pngFull(data, p)
}

func pngSpecs() []pngSpec {
	var specs []pngSpec
	sizes := [][2]int{{1, 1}, {3, 5}, {8, 2}, {17, 9}, {33, 40}}
	for _, ct := range []struct {
		colorType byte
		depths    []int
	}{
		{pngGray, []int{1, 2, 4, 8, 16}},
		{pngRGB, []int{8, 16}},
		{pngPaletted, []int{1, 2, 4, 8}},
		{pngGrayAlpha, []int{8, 16}},
		{pngRGBA, []int{8, 16}},
	} {
		for _, depth := range ct.depths {
			for _, size := range sizes {
				for _, trns := range []bool{false, true} {
					if trns && (ct.colorType == pngGrayAlpha || ct.colorType == pngRGBA) {
						continue
					}
					for _, interlaced := range []bool{false, true} {
						sp := pngSpec{w: size[0], h: size[1], colorType: ct.colorType, depth: depth, trns: trns, interlaced: interlaced}
						if ct.colorType == pngPaletted {
							sp.paletteLen = 1 + (size[0]*7)%(1<<depth)
						}
						specs = append(specs, sp)
					}
				}
			}
		}
	}
	return specs
}

// TestPNGRowsMatchImagePNG decodes PNGs of every colour type, bit depth
// and transparency, with every filter, row by row and through image/png:
// the pixels and their image type must be identical.
func TestPNGRowsMatchImagePNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sp := range pngSpecs() {
		if sp.interlaced {
			continue
		}
		name := fmt.Sprintf("%dx%d-type%d-depth%d-trns%v", sp.w, sp.h, sp.colorType, sp.depth, sp.trns)
		t.Run(name, func(t *testing.T) {
			for i := range 4 {
				data := writePNG(t, rng, sp)
				want, err := png.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("image/png: %v", err)
				}
				got, err := streamPNG(data)
				if err != nil {
					t.Fatalf("file %d: %v", i, err)
				}
				if reflect.TypeOf(got) != reflect.TypeOf(want) {
					t.Fatalf("type %T, image/png gives %T", got, want)
				}
				samePixels(t, got, want)
			}
		})
	}
}

func samePixels(t *testing.T, got, want image.Image) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r0, g0, b0, a0 := got.At(x, y).RGBA()
			r1, g1, b1, a1 := want.At(x, y).RGBA()
			if r0 != r1 || g0 != g1 || b0 != b1 || a0 != a1 {
				t.Fatalf("pixel (%d,%d) = %v, image/png gives %v", x, y, got.At(x, y), want.At(x, y))
			}
		}
	}
}

// TestPNGRowsStrict corrupts valid files in the ways image/png refuses:
// both decoders must refuse them.
func TestPNGRowsStrict(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	base := writePNG(t, rng, pngSpec{w: 17, h: 9, colorType: pngRGB, depth: 8, trns: true})
	idat := bytes.Index(base, []byte("IDAT"))
	iend := bytes.Index(base, []byte("IEND"))
	tests := map[string][]byte{
		"truncated":       base[:len(base)-20],
		"no IEND":         base[:iend-4],
		"bad IDAT CRC":    flip(base, idat+6),
		"bad IEND CRC":    flip(base, iend+5),
		"bad IHDR CRC":    flip(base, 20),
		"bad filter type": refilter(t, base, 7),
		"extra pixel data": func() []byte {
			p, _ := readPNGInfo(base)
			p.height--
			return withSize(t, base, p.width, p.height)
		}(),
		"missing pixel data": withSize(t, base, 17, 10),
		"IHDR twice":         append(bytes.Clone(base[:33]), base[8:]...),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := png.Decode(bytes.NewReader(data)); err == nil {
				t.Fatal("image/png accepts it; the case is wrong")
			}
			if _, err := streamPNG(data); err == nil {
				t.Fatal("the streaming decoder accepts it")
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0x40
	return b
}

// refilter rewrites a file's pixel data with one row under filter type f.
func refilter(t *testing.T, data []byte, f byte) []byte {
	t.Helper()
	p, err := readPNGInfo(data)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zlib.NewReader(&idatReader{data: data, off: p.idat})
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	raw.ReadFrom(zr)
	raw.Bytes()[0] = f
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	var out bytes.Buffer
	out.Write(data[:p.idat])
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(z.Len()))
	copy(hdr[4:], "IDAT")
	out.Write(hdr[:])
	out.Write(z.Bytes())
	out.Write(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(append([]byte("IDAT"), z.Bytes()...))))
	out.Write([]byte("\x00\x00\x00\x00IEND\xae\x42\x60\x82"))
	return out.Bytes()
}

// interlace marks a PNG as interlaced in its header, leaving its data.
func interlace(data []byte) []byte {
	b := bytes.Clone(data)
	i := bytes.Index(b, []byte("IHDR"))
	b[i+16] = 1
	binary.BigEndian.PutUint32(b[i+17:], crc32.ChecksumIEEE(b[i:i+17]))
	return b
}

// TestPNGReducedMatchesFullDecode checks that a PNG reduced while it
// streams renders the same photo, within rounding, as the full image/png
// decode that the resampler reduces itself.
func TestPNGReducedMatchesFullDecode(t *testing.T) {
	const w, h = 2400, 1800
	full := photoLike(w, h)
	var buf bytes.Buffer
	if err := png.Encode(&buf, full); err != nil {
		t.Fatal(err)
	}
	p, err := readPNGInfo(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	const size = 200
	if f := pngFactor(p, size); f < 2 || !pngReduces(p) {
		t.Fatalf("factor %d: the case does not reduce", f)
	}
	reduced, err := decodePNG(buf.Bytes(), p, size)
	if err != nil {
		t.Fatal(err)
	}
	if b := reduced.Bounds(); b.Dx() > w/2 || b.Dy() < size {
		t.Fatalf("reduced to %v, want at most half of %dx%d and at least %d high", b, w, h, size)
	}
	crop := centerSquare(w, h)
	want := (&source{width: w, height: h, orientation: 1, img: full}).render(crop, size, size)
	got := (&source{width: w, height: h, orientation: 1, img: reduced}).render(crop, size, size)
	// Resampling twice softens the finest detail a little, most on this
	// harsh, noisy picture (36 dB here, 40 dB at 1200x900 to 100).
	if db := psnr(got, want); db < 35 {
		t.Errorf("PSNR %.1f dB against the full decode, want >= 35", db)
	}
}

// FuzzPNGRows holds the streaming decoder to image/png: what one accepts
// the other accepts, with identical pixels.
func FuzzPNGRows(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i, sp := range pngSpecs() {
		if i%7 == 0 && !sp.interlaced && sp.w*sp.h < 400 {
			f.Add(writePNG(f, rng, sp))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > 1<<20 {
			return
		}
		want, wantErr := png.Decode(bytes.NewReader(data))
		p, err := readPNGInfo(data)
		if err != nil {
			if wantErr == nil {
				t.Fatalf("image/png decodes it, the streaming decoder refuses its header: %v", err)
			}
			return
		}
		if p.interlaced {
			return
		}
		got, gotErr := streamPNG(data)
		switch {
		case wantErr == nil && gotErr != nil:
			t.Fatalf("image/png decodes it, the streaming decoder fails: %v", gotErr)
		case wantErr != nil && gotErr == nil:
			t.Fatalf("image/png fails (%v), the streaming decoder decodes it", wantErr)
		case wantErr == nil:
			samePixels(t, got, want)
		}
	})
}

// TestReducerShapes reduces flat images of awkward sizes by every factor:
// the output has the size decodePNG promises and keeps the colour.
func TestReducerShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 200 {
		w, h, f := 1+rng.IntN(300), 1+rng.IntN(300), 1+rng.IntN(12)
		c := color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		row := image.NewNRGBA(image.Rect(0, 0, w, 1))
		for x := range w {
			row.SetNRGBA(x, 0, c)
		}
		red := newReducer(w, h, f)
		read := newRowReader(row, nil)
		for y := range h {
			red.add(y, read)
		}
		m := red.dst
		if m.Bounds() != image.Rect(0, 0, (w+f-1)/f, (h+f-1)/f) {
			t.Fatalf("%dx%d by %d: %v", w, h, f, m.Bounds())
		}
		for i := 0; i < len(m.Pix); i += 3 {
			for k, want := range []uint8{c.R, c.G, c.B} {
				if d := int(m.Pix[i+k]) - int(want); d < -1 || d > 1 {
					t.Fatalf("%dx%d by %d: pixel %d is %v, want %v", w, h, f, i/3, m.Pix[i:i+3], c)
				}
			}
		}
	}
}
