package dctjpeg

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// plane is one channel of an image at its own resolution.
type plane struct {
	w, h   int
	stride int
	step   int // bytes between samples
	pix    []byte
}

func (p plane) at(x, y int) byte { return p.pix[y*p.stride+x*p.step] }

// planes splits an image into its channels the way it stores them.
func planes(t testing.TB, img image.Image) []plane {
	t.Helper()
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	switch m := img.(type) {
	case *image.Gray:
		return []plane{{w, h, m.Stride, 1, m.Pix}}
	case *image.YCbCr:
		cw, ch := w, h
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			cw = (w + 1) / 2
		case image.YCbCrSubsampleRatio420:
			cw, ch = (w+1)/2, (h+1)/2
		case image.YCbCrSubsampleRatio440:
			ch = (h + 1) / 2
		case image.YCbCrSubsampleRatio411:
			cw = (w + 3) / 4
		case image.YCbCrSubsampleRatio410:
			cw, ch = (w+3)/4, (h+1)/2
		}
		return []plane{
			{w, h, m.YStride, 1, m.Y},
			{cw, ch, m.CStride, 1, m.Cb},
			{cw, ch, m.CStride, 1, m.Cr},
		}
	case *image.RGBA:
		return []plane{{w, h, m.Stride, 4, m.Pix}, {w, h, m.Stride, 4, m.Pix[1:]}, {w, h, m.Stride, 4, m.Pix[2:]}}
	case *image.CMYK:
		var ps []plane
		for i := range 4 {
			ps = append(ps, plane{w, h, m.Stride, 4, m.Pix[i:]})
		}
		return ps
	}
	t.Fatalf("unexpected image type %T", img)
	return nil
}

// boxDown averages s×s cells of p, clipping the last ones at the edge.
func boxDown(p plane, s int) plane {
	w, h := (p.w+s-1)/s, (p.h+s-1)/s
	out := plane{w, h, w, 1, make([]byte, w*h)}
	for y := range h {
		for x := range w {
			sum, n := 0, 0
			for yy := y * s; yy < min(y*s+s, p.h); yy++ {
				for xx := x * s; xx < min(x*s+s, p.w); xx++ {
					sum += int(p.at(xx, yy))
					n++
				}
			}
			out.pix[y*w+x] = byte((sum + n/2) / n)
		}
	}
	return out
}

func maxAbsDiff(a, b plane) int {
	m := 0
	for y := range a.h {
		for x := range a.w {
			d := int(a.at(x, y)) - int(b.at(x, y))
			m = max(m, d, -d)
		}
	}
	return m
}

// psnr over all planes, which must have the same sizes.
func psnr(t testing.TB, want, got []plane) float64 {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d planes, want %d", len(got), len(want))
	}
	var se float64
	n := 0
	for i := range want {
		if want[i].w != got[i].w || want[i].h != got[i].h {
			t.Fatalf("plane %d is %dx%d, want %dx%d", i, got[i].w, got[i].h, want[i].w, want[i].h)
		}
		for y := range want[i].h {
			for x := range want[i].w {
				d := float64(want[i].at(x, y)) - float64(got[i].at(x, y))
				se += d * d
				n++
			}
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}

// synthetic draws a photo-like picture: smooth gradients, edges and fine
// texture, so that every frequency band carries energy.
func synthetic(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 128 + 100*math.Sin(6*fx+3*fy)
			g := 128 + 90*math.Cos(5*fy-2*fx)
			b := 128 + 60*math.Sin(40*fx*fy) + 20*math.Sin(float64(x)*0.9)*math.Cos(float64(y)*0.7)
			if (x/23+y/17)%5 == 0 {
				r, g = 255-r, 255-g
			}
			img.SetRGBA(x, y, color.RGBA{clampF(r), clampF(g), clampF(b), 255})
		}
	}
	return img
}

func clampF(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }

func encodeStd(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func grayOf(img image.Image) *image.Gray {
	g := image.NewGray(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			g.Set(x, y, img.At(x, y))
		}
	}
	return g
}

type corpusFile struct {
	name string
	data []byte
}

// corpus is every fixture image/jpeg can decode, plus images made here
// with image/jpeg's encoder (baseline 4:2:0 and gray).
func corpus(t testing.TB) []corpusFile {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.jpg")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var files []corpusFile
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			continue // arithmetic coding, mixed subsampling: tested on their own
		}
		files = append(files, corpusFile{filepath.Base(p), b})
	}
	for _, sz := range [][2]int{{1, 1}, {17, 9}, {4095, 3}, {3, 300}, {333, 257}} {
		img := synthetic(sz[0], sz[1])
		files = append(files,
			corpusFile{fmt.Sprintf("std-420-%dx%d", sz[0], sz[1]), encodeStd(t, img)},
			corpusFile{fmt.Sprintf("std-gray-%dx%d", sz[0], sz[1]), encodeStd(t, grayOf(img))})
	}
	return files
}

func TestFullScaleMatchesImageJPEG(t *testing.T) {
	for _, f := range corpus(t) {
		t.Run(f.name, func(t *testing.T) {
			want, err := jpeg.Decode(bytes.NewReader(f.data))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(bytes.NewReader(f.data), nil)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) || got.Bounds() != want.Bounds() {
				t.Fatalf("got %T %v, want %T %v", got, got.Bounds(), want, want.Bounds())
			}
			if w, ok := want.(*image.YCbCr); ok && w.SubsampleRatio != got.(*image.YCbCr).SubsampleRatio {
				t.Fatalf("subsampling %v, want %v", got.(*image.YCbCr).SubsampleRatio, w.SubsampleRatio)
			}
			// The full-size inverse DCT is image/jpeg's, rounding and all,
			// so the samples are the same; YCCK's colour conversion would
			// turn a difference of 1 in Cb or Cr into up to 3 in CMY.
			wp, gp := planes(t, want), planes(t, got)
			for i := range wp {
				if d := maxAbsDiff(wp[i], gp[i]); d != 0 {
					t.Errorf("plane %d differs by up to %d", i, d)
				}
			}
		})
	}
}

// withoutColorTransform marks a YCCK file as CMYK, so that both decoders
// return its decoded planes as they are, without the nonlinear (clamped)
// conversion to RGB, which does not commute with averaging.
func withoutColorTransform(t testing.TB, b []byte) []byte {
	t.Helper()
	i := bytes.Index(b, []byte("Adobe"))
	if i < 0 {
		t.Fatal("no Adobe segment")
	}
	return patch(b, i+11, 0)
}

func TestReducedScaleMatchesBoxFilter(t *testing.T) {
	// Progressive files keep only the coefficients the scale needs, so a
	// block that is mostly the encoder's padding (a 3-pixel-high image)
	// cannot be reduced over its real pixels alone: it averages the
	// padding as libjpeg does.
	minPSNR := map[string]float64{
		"4095x3-prog.jpg/1:2": 33,
		"4095x3-prog.jpg/1:8": 22,
		// Subsampled channels of a CMYK image are replicated at the reduced
		// size, while the reference replicates them at full size before
		// averaging.
		"ycck-2x2.jpg/1:8": 36,
	}
	for _, f := range corpus(t) {
		if cfg, _ := DecodeConfig(bytes.NewReader(f.data)); cfg.ColorSpace == YCCK {
			f.data = withoutColorTransform(t, f.data)
		}
		want, err := jpeg.Decode(bytes.NewReader(f.data))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []int{2, 4, 8} {
			name := fmt.Sprintf("%s/1:%d", f.name, s)
			t.Run(name, func(t *testing.T) {
				got, err := Decode(bytes.NewReader(f.data), &Options{Scale: s})
				if err != nil {
					t.Fatal(err)
				}
				r := want.Bounds()
				if wr := image.Rect(0, 0, (r.Dx()+s-1)/s, (r.Dy()+s-1)/s); got.Bounds() != wr {
					t.Fatalf("bounds %v, want %v", got.Bounds(), wr)
				}
				// Subsampled chroma may come out at a higher resolution
				// than the reduction gives it: libjpeg's way of decoding it
				// with a larger inverse DCT rather than upsampling it later.
				gp := planes(t, got)
				var boxed []plane
				for i, p := range planes(t, want) {
					si := s
					for si > 1 && ((p.w+si-1)/si < gp[i].w || (p.h+si-1)/si < gp[i].h) {
						si /= 2
					}
					boxed = append(boxed, boxDown(p, si))
				}
				limit, ok := minPSNR[name]
				if !ok {
					limit = 38
				}
				if db := psnr(t, boxed, planes(t, got)); db < limit {
					t.Errorf("PSNR %.1f dB against the box-filtered full decode, want >= %g", db, limit)
				}
			})
		}
	}
}

// TestMixedSubsampling decodes a layout image/jpeg rejects (Y 2x1, Cb 1x2,
// Cr 1x1) and compares it with the same picture stored 4:4:4.
func TestMixedSubsampling(t *testing.T) {
	mixed := readFixture(t, "ycc-mixed.jpg")
	full := readFixture(t, "ycc444.jpg")
	for _, s := range []int{1, 2, 4, 8} {
		t.Run(fmt.Sprintf("1:%d", s), func(t *testing.T) {
			got, err := Decode(bytes.NewReader(mixed), &Options{Scale: s})
			if err != nil {
				t.Fatal(err)
			}
			want, err := Decode(bytes.NewReader(full), &Options{Scale: s})
			if err != nil {
				t.Fatal(err)
			}
			if r := got.(*image.YCbCr).SubsampleRatio; r != image.YCbCrSubsampleRatio444 {
				t.Fatalf("subsampling %v, want 4:4:4", r)
			}
			if db := psnr(t, planes(t, want), planes(t, got)); db < 28 {
				t.Errorf("PSNR %.1f dB against the 4:4:4 encoding, want >= 28", db)
			}
		})
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		file string
		want Config
	}{
		{"ycc420.jpg", Config{Width: 61, Height: 45, Components: 3, ColorSpace: YCbCr, Sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}}}},
		{"prog422-restart.jpg", Config{Width: 61, Height: 45, Components: 3, ColorSpace: YCbCr, Progressive: true, Sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}}}},
		{"gray-2x2.jpg", Config{Width: 61, Height: 45, Components: 1, ColorSpace: Gray, Sampling: [][2]int{{1, 1}}}},
		{"rgb.jpg", Config{Width: 61, Height: 45, Components: 3, ColorSpace: RGB, Sampling: [][2]int{{1, 1}, {1, 1}, {1, 1}}}},
		{"cmyk.jpg", Config{Width: 61, Height: 45, Components: 4, ColorSpace: CMYK, Sampling: [][2]int{{1, 1}, {1, 1}, {1, 1}, {1, 1}}}},
		{"ycck-2x2.jpg", Config{Width: 61, Height: 45, Components: 4, ColorSpace: YCCK, Sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}, {2, 2}}}},
		{"4095x3-prog.jpg", Config{Width: 4095, Height: 3, Components: 3, ColorSpace: YCbCr, Progressive: true, Sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}}}},
		{"arithmetic.jpg", Config{Width: 61, Height: 45, Components: 3, ColorSpace: YCbCr, Sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := DecodeConfig(bytes.NewReader(readFixture(t, tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeConfig mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScaleFor(t *testing.T) {
	tests := []struct{ edge, min, want int }{
		{3024, 720, 4}, // 12 MP centre crop
		{6048, 720, 8}, // 48 MP
		{5759, 720, 4},
		{1440, 720, 2},
		{1439, 720, 1},
		{500, 720, 1},
		{100000, 720, 8},
	}
	for _, tt := range tests {
		if got := ScaleFor(tt.edge, tt.min); got != tt.want {
			t.Errorf("ScaleFor(%d, %d) = %d, want %d", tt.edge, tt.min, got, tt.want)
		}
	}
}

// patch returns a copy of b with the bytes at off replaced.
func patch(b []byte, off int, with ...byte) []byte {
	c := bytes.Clone(b)
	copy(c[off:], with)
	return c
}

// sofOffset finds the frame header's marker.
func sofOffset(t testing.TB, b []byte) int {
	t.Helper()
	for _, m := range []string{"\xff\xc0", "\xff\xc1", "\xff\xc2"} {
		if i := bytes.Index(b, []byte(m)); i >= 0 {
			return i
		}
	}
	t.Fatal("no SOF")
	return 0
}

func TestErrors(t *testing.T) {
	base := readFixture(t, "ycc420.jpg")
	sof := sofOffset(t, base)
	sos := bytes.Index(base, []byte("\xff\xda"))
	var (
		format      *FormatError
		unsupported *UnsupportedError
	)
	tests := []struct {
		name   string
		data   []byte
		opt    *Options
		target any // pointer for errors.As, or an error for errors.Is
	}{
		{"empty", nil, nil, &format},
		{"not JPEG", []byte("\x89PNG\r\n\x1a\n"), nil, &format},
		{"CMYK without Adobe marker", bytes.Replace(readFixture(t, "cmyk.jpg"), []byte("Adobe"), []byte("Xdobe"), 1), nil, &unsupported},
		{"lossless", patch(base, sof+1, 0xC3), nil, &unsupported},
		{"hierarchical", patch(base, sof+1, 0xC5), nil, &unsupported},
		{"12-bit", patch(base, sof+4, 12), nil, &unsupported},
		{"DNL height", patch(base, sof+5, 0, 0), nil, &unsupported},
		{"zero width", patch(base, sof+7, 0, 0), nil, &format},
		{"bad sampling", patch(base, sof+11, 0x52), nil, &format},
		{"truncated header", base[:sof+6], nil, &format},
		{"truncated before the scan", base[:sos+4], nil, &format},
		{"over pixel budget", patch(base, sof+5, 0xFF, 0xFF, 0xFF, 0xFF), nil, ErrTooLarge},
		{"over buffer budget", base, &Options{MaxBuffer: 1000}, ErrTooLarge},
		{"bad scale", base, &Options{Scale: 3}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Decode(bytes.NewReader(tt.data), tt.opt)
			if err == nil {
				t.Fatalf("decoded a %v image, want an error", img.Bounds())
			}
			switch target := tt.target.(type) {
			case nil:
			case error:
				if !errors.Is(err, target) {
					t.Errorf("error %q is not %v", err, target)
				}
			default:
				if !errors.As(err, target) {
					t.Errorf("error %q (%T) is not a %T", err, err, target)
				}
			}
		})
	}
}

// TestTooLargeSaysWhich checks that each bound names itself: an image
// within the pixel limit refused for memory must not be said to be over it.
func TestTooLargeSaysWhich(t *testing.T) {
	base := readFixture(t, "prog444.jpg")
	tests := []struct {
		name string
		opt  *Options
		want string
	}{
		{"pixels", &Options{MaxPixels: 1000}, "JPEG too large: 61x45 is 2745 pixels, over the pixel limit of 1000"},
		{"memory", &Options{MaxBuffer: 1000}, "JPEG too large: decoding 61x45 at 1/1 needs 28842 bytes of memory, over the memory limit of 1000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(base), tt.opt)
			if !errors.Is(err, ErrTooLarge) || err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

// TestHostileInputs flips bytes all over valid files and blows up their
// dimensions: every result must be an image or a typed error, promptly.
func TestHostileInputs(t *testing.T) {
	var inputs [][]byte
	for _, name := range []string{"prog-approx.jpg", "restart-mcu.jpg", "ycck-2x2.jpg", "gray-prog-restart.jpg", "prog-spectral.jpg"} {
		b := readFixture(t, name)
		for i := 2; i < len(b); i += 7 {
			for _, v := range []byte{0x00, 0xFF, b[i] ^ 0x5A} {
				inputs = append(inputs, patch(b, i, v))
			}
		}
		// A frame claiming 4000x250 pixels over the data of 61x45.
		sof := sofOffset(t, b)
		inputs = append(inputs, patch(b, sof+5, 0x00, 0xFA, 0x0F, 0xA0))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, m := range inputs {
			for _, s := range []int{1, 8} {
				_, err := Decode(bytes.NewReader(m), &Options{Scale: s, MaxPixels: 1 << 20})
				var fe *FormatError
				var ue *UnsupportedError
				var de *DamageError
				if err != nil && !errors.As(err, &fe) && !errors.As(err, &ue) && !errors.As(err, &de) && !errors.Is(err, ErrTooLarge) {
					t.Errorf("untyped error %v", err)
				}
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("hostile inputs still decoding after 30 s")
	}
}

func FuzzDecode(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.jpg")
	// Arithmetic coding, scripts and damaged files from the conformance suite.
	for _, name := range []string{"arith-prog-deep", "arith-422-restart", "arith-prog-restart", "prog-odd", "wrong-rst", "garbage-restart", "mjpeg-no-dht"} {
		paths = append(paths, filepath.Join("testdata", "conformance", name+".jpg"))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return
		}
		if int64(cfg.Width)*int64(cfg.Height) > 1e6 {
			return
		}
		want, stdErr := jpeg.Decode(bytes.NewReader(b))
		for _, s := range []int{1, 2, 4, 8} {
			got, err := Decode(bytes.NewReader(b), &Options{Scale: s, MaxPixels: 1e6})
			var de *DamageError
			if errors.As(err, &de) {
				if got == nil {
					t.Fatalf("scale %d: %v without an image", s, err)
				}
				err = nil
			}
			if err != nil {
				var fe *FormatError
				var ue *UnsupportedError
				if !errors.As(err, &fe) && !errors.As(err, &ue) && !errors.Is(err, ErrTooLarge) {
					t.Fatalf("scale %d: untyped error %v", s, err)
				}
				continue
			}
			r := got.Bounds()
			if r.Dx() != (cfg.Width+s-1)/s || r.Dy() != (cfg.Height+s-1)/s {
				t.Fatalf("scale %d: bounds %v for %dx%d", s, r, cfg.Width, cfg.Height)
			}
			if s == 1 && stdErr == nil && want.Bounds() != r {
				t.Fatalf("bounds %v, image/jpeg %v", r, want.Bounds())
			}
		}
	})
}

func TestColorSpaceString(t *testing.T) {
	var names []string
	for _, c := range []ColorSpace{Gray, YCbCr, RGB, CMYK, YCCK, 0} {
		names = append(names, c.String())
	}
	if got, want := strings.Join(names, ","), "Gray,YCbCr,RGB,CMYK,YCCK,ColorSpace(0)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
