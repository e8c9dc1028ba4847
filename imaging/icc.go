package imaging

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"math"
)

// maxICCBytes bounds an embedded ICC profile: display profiles are a few
// KiB, press profiles up to about 2 MiB, and a compressed PNG profile must
// not inflate without limit.
const maxICCBytes = 4 << 20

// srgbD50 is the sRGB colorant matrix adapted to the ICC's D50 white, as in
// the sRGB IEC61966-2.1 profile: linear sRGB to PCS XYZ.
var srgbD50 = [3][3]float64{
	{0.4360747, 0.3850649, 0.1430804},
	{0.2225045, 0.7168786, 0.0606169},
	{0.0139322, 0.0971045, 0.7141733},
}

// embeddedICC returns the ICC profile embedded in data, or nil when there
// is none or it is over maxICCBytes.
func embeddedICC(format string, data []byte) []byte {
	var p []byte
	switch format {
	case formatJPEG:
		p = jpegICC(data)
	case formatPNG:
		p = pngICC(data)
	case formatWebP:
		p = riffChunk(data, "ICCP")
	case formatTIFF:
		p = tiffICC(data)
	}
	if len(p) > maxICCBytes {
		return nil
	}
	return p
}

// jpegICC joins the ICC_PROFILE chunks of the APP2 segments, which carry a
// sequence number because one segment holds at most 64 KiB.
func jpegICC(data []byte) []byte {
	var chunks [256][]byte
	total := 0
	walkJPEG(data, func(marker byte, seg []byte) bool {
		if marker == 0xe2 && len(seg) > 14 && bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00")) {
			chunks[seg[12]] = seg[14:]
			total = int(seg[13])
		}
		return true
	})
	if total == 0 {
		return nil
	}
	var p []byte
	for i := 1; i <= total; i++ {
		if chunks[i] == nil {
			return nil
		}
		p = append(p, chunks[i]...)
	}
	return p
}

// pngICC inflates the profile of the iCCP chunk: a name, a NUL, the
// compression method and a zlib stream.
func pngICC(data []byte) []byte {
	c := pngChunk(data, "iCCP")
	i := bytes.IndexByte(c, 0)
	if i < 0 || i+2 > len(c) {
		return nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(c[i+2:]))
	if err != nil {
		return nil
	}
	p, err := io.ReadAll(io.LimitReader(zr, maxICCBytes+1))
	if err != nil || len(p) > maxICCBytes {
		return nil
	}
	return p
}

// toneCurves linearizes 8-bit samples of each channel by an ICC profile's
// tone curves, in place of the sRGB curve.
type toneCurves [3][256]float32

// profileConversion returns the conversion from the colour space of an ICC
// profile to sRGB, read from its colorants and tone curves: the curves that
// linearize its samples (nil when they are sRGB's) and the matrix from its
// linear RGB to linear sRGB (nil when its primaries are sRGB's). Both are
// nil when p is nil, sRGB already, or not a matrix/TRC RGB profile; the
// pixels are then used as sRGB, as browsers without colour management
// would.
//
// Converting matters most for Display P3, which recent phones write: shown
// as sRGB, its colours look washed out, skin turns grey-pink. Apple's
// Generic RGB and ProPhoto have a gamma of 1.8: shown as sRGB, their mid
// tones come out some 15 levels too dark.
func profileConversion(p []byte) (*toneCurves, *colorMatrix) {
	if len(p) < 132 || len(p) > maxICCBytes || string(p[12:16]) != "mntr" && string(p[12:16]) != "scnr" ||
		string(p[16:20]) != "RGB " || string(p[20:24]) != "XYZ " {
		return nil, nil
	}
	tags := iccTags(p)
	var (
		src    [3][3]float64
		curves toneCurves
	)
	srgbCurves := true
	for c, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		xyz, ok := xyzTag(tags[sig])
		if !ok {
			return nil, nil
		}
		for r := range 3 {
			src[r][c] = xyz[r]
		}
		eval := curveFunc(tags[[]string{"rTRC", "gTRC", "bTRC"}[c]])
		if eval == nil {
			return nil, nil
		}
		for i := range curves[c] {
			v := eval(float64(i) / 255)
			if math.IsNaN(v) {
				return nil, nil
			}
			curves[c][i] = float32(min(1, max(0, v)))
			// Within half a level of 8-bit sRGB everywhere: use the
			// package's own sRGB tables.
			if math.Abs(linearToSRGB(min(1, max(0, v)))-float64(i)/255) > 0.5/255 {
				srgbCurves = false
			}
		}
	}
	m, ok := convertMatrix(src, srgbD50)
	if !ok {
		return nil, nil
	}
	identity := true
	for r := range 3 {
		for c := range 3 {
			if want := float32(boolInt(r == c)); math.Abs(float64(m[r][c]-want)) > 0.01 {
				identity = false
			}
		}
	}
	var tc *toneCurves
	if !srgbCurves {
		tc = &curves
	}
	if identity {
		return tc, nil
	}
	return tc, &m
}

// linearizedBy returns a reader of the same pixels as read, which
// linearizes them by the sRGB curve, linearized by curves instead. The
// samples are 8-bit as far as a profile's curves go, so the sRGB-linear
// values map back to their 8-bit codes exactly.
func linearizedBy(read rowReader, curves *toneCurves) rowReader {
	enc := encode8()
	return func(y, x0, x1 int, dst []float32) {
		read(y, x0, x1, dst)
		px := dst[:3*(x1-x0)]
		for i := 0; i < len(px); i += 3 {
			p := px[i : i+3 : i+3]
			p[0] = curves[0][toSRGB8(enc, p[0])]
			p[1] = curves[1][toSRGB8(enc, p[1])]
			p[2] = curves[2][toSRGB8(enc, p[2])]
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// xyzTag decodes an XYZType tag: 'XYZ ', 4 reserved bytes, three s15Fixed16.
func xyzTag(t []byte) ([3]float64, bool) {
	var v [3]float64
	if len(t) < 20 || string(t[:4]) != "XYZ " {
		return v, false
	}
	for i := range v {
		v[i] = float64(int32(binary.BigEndian.Uint32(t[8+4*i:]))) / 65536
	}
	return v, true
}

// curveFunc returns the tone curve of a TRC tag as a function, or nil.
func curveFunc(t []byte) func(float64) float64 {
	if len(t) < 12 {
		return nil
	}
	be := binary.BigEndian
	switch string(t[:4]) {
	case "curv":
		n := int(be.Uint32(t[8:]))
		switch {
		case n == 0:
			return func(x float64) float64 { return x }
		case n == 1 && len(t) >= 14:
			g := float64(be.Uint16(t[12:])) / 256
			return func(x float64) float64 { return math.Pow(x, g) }
		case n > 1 && len(t) >= 12+2*n:
			return func(x float64) float64 {
				pos := x * float64(n-1)
				i := min(int(pos), n-2)
				a, b := float64(be.Uint16(t[12+2*i:])), float64(be.Uint16(t[14+2*i:]))
				return (a + (b-a)*(pos-float64(i))) / 65535
			}
		}
	case "para":
		kind := int(be.Uint16(t[8:]))
		counts := []int{1, 3, 4, 5, 7}
		if kind >= len(counts) || len(t) < 12+4*counts[kind] {
			return nil
		}
		var prm [7]float64
		for i := range counts[kind] {
			prm[i] = float64(int32(be.Uint32(t[12+4*i:]))) / 65536
		}
		g, a, b, c, d, e, f := prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6]
		return func(x float64) float64 {
			switch kind {
			case 0:
				return math.Pow(x, g)
			case 1:
				if x >= -b/a {
					return math.Pow(a*x+b, g)
				}
				return 0
			case 2:
				if x >= -b/a {
					return math.Pow(a*x+b, g) + c
				}
				return c
			case 3:
				if x >= d {
					return math.Pow(a*x+b, g)
				}
				return c * x
			}
			if x >= d {
				return math.Pow(a*x+b, g) + e
			}
			return c*x + f
		}
	}
	return nil
}

// convertMatrix returns the matrix that takes linear RGB whose primaries,
// in XYZ, are the columns of src to linear RGB whose primaries are the
// columns of dst: dst⁻¹·src. ok is false when dst has no inverse.
func convertMatrix(src, dst [3][3]float64) (m colorMatrix, ok bool) {
	inv, ok := invert3(dst)
	if !ok {
		return m, false
	}
	for r := range 3 {
		for c := range 3 {
			var v float64
			for k := range 3 {
				v += inv[r][k] * src[k][c]
			}
			m[r][c] = float32(v)
		}
	}
	return m, true
}

func invert3(m [3][3]float64) ([3][3]float64, bool) {
	var inv [3][3]float64
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	if math.Abs(det) < 1e-9 {
		return inv, false
	}
	for r := range 3 {
		for c := range 3 {
			// Cofactor of (c, r), transposed.
			r1, r2 := (c+1)%3, (c+2)%3
			c1, c2 := (r+1)%3, (r+2)%3
			inv[r][c] = (m[r1][c1]*m[r2][c2] - m[r1][c2]*m[r2][c1]) / det
		}
	}
	return inv, true
}
