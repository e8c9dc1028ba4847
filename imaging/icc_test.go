package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
)

// displayP3 and srgbPrimaries are the D50-adapted colorants of Apple's
// Display P3 profile and of the sRGB IEC61966-2.1 profile.
var (
	displayP3     = [3][3]float64{{0.515102, 0.241182, -0.001050}, {0.291965, 0.692236, 0.041882}, {0.157153, 0.066582, 0.784378}}
	srgbPrimaries = [3][3]float64{{0.436066, 0.222488, 0.013916}, {0.385147, 0.716873, 0.097076}, {0.143066, 0.060608, 0.714096}}
)

// iccProfile builds a matrix/TRC display profile with the given r, g and b
// colorants (XYZ each) and a parametric tone curve with gamma g; g = 0
// means the sRGB curve.
func iccProfile(colorants [3][3]float64, g float64) []byte {
	s15 := func(b []byte, v float64) []byte {
		return binary.BigEndian.AppendUint32(b, uint32(int32(math.Round(v*65536))))
	}
	var curve []byte
	if g == 0 {
		curve = []byte("para\x00\x00\x00\x00\x00\x03\x00\x00")
		for _, v := range []float64{2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045} {
			curve = s15(curve, v)
		}
	} else {
		curve = s15([]byte("para\x00\x00\x00\x00\x00\x00\x00\x00"), g)
	}
	type tag struct {
		sig  string
		data []byte
	}
	var tags []tag
	for i, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		d := []byte("XYZ \x00\x00\x00\x00")
		for _, v := range colorants[i] {
			d = s15(d, v)
		}
		tags = append(tags, tag{sig, d})
	}
	for _, sig := range []string{"rTRC", "gTRC", "bTRC"} {
		tags = append(tags, tag{sig, curve})
	}
	p := make([]byte, 128)
	copy(p[8:], "\x04\x30\x00\x00mntrRGB XYZ ")
	copy(p[36:], "acsp")
	p = binary.BigEndian.AppendUint32(p, uint32(len(tags)))
	off := 128 + 4 + 12*len(tags)
	var body []byte
	for _, t := range tags {
		p = append(p, t.sig...)
		p = binary.BigEndian.AppendUint32(p, uint32(off+len(body)))
		p = binary.BigEndian.AppendUint32(p, uint32(len(t.data)))
		body = append(body, t.data...)
	}
	p = append(p, body...)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	return p
}

func TestProfileMatrix(t *testing.T) {
	// The P3-D65 to sRGB matrix as published (e.g. by the CSS Color 4
	// sample code), independent of the ICC colorants above.
	p3ToSRGB := [3][3]float64{{1.2249401, -0.2249404, 0}, {-0.0420569, 1.0420571, 0}, {-0.0196376, -0.0786361, 1.0982735}}
	curves, m := profileConversion(iccProfile(displayP3, 0))
	if m == nil || curves != nil {
		t.Fatalf("profileConversion(Display P3) = %v, %v, want a matrix and the sRGB curves", curves, m)
	}
	for r := range 3 {
		for c := range 3 {
			if d := math.Abs(float64(m[r][c]) - p3ToSRGB[r][c]); d > 0.003 {
				t.Errorf("m[%d][%d] = %.4f, want %.4f", r, c, m[r][c], p3ToSRGB[r][c])
			}
		}
	}
	for name, p := range map[string][]byte{
		"sRGB":               iccProfile(srgbPrimaries, 0),
		"truncated":          iccProfile(displayP3, 0)[:200],
		"not a profile":      []byte("hello"),
		"tag offsets beyond": append(iccProfile(displayP3, 0)[:140], make([]byte, 100)...),
	} {
		if curves, m := profileConversion(p); m != nil || curves != nil {
			t.Errorf("profileConversion(%s) = %v, %v, want nil", name, curves, m)
		}
	}
}

// proPhoto is the D50 colorants of the ROMM RGB (ProPhoto) profile.
var proPhoto = [3][3]float64{{0.797760, 0.288071, 0}, {0.135185, 0.711843, 0.000076}, {0.031348, 0.000086, 0.825104}}

// withCurve replaces the parametric tone curves of a profile made by
// iccProfile with the curv tag c.
func withCurve(t *testing.T, p []byte, c []byte) []byte {
	t.Helper()
	tags := iccTags(p)
	old := tags["rTRC"]
	if len(old) != len(c) {
		t.Fatalf("curve of %d bytes, want %d", len(c), len(old))
	}
	return bytes.ReplaceAll(p, old, c)
}

// TestToneCurves checks profiles whose tone curves are not sRGB's:
// Apple's Generic RGB and ProPhoto use gamma 1.8, as a parametric curve, a
// single-gamma curv or a sampled table.
func TestToneCurves(t *testing.T) {
	gammaCurv := []byte("curv\x00\x00\x00\x00\x00\x00\x00\x01\x01\xCD\x00\x00") // u8Fixed8 1.8 (0x01CD), padded
	for name, p := range map[string][]byte{
		"parametric 1.8":       iccProfile(srgbPrimaries, 1.8),
		"curv gamma 1.8":       withCurve(t, iccProfile(srgbPrimaries, 1.8), gammaCurv),
		"ProPhoto primaries":   iccProfile(proPhoto, 1.8),
		"Display P3 gamma 2.2": iccProfile(displayP3, 2.2),
	} {
		curves, m := profileConversion(p)
		if curves == nil {
			t.Errorf("%s: no tone curves", name)
			continue
		}
		g := 1.8
		if strings.Contains(name, "2.2") {
			g = 2.2
		}
		if strings.HasPrefix(name, "curv") {
			g = 0x01CD / 256.0
		}
		for _, i := range []int{0, 32, 128, 200, 255} {
			want := math.Pow(float64(i)/255, g)
			if d := math.Abs(float64(curves[1][i]) - want); d > 1e-4 {
				t.Errorf("%s: level %d linearizes to %.5f, want %.5f", name, i, curves[1][i], want)
			}
		}
		if primariesSRGB := !strings.Contains(name, "P"); (m == nil) != primariesSRGB {
			t.Errorf("%s: matrix %v", name, m)
		}
	}
	// A sampled curve of 1024 entries.
	table := []byte("curv\x00\x00\x00\x00\x00\x00\x04\x00")
	for i := range 1024 {
		table = binary.BigEndian.AppendUint16(table, uint16(math.Round(65535*math.Pow(float64(i)/1023, 1.8))))
	}
	eval := curveFunc(table)
	if eval == nil {
		t.Fatal("no function for a sampled curve")
	}
	if got, want := eval(0.5), math.Pow(0.5, 1.8); math.Abs(got-want) > 1e-3 {
		t.Errorf("sampled curve at 0.5 = %.4f, want %.4f", got, want)
	}
}

// TestProcessGamma18 checks that a gamma 1.8 photo (Apple's Generic RGB)
// comes out as bright as it looks on a Mac, not darker as raw sRGB would.
func TestProcessGamma18(t *testing.T) {
	flat := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := 0; i < len(flat.Pix); i += 4 {
		copy(flat.Pix[i:], []byte{128, 64, 200, 255})
	}
	pngData := encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, flat) })
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(iccProfile(srgbPrimaries, 1.8))
	zw.Close()
	data := pngWithChunk(pngData, "iCCP", append([]byte("Generic RGB\x00\x00"), z.Bytes()...))
	res, err := Process(bytes.NewReader(data), &Options{Crop: CropNone})
	if err != nil {
		t.Fatal(err)
	}
	r, g, b, _ := decodeOutput(t, res.JPEG).At(16, 16).RGBA()
	got := [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
	enc := func(v uint8) int { return int(math.Round(255 * linearToSRGB(math.Pow(float64(v)/255, 1.8)))) }
	want := [3]int{enc(128), enc(64), enc(200)}
	for c := range 3 {
		if d := got[c] - want[c]; d < -2 || d > 2 {
			t.Errorf("centre pixel = %v, want %v ± 2 (the file's numbers are %v)", got, want, []int{128, 64, 200})
			break
		}
	}
}

// TestProcessDisplayP3 checks that a Display P3 photo comes out with the
// colours it shows on a phone, not as if its numbers were sRGB.
func TestProcessDisplayP3(t *testing.T) {
	p3 := color.RGBA{200, 120, 80, 255} // a skin tone
	flat := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := 0; i < len(flat.Pix); i += 4 {
		copy(flat.Pix[i:], []byte{p3.R, p3.G, p3.B, 255})
	}
	pngData := encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, flat) })
	iccp := func(profile []byte) []byte {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(profile)
		zw.Close()
		return append([]byte("Display P3\x00\x00"), z.Bytes()...)
	}
	// Expected: P3 to linear, the published P3-D65 to sRGB matrix, to sRGB.
	lin := [3]float64{srgbToLinear(200.0 / 255), srgbToLinear(120.0 / 255), srgbToLinear(80.0 / 255)}
	enc := func(v float64) int { return int(math.Round(255 * linearToSRGB(min(1, max(0, v))))) }
	want := [3]int{
		enc(1.2249401*lin[0] - 0.2249404*lin[1]),
		enc(-0.0420569*lin[0] + 1.0420571*lin[1]),
		enc(-0.0196376*lin[0] - 0.0786361*lin[1] + 1.0982735*lin[2]),
	}
	asIs := [3]int{200, 120, 80}
	p3Profile, srgbProfile := iccProfile(displayP3, 0), iccProfile(srgbPrimaries, 0)
	// A lossless WebP of the flat colour, its ICCP chunk added.
	webpP3 := func() []byte {
		const iccFlag = 1 << 5
		simple := readTestdata(t, "flat-200-120-80-lossless.webp")
		return webpExtended(t, simple, iccFlag, "ICCP", string(p3Profile))
	}()
	tests := []struct {
		name string
		data []byte
		want [3]int
	}{
		{"png iCCP Display P3", pngWithChunk(pngData, "iCCP", iccp(p3Profile)), want},
		{"jpeg APP2 Display P3", withICC(encodeJPEG(t, flat, 100), p3Profile), want},
		{"webp ICCP Display P3", webpP3, want},
		{"png iCCP sRGB", pngWithChunk(pngData, "iCCP", iccp(srgbProfile)), asIs},
		{"png without profile", pngData, asIs},
		{"png iCCP corrupt", pngWithChunk(pngData, "iCCP", []byte("x\x00\x00garbage")), asIs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Process(bytes.NewReader(tt.data), &Options{Crop: CropNone})
			if err != nil {
				t.Fatal(err)
			}
			r, g, b, _ := decodeOutput(t, res.JPEG).At(16, 16).RGBA()
			got := [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
			for c := range 3 {
				if d := got[c] - tt.want[c]; d < -3 || d > 3 {
					t.Errorf("centre pixel = %v, want %v ± 3", got, tt.want)
					break
				}
			}
		})
	}
}

func TestTiffICC(t *testing.T) {
	profile := iccProfile(displayP3, 0)
	// Big-endian TIFF header, IFD0 at 8 with one entry: tag 34675,
	// UNDEFINED, the profile's length, stored after the IFD at offset 26.
	block := []byte("MM\x00*\x00\x00\x00\x08\x00\x01\x87\x73\x00\x07")
	block = binary.BigEndian.AppendUint32(block, uint32(len(profile)))
	block = binary.BigEndian.AppendUint32(block, 26)
	block = append(block, 0, 0, 0, 0) // no next IFD
	block = append(block, profile...)
	if got := tiffICC(block); !bytes.Equal(got, profile) {
		t.Errorf("tiffICC returned %d bytes, want the %d-byte profile", len(got), len(profile))
	}
	if got := tiffICC(block[:len(block)-1]); got != nil {
		t.Errorf("tiffICC of a truncated file returned %d bytes, want nil", len(got))
	}
	if _, m := profileConversion(embeddedICC(formatTIFF, block)); m == nil {
		t.Error("the Display P3 profile of a TIFF gives no conversion")
	}
}
