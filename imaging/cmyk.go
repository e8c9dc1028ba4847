package imaging

import "encoding/binary"

// A cmykProfile converts CMYK ink amounts to linear sRGB as the source's
// embedded output profile describes them. Without it, CMYK is converted by
// the textbook formula, which shows press CMYK too light and too saturated.
//
// The profile's A2B0 table (CMYK to PCS) is evaluated once on a regular grid
// of cmykGrid nodes per ink, already converted to linear sRGB; pixels are
// interpolated in that grid.
type cmykProfile struct {
	rgb []float32 // cmykGrid^4 nodes × 3, index ((c*G+m)*G+y)*G+k
}

// cmykGrid is the nodes per ink of the precomputed grid; profiles ship 9 to
// 33, and 17 keeps interpolation error under one 8-bit level.
const cmykGrid = 17

// newCMYKProfile reads an output (or colour space) profile for CMYK data
// with an 8- or 16-bit A2B0 lookup table, or returns nil.
func newCMYKProfile(p []byte) *cmykProfile {
	if len(p) < 132 || string(p[16:20]) != "CMYK" {
		return nil
	}
	pcs := string(p[20:24])
	if pcs != "Lab " && pcs != "XYZ " {
		return nil
	}
	table := iccTags(p)["A2B0"]
	lut := parseLUT(table)
	if lut == nil || lut.in != 4 || lut.out != 3 || pcs == "XYZ " && lut.bits == 8 {
		return nil
	}
	inv, ok := invert3(srgbD50)
	if !ok {
		return nil
	}
	cp := &cmykProfile{rgb: make([]float32, cmykGrid*cmykGrid*cmykGrid*cmykGrid*3)}
	var in [4]float64
	var pcsOut [3]float64
	i := 0
	for c := range cmykGrid {
		for m := range cmykGrid {
			for y := range cmykGrid {
				for k := range cmykGrid {
					in = [4]float64{float64(c), float64(m), float64(y), float64(k)}
					for j := range in {
						in[j] /= cmykGrid - 1
					}
					lut.eval(in[:], pcsOut[:])
					xyz := pcsOut
					if pcs == "Lab " {
						xyz = lutLabToXYZ(pcsOut, lut.bits)
					} else {
						for j := range xyz {
							xyz[j] *= 65535.0 / 32768 // u1Fixed15
						}
					}
					for r := range 3 {
						cp.rgb[i+r] = float32(inv[r][0]*xyz[0] + inv[r][1]*xyz[1] + inv[r][2]*xyz[2])
					}
					i += 3
				}
			}
		}
	}
	return cp
}

// cmykCells maps an 8-bit ink amount to its grid cell and the position in it.
var cmykCells = func() (t [256]struct {
	n int
	f float32
}) {
	for v := range t {
		pos := float32(v) * (cmykGrid - 1) / 255
		n := min(int(pos), cmykGrid-2)
		t[v].n, t[v].f = n, pos-float32(n)
	}
	return t
}()

// linear returns the linear sRGB of 8-bit ink amounts (255 = full ink), by
// simplex interpolation: the grid cell is split along the order of the
// fractional parts, so only five of its sixteen corners are read.
func (cp *cmykProfile) linear(c, m, y, k uint8) (float32, float32, float32) {
	const g = cmykGrid
	cc, cm, cy, ck := cmykCells[c], cmykCells[m], cmykCells[y], cmykCells[k]
	s0, s1, s2, s3 := g*g*g*3, g*g*3, g*3, 3
	base := cc.n*s0 + cm.n*s1 + cy.n*s2 + ck.n*s3
	f0, f1, f2, f3 := cc.f, cm.f, cy.f, ck.f
	// Sort by falling fraction with a network of five compare-swaps.
	if f0 < f1 {
		f0, f1, s0, s1 = f1, f0, s1, s0
	}
	if f2 < f3 {
		f2, f3, s2, s3 = f3, f2, s3, s2
	}
	if f0 < f2 {
		f0, f2, s0, s2 = f2, f0, s2, s0
	}
	if f1 < f3 {
		f1, f3, s1, s3 = f3, f1, s3, s1
	}
	if f1 < f2 {
		f1, f2, s1, s2 = f2, f1, s2, s1
	}
	t := cp.rgb
	i1 := base + s0
	i2 := i1 + s1
	i3 := i2 + s2
	i4 := i3 + s3
	w0, w1, w2, w3, w4 := 1-f0, f0-f1, f1-f2, f2-f3, f3
	v0, v1, v2, v3, v4 := t[base:base+3:base+3], t[i1:i1+3:i1+3], t[i2:i2+3:i2+3], t[i3:i3+3:i3+3], t[i4:i4+3:i4+3]
	return w0*v0[0] + w1*v1[0] + w2*v2[0] + w3*v3[0] + w4*v4[0],
		w0*v0[1] + w1*v1[1] + w2*v2[1] + w3*v3[1] + w4*v4[1],
		w0*v0[2] + w1*v1[2] + w2*v2[2] + w3*v3[2] + w4*v4[2]
}

// A lut is an ICC lut8Type or lut16Type table: per-input curves, a
// multidimensional table, per-output curves, all on [0, 1].
type lut struct {
	in, out, grid int
	bits          int         // 8 or 16: the PCS encoding of the output
	inCurves      [][]float64 // in × entries
	clut          []float64   // grid^in × out
	outCurves     [][]float64 // out × entries
}

// parseLUT reads a 'mft1' or 'mft2' tag, or returns nil.
func parseLUT(t []byte) *lut {
	if len(t) < 48 {
		return nil
	}
	l := &lut{in: int(t[8]), out: int(t[9]), grid: int(t[10])}
	if l.in < 1 || l.in > 4 || l.out < 1 || l.out > 3 || l.grid < 2 {
		return nil
	}
	var inN, outN, size, off int
	switch string(t[:4]) {
	case "mft1":
		l.bits, size, inN, outN, off = 8, 1, 256, 256, 48
	case "mft2":
		if len(t) < 52 {
			return nil
		}
		l.bits, size, off = 16, 2, 52
		inN, outN = int(binary.BigEndian.Uint16(t[48:])), int(binary.BigEndian.Uint16(t[50:]))
		if inN < 2 || outN < 2 {
			return nil
		}
	default:
		return nil
	}
	clutN := l.out
	for range l.in {
		clutN *= l.grid
	}
	if len(t) < off+size*(l.in*inN+clutN+l.out*outN) {
		return nil
	}
	read := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			if size == 1 {
				v[i] = float64(t[off+i]) / 255
			} else {
				v[i] = float64(binary.BigEndian.Uint16(t[off+2*i:])) / 65535
			}
		}
		off += size * n
		return v
	}
	for range l.in {
		l.inCurves = append(l.inCurves, read(inN))
	}
	l.clut = read(clutN)
	for range l.out {
		l.outCurves = append(l.outCurves, read(outN))
	}
	return l
}

// curve evaluates a sampled curve at x in [0, 1] by linear interpolation.
func curve(c []float64, x float64) float64 {
	pos := min(max(x, 0), 1) * float64(len(c)-1)
	i := min(int(pos), len(c)-2)
	return c[i] + (c[i+1]-c[i])*(pos-float64(i))
}

// eval runs in (l.in values) through the table into out (l.out values),
// interpolating the grid multilinearly.
func (l *lut) eval(in, out []float64) {
	var idx [4]int
	var frac [4]float64
	for i := range l.in {
		pos := curve(l.inCurves[i], in[i]) * float64(l.grid-1)
		idx[i] = min(int(pos), l.grid-2)
		frac[i] = pos - float64(idx[i])
	}
	clear(out[:l.out])
	for corner := range 1 << l.in {
		w, node := 1.0, 0
		for i := range l.in {
			bit := corner >> (l.in - 1 - i) & 1
			if bit == 1 {
				w *= frac[i]
			} else {
				w *= 1 - frac[i]
			}
			node = node*l.grid + idx[i] + bit
		}
		if w == 0 {
			continue
		}
		for o := range l.out {
			out[o] += w * l.clut[node*l.out+o]
		}
	}
	for o := range l.out {
		out[o] = curve(l.outCurves[o], out[o])
	}
}

// d50 is the PCS white point.
var d50 = [3]float64{0.9642, 1, 0.8249}

// lutLabToXYZ decodes a PCS Lab value as lut8Type and lut16Type encode it
// (the ICC v2 encoding: L* 100 at 0xFF00 in 16 bits) and converts it to XYZ.
func lutLabToXYZ(v [3]float64, bits int) [3]float64 {
	var L, a, b float64
	if bits == 8 {
		L, a, b = v[0]*100, v[1]*255-128, v[2]*255-128
	} else {
		L, a, b = v[0]*65535/65280*100, v[1]*65535/256-128, v[2]*65535/256-128
	}
	fy := (L + 16) / 116
	f := []float64{fy + a/500, fy, fy - b/200}
	var xyz [3]float64
	for i, t := range f {
		if t > 6.0/29 {
			xyz[i] = t * t * t
		} else {
			xyz[i] = 3 * (6.0 / 29) * (6.0 / 29) * (t - 4.0/29)
		}
		xyz[i] *= d50[i]
	}
	return xyz
}

// iccTags indexes the tag table of a profile; tags that point outside it
// are left out.
func iccTags(p []byte) map[string][]byte {
	tags := map[string][]byte{}
	if len(p) < 132 {
		return tags
	}
	n := int(binary.BigEndian.Uint32(p[128:]))
	for i := range min(n, (len(p)-132)/12) {
		e := p[132+12*i:]
		off, size := int64(binary.BigEndian.Uint32(e[4:])), int64(binary.BigEndian.Uint32(e[8:]))
		if off+size <= int64(len(p)) {
			tags[string(e[:4])] = p[off : off+size]
		}
	}
	return tags
}
