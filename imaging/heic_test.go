package imaging

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/imaging/internal/heif"
	"github.com/contactphoto/contactphoto/imaging/internal/hevc"
)

// heicCorpus is where the HEIC corpus and libheif's renderings of it live.
const heicCorpus = "internal/heif/testdata"

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(heicCorpus, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readCorpusPNG(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join(heicCorpus, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHEICGeometry checks the clean aperture, rotation and mirroring that
// openHEIC reads against heif-convert's renderings, without decoding HEVC:
// files made from one coded picture must agree, pixel for pixel, wherever
// the geometry maps their pixels to the same coded sample.
func TestHEICGeometry(t *testing.T) {
	for _, set := range [][]string{
		// irot 2 shows every coded sample, so it is the canvas the
		// others are checked against.
		{"irot2-96x64", "irot1-96x64", "irot3-96x64", "imir0-96x64", "imir1-96x64", "irot1-imir0-96x64", "irot3-imir0-96x64"},
		{"clap-irot1-imir1-120x90", "irot1-clap-120x90"},
	} {
		type sample struct {
			c     color.RGBA
			valid bool
		}
		var canvas [][]sample
		for i, name := range set {
			h, err := openHEIC(readCorpus(t, name+".heic"))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			ref := readCorpusPNG(t, name+".png")
			w, ht := h.crop.Dx(), h.crop.Dy()
			uw, uh := h.orient.uprightSize(w, ht)
			if b := ref.Bounds(); b.Dx() != uw || b.Dy() != uh {
				t.Fatalf("%s: upright %dx%d, heif-convert made %v", name, uw, uh, b)
			}
			if canvas == nil {
				canvas = make([][]sample, h.img.Height)
				for y := range canvas {
					canvas[y] = make([]sample, h.img.Width)
				}
			}
			var compared, differ int
			for y := range uh {
				for x := range uw {
					sx, sy := h.orient.storedPoint(x, y, w, ht)
					p := image.Pt(sx, sy).Add(h.crop.Min)
					r, g, b, _ := ref.At(x, y).RGBA()
					c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
					s := &canvas[p.Y][p.X]
					if i == 0 {
						*s = sample{c, true}
						continue
					}
					if !s.valid {
						continue
					}
					compared++
					d := max(absDiff(c.R, s.c.R), absDiff(c.G, s.c.G), absDiff(c.B, s.c.B))
					if d > 2 {
						differ++
					}
				}
			}
			if i > 0 && (compared < uw*uh/3 || differ > compared/100) {
				t.Errorf("%s (crop %v, orientation %d): %d of %d samples differ from %s", name, h.crop, h.orient, differ, compared, set[0])
			}
		}
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestOrientationThen(t *testing.T) {
	m := quadrants(6, 4)
	for o := 1; o <= 8; o++ {
		for u := 1; u <= 8; u++ {
			got := orientation(o).then(orientation(u))
			if want := displayed(displayed(m, o), u); psnr(displayed(m, int(got)), want) < 60 {
				t.Errorf("%d then %d = %d: not the same picture", o, u, got)
			}
		}
	}
}

// flatPicture is a decoded picture of one Y'CbCr colour.
func flatPicture(w, h, chroma, depth int, y, cb, cr uint16) *hevc.Picture {
	p := &hevc.Picture{Width: w, Height: h, ChromaFormat: chroma, BitDepthLuma: depth, BitDepthChroma: depth, YStride: w}
	p.Y = make([]uint16, w*h)
	for i := range p.Y {
		p.Y[i] = y
	}
	if chroma != 0 {
		cw, ch := (w+1)/2, (h+1)/2
		p.CStride = cw
		p.Cb, p.Cr = make([]uint16, cw*ch), make([]uint16, cw*ch)
		for i := range p.Cb {
			p.Cb[i], p.Cr[i] = cb, cr
		}
	}
	return p
}

func TestYCCConverter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		col       heif.Colour
		depth     int
		y, cb, cr uint16
		want      [3]float64 // sRGB-encoded
	}{
		{"unspecified matrix: BT.601", heif.Colour{Type: "nclx", MatrixCoeffs: 2, FullRange: true}, 8, 255, 128, 128, [3]float64{1, 1, 1}},
		{"601 full red", heif.Colour{Type: "nclx", MatrixCoeffs: 6, FullRange: true}, 8, 76, 85, 255, [3]float64{1, 0, 0}},
		{"601 limited red", heif.Colour{Type: "nclx", MatrixCoeffs: 6}, 8, 81, 90, 240, [3]float64{1, 0, 0}},
		{"709 limited black", heif.Colour{Type: "nclx", MatrixCoeffs: 1}, 8, 16, 128, 128, [3]float64{0, 0, 0}},
		{"709 limited white", heif.Colour{Type: "nclx", MatrixCoeffs: 1}, 8, 235, 128, 128, [3]float64{1, 1, 1}},
		{"709 limited red", heif.Colour{Type: "nclx", MatrixCoeffs: 1}, 8, 63, 102, 240, [3]float64{1, 0, 0}},
		{"10-bit full grey", heif.Colour{Type: "nclx", MatrixCoeffs: 6, FullRange: true}, 10, 512, 512, 512, [3]float64{0.5, 0.5, 0.5}},
		{"10-bit limited white", heif.Colour{Type: "nclx", MatrixCoeffs: 6}, 10, 940, 512, 512, [3]float64{1, 1, 1}},
		{"identity matrix (GBR)", heif.Colour{Type: "nclx", MatrixCoeffs: 0, FullRange: true}, 8, 0, 255, 128, [3]float64{128.0 / 255, 0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newYCCConverter(tc.col, 1, tc.depth, tc.depth)
			dst := make([]float32, 3)
			c.row(flatPicture(2, 2, 1, tc.depth, tc.y, tc.cb, tc.cr), 1, 1, 2, dst)
			for i, v := range dst {
				if got := linearToSRGB(float64(v)); math.Abs(got-tc.want[i]) > 0.01 {
					t.Errorf("channel %d = %.3f, want %.3f", i, got, tc.want[i])
				}
			}
		})
	}
	c := newYCCConverter(heif.Colour{}, 0, 8, 8)
	dst := make([]float32, 3)
	c.row(flatPicture(2, 2, 0, 8, 128, 0, 0), 0, 0, 1, dst)
	if dst[0] != dst[1] || dst[1] != dst[2] || math.Abs(linearToSRGB(float64(dst[0]))-128.0/255) > 0.002 {
		t.Errorf("4:0:0 mid grey = %v", dst)
	}
}

// TestHEICReducer reduces a grid of flat tiles and checks every block,
// including those spanning tiles, against the mean of the pixels it covers:
// by 3 with a clean aperture that cuts into the tiles, so that blocks
// straddle them, and by 2 from the corner, so that none does.
func TestHEICReducer(t *testing.T) {
	const tile, cols = 16, 3 // and 2 rows
	lumas := []uint16{10, 60, 110, 160, 210, 250}
	for _, tc := range []struct {
		crop image.Rectangle
		f    int
	}{
		{image.Rect(5, 2, 45, 31), 3},
		{image.Rect(0, 0, 47, 32), 2},
	} {
		crop, f := tc.crop, tc.f
		r := newHEICReducer(crop, f, heif.Colour{Type: "nclx", MatrixCoeffs: 6, FullRange: true}, &heif.HEVCConfig{BitDepthLuma: 8, BitDepthChroma: 8})
		// In an order other than row by row: blocks wait for every tile.
		for _, i := range []int{4, 0, 5, 2, 1, 3} {
			pic := flatPicture(tile, tile, 0, 8, lumas[i], 0, 0)
			if err := r.addPicture(pic, image.Pt(i%cols*tile, i/cols*tile)); err != nil {
				t.Fatal(err)
			}
		}
		if len(r.edges) != 0 || len(r.groups) != 0 {
			t.Errorf("crop %v by %d: %d blocks and %d chroma samples left unfinished", crop, f, len(r.edges), len(r.groups))
		}
		ow, oh := (crop.Dx()+f-1)/f, (crop.Dy()+f-1)/f
		if b := r.out.Bounds(); b.Dx() != ow || b.Dy() != oh {
			t.Fatalf("crop %v by %d: reduced to %v, want %dx%d", crop, f, b, ow, oh)
		}
		for oy := range oh {
			for ox := range ow {
				var sum, n float64
				for y := crop.Min.Y + oy*f; y < min(crop.Min.Y+(oy+1)*f, crop.Max.Y); y++ {
					for x := crop.Min.X + ox*f; x < min(crop.Min.X+(ox+1)*f, crop.Max.X); x++ {
						sum += srgbToLinear(float64(lumas[y/tile*cols+x/tile]) / 255)
						n++
					}
				}
				want := linearToSRGB(sum / n)
				cr, cg, cb, _ := r.out.At(ox, oy).RGBA()
				for _, c := range []uint32{cr, cg, cb} {
					if got := float64(c>>8) / 0xff; math.Abs(got-want) > 1.6/255 {
						t.Errorf("crop %v by %d: block (%d, %d) = %.4f, want %.4f", crop, f, ox, oy, got, want)
					}
				}
			}
		}
	}
}

// TestHEICReducerChroma reduces a grid of tiles of different colours and
// checks the 4:2:0 result: each pixel's luma and each chroma sample against
// what the means of the blocks give, where the 2×2 groups of pixels that
// share a chroma sample fall in different tiles too.
func TestHEICReducerChroma(t *testing.T) {
	const tile, cols = 16, 3 // and 2 rows
	colours := [][3]uint16{{81, 90, 240}, {145, 54, 34}, {41, 240, 110}, {210, 16, 146}, {170, 166, 16}, {106, 202, 222}}
	col := heif.Colour{Type: "nclx", MatrixCoeffs: 6, FullRange: true}
	for _, tc := range []struct {
		crop image.Rectangle
		f    int
	}{
		{image.Rect(5, 2, 45, 31), 3},
		{image.Rect(0, 0, 47, 32), 2},
		{image.Rect(3, 1, 48, 32), 1},
	} {
		crop, f := tc.crop, tc.f
		r := newHEICReducer(crop, f, col, &heif.HEVCConfig{ChromaFormat: 1, BitDepthLuma: 8, BitDepthChroma: 8})
		for _, i := range []int{5, 1, 3, 0, 4, 2} {
			c := colours[i]
			if err := r.addPicture(flatPicture(tile, tile, 1, 8, c[0], c[1], c[2]), image.Pt(i%cols*tile, i/cols*tile)); err != nil {
				t.Fatal(err)
			}
		}
		if len(r.edges) != 0 || len(r.groups) != 0 {
			t.Fatalf("crop %v by %d: %d blocks and %d chroma samples left unfinished", crop, f, len(r.edges), len(r.groups))
		}
		// The linear RGB of each tile's colour, as the converter makes it.
		conv := newYCCConverter(col, 1, 8, 8)
		var lin [6][3]float64
		for i, c := range colours {
			dst := make([]float32, 3)
			conv.row(flatPicture(2, 2, 1, 8, c[0], c[1], c[2]), 0, 0, 1, dst)
			lin[i] = [3]float64{float64(dst[0]), float64(dst[1]), float64(dst[2])}
		}
		b := r.out.Bounds()
		var cbSum, crSum, n [64][64]int
		for oy := range b.Dy() {
			for ox := range b.Dx() {
				var sum [3]float64
				var k float64
				for y := crop.Min.Y + oy*f; y < min(crop.Min.Y+(oy+1)*f, crop.Max.Y); y++ {
					for x := crop.Min.X + ox*f; x < min(crop.Min.X+(ox+1)*f, crop.Max.X); x++ {
						for c := range 3 {
							sum[c] += lin[y/tile*cols+x/tile][c]
						}
						k++
					}
				}
				var rgb [3]uint8
				for c := range 3 {
					rgb[c] = uint8(math.Round(255 * linearToSRGB(sum[c]/k)))
				}
				wy, wcb, wcr := color.RGBToYCbCr(rgb[0], rgb[1], rgb[2])
				if got := r.out.Y[oy*r.out.YStride+ox]; absDiff(got, wy) > 1 {
					t.Errorf("crop %v by %d: luma of (%d, %d) = %d, want %d", crop, f, ox, oy, got, wy)
				}
				cbSum[oy/2][ox/2] += int(wcb)
				crSum[oy/2][ox/2] += int(wcr)
				n[oy/2][ox/2]++
			}
		}
		for cy := range (b.Dy() + 1) / 2 {
			for cx := range (b.Dx() + 1) / 2 {
				o := cy*r.out.CStride + cx
				wcb, wcr := uint8((cbSum[cy][cx]+n[cy][cx]/2)/n[cy][cx]), uint8((crSum[cy][cx]+n[cy][cx]/2)/n[cy][cx])
				if absDiff(r.out.Cb[o], wcb) > 1 || absDiff(r.out.Cr[o], wcr) > 1 {
					t.Errorf("crop %v by %d: chroma (%d, %d) = %d, %d, want %d, %d", crop, f, cx, cy, r.out.Cb[o], r.out.Cr[o], wcb, wcr)
				}
			}
		}
	}
}

func TestPrimariesMatrix(t *testing.T) {
	if m := primariesMatrix(1); m != nil {
		t.Errorf("BT.709 primaries: %v, want none", m)
	}
	m := primariesMatrix(12)
	if m == nil {
		t.Fatal("Display P3: no conversion")
	}
	// Published P3-D65 to sRGB matrix (CSS Color 4).
	want := [3][3]float64{{1.2249, -0.2247, 0}, {-0.0420, 1.0419, 0}, {-0.0197, -0.0786, 1.0979}}
	for r := range 3 {
		for c := range 3 {
			if math.Abs(float64(m[r][c])-want[r][c]) > 0.002 {
				t.Errorf("m[%d][%d] = %.4f, want %.4f", r, c, m[r][c], want[r][c])
			}
		}
	}
}

// TestHEICCorpus decodes every file of the corpus through Decode and
// compares it with heif-convert's rendering (libheif with libde265): at full
// size where the rendering is kept whole, else at a quarter, where it was
// reduced with a box filter.
func TestHEICCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(heicCorpus, "*.heic"))
	if err != nil || len(files) < 20 {
		t.Fatalf("%d corpus files (%v)", len(files), err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".heic")
		t.Run(name, func(t *testing.T) {
			data := readCorpus(t, name+".heic")
			var ref image.Image
			quarter := false
			if _, err := os.Stat(filepath.Join(heicCorpus, name+".png")); err == nil {
				ref = readCorpusPNG(t, name+".png")
			} else {
				quarter = true
				jf, err := os.ReadFile(filepath.Join(heicCorpus, name+".quarter.jpg"))
				if err != nil {
					t.Fatal(err)
				}
				if ref, err = jpeg.Decode(bytes.NewReader(jf)); err != nil {
					t.Fatal(err)
				}
			}
			h, err := openHEIC(data)
			if err != nil {
				t.Fatal(err)
			}
			// heif-convert keeps the file's primaries; Decode converts
			// them to sRGB. Convert the rendering the same way.
			var conv *colorMatrix
			switch col := h.img.Colour; col.Type {
			case "nclx":
				conv = primariesMatrix(col.Primaries)
			case "prof":
				var curves *toneCurves
				if curves, conv = profileConversion(col.ICC); curves != nil {
					t.Fatal("the corpus's profile has the sRGB tone curve")
				}
			}
			b := ref.Bounds()
			size := max(b.Dx(), b.Dy())
			got, err := Decode(bytes.NewReader(data), &Options{Size: size})
			if err != nil {
				t.Fatal(err)
			}
			if gb := got.Bounds(); gb.Dx() != b.Dx() || gb.Dy() != b.Dy() {
				t.Fatalf("decoded %v, libheif %v", gb, b)
			}
			want := toSRGBWith(ref, conv)
			min := 38.0 // colour conversion and chroma upsampling differ
			if quarter {
				min = 30 // and the reduction, and the reference is a JPEG
			}
			if p := psnr(got, want); p < min {
				t.Errorf("PSNR against libheif = %.1f dB, want >= %.0f", p, min)
			}
		})
	}
}

// toSRGBWith converts m with conv in linear light, as the pipeline
// converts a source's primaries to sRGB's.
func toSRGBWith(m image.Image, conv *colorMatrix) image.Image {
	if conv == nil {
		return m
	}
	b := m.Bounds()
	out := image.NewRGBA(b)
	read := newRowReader(m, nil)
	row := make([]float32, 3*b.Dx())
	enc := encode8()
	for y := range b.Dy() {
		read(y, 0, b.Dx(), row)
		for x := range b.Dx() {
			r, g, bl := conv.apply(row[3*x], row[3*x+1], row[3*x+2])
			i := out.PixOffset(b.Min.X+x, b.Min.Y+y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = toSRGB8(enc, r), toSRGB8(enc, g), toSRGB8(enc, bl), 0xff
		}
	}
	return out
}

// TestProcessIPhoneHEIC checks the iPhone-shaped file: its rotation comes
// from irot alone (the Exif item says the same and must not turn it twice),
// and Result says how it was stored.
func TestProcessIPhoneHEIC(t *testing.T) {
	res, err := Process(bytes.NewReader(readCorpus(t, "iphone-1000x700-irot3.heic")), &Options{Crop: CropCenter, Size: 200})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "heic" || res.SourceWidth != 1000 || res.SourceHeight != 700 || res.Orientation != 6 || res.Width != 200 {
		t.Errorf("Result %s %dx%d orientation %d, %dx%d", res.Format, res.SourceWidth, res.SourceHeight, res.Orientation, res.Width, res.Height)
	}
	for _, s := range []string{"grid of 2x2 tiles of 512x512", "irot 3", "nclx primaries 12, transfer 13, matrix 6, full range"} {
		if !strings.Contains(res.Storage, s) {
			t.Errorf("Storage %q does not say %q", res.Storage, s)
		}
	}
}

// TestHEICBitExact decodes every coded image of every corpus file, from the
// NAL units the container gives, and compares each plane with libde265's
// decode of the same image (reference.txt). HEVC defines its output
// exactly, so any difference is a bug.
func TestHEICBitExact(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join(heicCorpus, "reference.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // "file item" -> "Y=... Cb=... Cr=..."
	for line := range strings.Lines(string(ref)) {
		f := strings.Fields(line)
		var planes []string
		for _, kv := range f[1:] {
			if strings.HasPrefix(kv, "Y=") || strings.HasPrefix(kv, "Cb=") || strings.HasPrefix(kv, "Cr=") {
				planes = append(planes, kv)
			}
		}
		want[f[0]+" "+f[1]] = strings.Join(planes, " ")
	}
	checked := 0
	files, _ := filepath.Glob(filepath.Join(heicCorpus, "*.heic"))
	for _, path := range files {
		name := filepath.Base(path)
		f, err := heif.Parse(readCorpus(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tiles := []*heif.Image{f.Primary}
		if f.Primary.Grid != nil {
			tiles = f.Primary.Grid.Tiles
		}
		for _, tile := range tiles {
			key := fmt.Sprintf("%s item=%d", name, tile.ID)
			nals, err := tile.NALUnits(1 << 24)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			pic, err := hevc.Decode(nals)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			planes := []string{"Y=" + planeMD5(pic.Y, pic.Width, pic.Height, pic.YStride, pic.BitDepthLuma)}
			if pic.ChromaFormat == 1 {
				cw, ch := (pic.Width+1)/2, (pic.Height+1)/2
				planes = append(planes, "Cb="+planeMD5(pic.Cb, cw, ch, pic.CStride, pic.BitDepthChroma),
					"Cr="+planeMD5(pic.Cr, cw, ch, pic.CStride, pic.BitDepthChroma))
			}
			if got := strings.Join(planes, " "); got != want[key] {
				t.Errorf("%s: %s, libde265 %s", key, got, want[key])
			}
			checked++
		}
	}
	if checked != len(want) {
		t.Errorf("checked %d coded images, reference.txt has %d", checked, len(want))
	}
}

// planeMD5 hashes a plane as dec265 writes it: a byte a sample at 8 bits,
// two little-endian bytes above.
func planeMD5(p []uint16, w, h, stride, depth int) string {
	d := md5.New()
	row := make([]byte, 0, 2*w)
	for y := range h {
		row = row[:0]
		for _, v := range p[y*stride : y*stride+w] {
			if depth > 8 {
				row = binary.LittleEndian.AppendUint16(row, v)
			} else {
				row = append(row, byte(v))
			}
		}
		d.Write(row)
	}
	return hex.EncodeToString(d.Sum(nil))
}

// withISPE returns heic with its first ispe property saying w×h.
func withISPE(heic []byte, w, h uint32) []byte {
	out := bytes.Clone(heic)
	i := bytes.Index(out, []byte("ispe"))
	binary.BigEndian.PutUint32(out[i+8:], w)
	binary.BigEndian.PutUint32(out[i+12:], h)
	return out
}

func TestHEICHostile(t *testing.T) {
	single := readCorpus(t, "single-64x64-q30.heic")
	grid := readCorpus(t, "grid-201x131-tile64-q30.heic")
	for _, tc := range []struct {
		name string
		data []byte
		kind error // nil for *FormatError
		text string
	}{
		{"ispe of 60000x60000", withISPE(single, 60000, 60000), ErrTooLarge, "60000x60000"},
		{"ispe smaller than the coded picture", withISPE(single, 32, 32), nil, "a coded image is 64x64 but its ispe says 32x32"},
		{"slice data cut off", single[:len(single)-200], nil, "corrupt HEIC image"},
		{"grid tile data cut off", grid[:len(grid)-1000], nil, "corrupt HEIC image"},
		{"grid whose ispe disagrees with it", withISPE(grid, 40000, 40000), nil, "the grid is 201x131 but its ispe says 40000x40000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withWatchdog(t, 5*time.Second, func() {
				_, err := Process(bytes.NewReader(tc.data), nil)
				var fe *FormatError
				switch {
				case err == nil:
					t.Error("Process succeeded")
				case tc.kind != nil && !errors.Is(err, tc.kind), tc.kind == nil && !errors.As(err, &fe):
					t.Errorf("err = %v (%T), want kind %v", err, err, tc.kind)
				case !strings.Contains(err.Error(), tc.text):
					t.Errorf("err = %q, want it to contain %q", err, tc.text)
				}
			})
		})
	}
}
