package imaging

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"runtime"
	"strings"
	"sync"

	"github.com/contactphoto/contactphoto/imaging/internal/heif"
	"github.com/contactphoto/contactphoto/imaging/internal/hevc"
)

// heicImage is the primary image of a HEIC file and how it is shown.
type heicImage struct {
	img *heif.Image
	// crop is the clean aperture in the pixels of the coded image (the
	// grid's output for a grid): the stored image.
	crop image.Rectangle
	// orient turns the stored image upright (irot and imir).
	orient orientation
	// tileW, tileH is the size of each coded image; a single coded image
	// is a grid of one tile.
	tileW, tileH, cols, rows int
	tiles                    []*heif.Image
}

// openHEIC parses the container and works out the display geometry.
func openHEIC(data []byte) (*heicImage, error) {
	f, err := heif.Parse(data)
	if err != nil {
		return nil, heicError(err)
	}
	img := f.Primary
	h := &heicImage{img: img, crop: image.Rect(0, 0, img.Width, img.Height), orient: 1}
	if g := img.Grid; g != nil {
		h.tiles, h.cols, h.rows = g.Tiles, g.Columns, g.Rows
		h.tileW, h.tileH = g.Tiles[0].Width, g.Tiles[0].Height
	} else {
		h.tiles, h.cols, h.rows = []*heif.Image{img}, 1, 1
		h.tileW, h.tileH = img.Width, img.Height
	}
	// The transformative properties apply in the order of association
	// (ISO/IEC 23008-12 6.5.1): a clean aperture after a rotation is in
	// rotated pixels, and is mapped back to stored ones.
	for _, t := range img.Transforms {
		switch t.Type {
		case "clap":
			w, ht := h.crop.Dx(), h.crop.Dy()
			uw, uh := h.orient.uprightSize(w, ht)
			r, ok := t.Clap.Rect(uw, uh)
			if !ok {
				return nil, &FormatError{Format: formatHEIC, Err: errors.New("the clean aperture lies outside the image")}
			}
			h.crop = h.orient.storedRect(r, w, ht).Add(h.crop.Min)
		case "irot":
			// Anticlockwise quarter turns as Exif orientations.
			h.orient = h.orient.then([4]orientation{1, 8, 3, 6}[t.Rotation])
		case "imir":
			// Axis 0 exchanges top and bottom (Exif orientation 4), 1
			// left and right (2): ISO/IEC 23008-12:2022 6.5.12, and
			// libheif.
			h.orient = h.orient.then([2]orientation{4, 2}[t.Axis])
		}
	}
	return h, nil
}

// heicError classifies an error of the container parser or the HEVC
// decoder: a valid file using a feature they lack is unsupported, anything
// else is corrupt.
func heicError(err error) error {
	var (
		containerUnsupported *heif.UnsupportedError
		codecUnsupported     *hevc.UnsupportedError
	)
	if errors.As(err, &containerUnsupported) || errors.As(err, &codecUnsupported) {
		return unsupportedf("this HEIC uses a feature the decoder lacks (%v); export as JPEG", err)
	}
	return &FormatError{Format: formatHEIC, Err: err}
}

// signal is the colour description the samples are coded with: the colr
// nclx property, else what the coded image's VUI says (matrix and range;
// a colr ICC profile gives only the primaries).
func (h *heicImage) signal() heif.Colour {
	if h.img.Colour.Type == "nclx" {
		return h.img.Colour
	}
	return h.img.Config.VideoSignal
}

// describe says in a few words how the image is stored, for -debug output.
func (h *heicImage) describe(f int) string {
	var parts []string
	if h.img.Grid != nil {
		parts = append(parts, fmt.Sprintf("grid of %dx%d tiles of %dx%d", h.cols, h.rows, h.tileW, h.tileH))
	} else {
		parts = append(parts, "one coded image")
	}
	c := h.img.Config
	parts = append(parts, fmt.Sprintf("%s %d-bit", [4]string{"4:0:0", "4:2:0", "4:2:2", "4:4:4"}[c.ChromaFormat], c.BitDepthLuma))
	if h.crop != image.Rect(0, 0, h.img.Width, h.img.Height) {
		parts = append(parts, fmt.Sprintf("clean aperture %v of %dx%d", h.crop, h.img.Width, h.img.Height))
	}
	for _, t := range h.img.Transforms {
		switch t.Type {
		case "irot":
			parts = append(parts, fmt.Sprintf("irot %d", t.Rotation))
		case "imir":
			parts = append(parts, fmt.Sprintf("imir %d", t.Axis))
		}
	}
	sig := h.signal()
	rng := "limited"
	if sig.FullRange {
		rng = "full"
	}
	from := "colr nclx"
	if h.img.Colour.Type != "nclx" {
		from = "HEVC VUI"
	}
	parts = append(parts, fmt.Sprintf("%s primaries %d, transfer %d, matrix %d, %s range", from, sig.Primaries, sig.TransferCharacteristics, sig.MatrixCoeffs, rng))
	if col := h.img.Colour; col.Type == "prof" || col.Type == "rICC" {
		parts = append(parts, fmt.Sprintf("ICC profile of %d bytes", len(col.ICC)))
	}
	if f > 1 {
		parts = append(parts, fmt.Sprintf("decoded at 1/%d", f))
	}
	return strings.Join(parts, ", ")
}

// loadHEIC is load for HEIC: the container is read once for the geometry,
// the colour and the tiles, and the decode acquires its peak (heicPeak)
// from the memory budget first. release gives it back.
// openHEICWithin reads a HEIC file's container and refuses, before any tile
// is decoded, an image over the settings' budgets. Tiles are decoded one at a
// time and reduced at once, so only the reduced image is held whole: the
// budget is that of JPEG. A single coded image is held whole while it is
// decoded.
func openHEICWithin(data []byte, s settings) (*heicImage, error) {
	h, err := openHEIC(data)
	if err != nil {
		return nil, err
	}
	if err := checkPixels(h.crop.Dx(), h.crop.Dy(), h.img.Width, h.img.Height, s.maxPixels); err != nil {
		return nil, err
	}
	if err := checkPixels(h.tileW, h.tileH, h.tileW, h.tileH, s.maxFull); err != nil {
		return nil, err
	}
	return h, nil
}

func loadHEIC(data []byte, s settings) (src *source, release func(), err error) {
	defer func() { // after recoverDecoder, which may turn a panic into err
		if err != nil && release != nil {
			release()
			release = nil
		}
	}()
	defer recoverDecoder(formatHEIC, &err)
	h, err := openHEICWithin(data, s)
	if err != nil {
		return nil, nil, err
	}
	w, ht := h.crop.Dx(), h.crop.Dy()
	f := max(1, min(w, ht)/minDecodedShort(s, w, ht))
	release, err = s.acquire(h.peak(f)+renderBytes(s), fmt.Sprintf("this %dx%d HEIC", w, ht))
	if err != nil {
		return nil, nil, err
	}
	m, err := h.decode(data, f)
	if err != nil {
		return nil, release, err
	}
	src = &source{format: formatHEIC, width: w, height: ht, orientation: h.orient, img: m, info: h.describe(f)}
	if col := h.img.Colour; col.Type == "prof" || col.Type == "rICC" {
		if len(col.ICC) <= maxICCBytes {
			src.curves, src.conv = profileConversion(col.ICC)
		}
	} else {
		src.conv = primariesMatrix(h.signal().Primaries)
	}
	return src, release, nil
}

// peak is what decode allocates when it reduces by f: the reduced image at
// 4:2:0; for each goroutine, a decoded tile (its planes at 2 bytes a
// sample, the copy the decoder's SAO filters from, and its per-4×4-block
// state, under 8 bytes a luma sample together) and a row of linear RGB;
// and the blocks and chroma samples on tile boundaries, which may wait for
// a neighbouring tile.
func (h *heicImage) peak(f int) int64 {
	ow, oh := int64((h.crop.Dx()+f-1)/f), int64((h.crop.Dy()+f-1)/f)
	workers := int64(min(max(1, runtime.GOMAXPROCS(0)), len(h.tiles)))
	tw, th := int64(h.tileW), int64(h.tileH)
	return ow*oh*3/2 + workers*(8*tw*th+12*tw) + 64*(int64(h.cols)*oh+int64(h.rows)*ow)
}

// checkPixels checks a w×h image, whose container claims cw×ch, against a
// pixel budget.
func checkPixels(w, h, cw, ch int, limit int64) error {
	if px := int64(cw) * int64(ch); px > limit {
		if cw != w || ch != h {
			return tooLargef("%dx%d (%dx%d before cropping) is %d pixels, over the limit of %d", w, h, cw, ch, px, limit)
		}
		return tooLargef("%dx%d is %d pixels, over the limit of %d", w, h, px, limit)
	}
	return nil
}

// decode decodes the tiles that meet the clean aperture, in rows from the
// top, a tile on each of GOMAXPROCS goroutines, and reduces each at once by
// f on both axes in linear light into the returned image. Only the reduced
// image, the blocks that straddle tiles in progress and one decoded tile
// per goroutine exist at any time.
func (h *heicImage) decode(data []byte, f int) (*image.YCbCr, error) {
	red := newHEICReducer(h.crop, f, h.signal(), h.img.Config)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || next >= len(h.tiles) {
			return -1
		}
		next++
		return next - 1
	}
	for range min(max(1, runtime.GOMAXPROCS(0)), len(h.tiles)) {
		wg.Go(func() {
			for i := take(); i >= 0; i = take() {
				origin := image.Pt(i%h.cols*h.tileW, i/h.cols*h.tileH)
				if !image.Rect(0, 0, h.tileW, h.tileH).Add(origin).Overlaps(h.crop) {
					continue
				}
				if err := red.addTile(h.tiles[i], origin, len(data)); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if len(red.edges) > 0 || len(red.groups) > 0 {
		return nil, &FormatError{Format: formatHEIC, Err: errors.New("the grid's tiles left blocks unfilled")}
	}
	return red.out, nil
}

// heicReducer sums decoded tiles, converted to linear RGB, into f×f blocks
// and writes each block's mean to out. A block that lies in one tile is
// finished while that tile is reduced; only blocks that straddle tiles
// (none when f divides the tile size and the clean aperture starts on a
// block) wait in edges for the other tiles' pixels. The mean is kept as
// 8-bit sRGB turned into JPEG's Y'CbCr at 4:2:0, 1.5 bytes a pixel, as the
// JPEG path keeps its reduced image; the chroma of a 2×2 group waits in
// groups while its pixels are finished by different tiles.
type heicReducer struct {
	crop   image.Rectangle
	f      int
	out    *image.YCbCr // 4:2:0
	conv   *yccConverter
	chroma int // the chroma format of every tile, as hvcC says

	mu     sync.Mutex
	edges  map[image.Point]*partialBlock  // by output pixel
	groups map[image.Point]*partialChroma // by chroma sample
}

// A partialBlock is the sum of the pixels of a block seen so far.
type partialBlock struct {
	sum [3]float32
	n   int
}

func newHEICReducer(crop image.Rectangle, f int, col heif.Colour, cfg *heif.HEVCConfig) *heicReducer {
	ow, oh := (crop.Dx()+f-1)/f, (crop.Dy()+f-1)/f
	return &heicReducer{
		crop: crop, f: f,
		out:    image.NewYCbCr(image.Rect(0, 0, ow, oh), image.YCbCrSubsampleRatio420),
		conv:   newYCCConverter(col, cfg.ChromaFormat, cfg.BitDepthLuma, cfg.BitDepthChroma),
		chroma: cfg.ChromaFormat,
		edges:  map[image.Point]*partialBlock{},
		groups: map[image.Point]*partialChroma{},
	}
}

// addTile decodes a tile whose top left is at origin and adds the part of it
// inside the clean aperture. It runs on a goroutine of its own, so a panic
// in the decoder is turned into a FormatError here, not in load.
func (r *heicReducer) addTile(tile *heif.Image, origin image.Point, limit int) (err error) {
	defer recoverDecoder(formatHEIC, &err)
	nals, err := tile.NALUnits(limit)
	if err != nil {
		return heicError(err)
	}
	cfg, err := hevc.DecodeConfig(nals)
	if err != nil {
		return heicError(err)
	}
	if cfg.Width != tile.Width || cfg.Height != tile.Height {
		return &FormatError{Format: formatHEIC, Err: fmt.Errorf("a coded image is %dx%d but its ispe says %dx%d", cfg.Width, cfg.Height, tile.Width, tile.Height)}
	}
	pic, err := hevc.Decode(nals)
	if err != nil {
		return heicError(err)
	}
	if pic.Width != tile.Width || pic.Height != tile.Height || pic.ChromaFormat != cfg.ChromaFormat ||
		pic.ChromaFormat != r.chroma || pic.BitDepthLuma != r.conv.depthY || pic.ChromaFormat != 0 && pic.BitDepthChroma != r.conv.depthC {
		return &FormatError{Format: formatHEIC, Err: errors.New("a decoded picture does not match its parameter sets or the grid's configuration")}
	}
	return r.addPicture(pic, origin)
}

// addPicture adds the part of a decoded tile inside the clean aperture; its
// top left is at origin.
func (r *heicReducer) addPicture(pic *hevc.Picture, origin image.Point) error {
	area := image.Rect(0, 0, pic.Width, pic.Height).Add(origin).Intersect(r.crop)
	if area.Empty() {
		return nil
	}
	f, c := r.f, r.crop.Min
	// The blocks the area reaches, in output pixels, and the 2×2 groups of
	// them that share a chroma sample.
	bx0, bx1 := (area.Min.X-c.X)/f, (area.Max.X-c.X+f-1)/f
	gx0 := bx0 / 2
	rgb := make([]float32, 3*area.Dx())
	sums := make([]float32, 3*(bx1-bx0))
	chroma := make([]partialChroma, (bx1-1)/2-gx0+1) // of the current group row
	enc := encode8()
	gy := -1
	for by := (area.Min.Y - c.Y) / f; c.Y+by*f < area.Max.Y; by++ {
		if by/2 != gy {
			r.putChroma(chroma, gx0, gy)
			gy = by / 2
		}
		// The block row's source rows, and the part of them in this tile.
		y0, y1 := c.Y+by*f, min(c.Y+(by+1)*f, r.crop.Max.Y)
		ty0, ty1 := max(y0, area.Min.Y), min(y1, area.Max.Y)
		clear(sums)
		for y := ty0; y < ty1; y++ {
			r.conv.row(pic, y-origin.Y, area.Min.X-origin.X, area.Max.X-origin.X, rgb)
			i, x := 0, area.Min.X
			for o := 0; o < len(sums); o += 3 {
				end := min(c.X+(bx0+o/3+1)*f, area.Max.X)
				var sr, sg, sb float32
				for ; x < end; i, x = i+3, x+1 {
					p := rgb[i : i+3 : i+3]
					sr, sg, sb = sr+p[0], sg+p[1], sb+p[2]
				}
				sums[o], sums[o+1], sums[o+2] = sums[o]+sr, sums[o+1]+sg, sums[o+2]+sb
			}
		}
		for bx := bx0; bx < bx1; bx++ {
			x0, x1 := c.X+bx*f, min(c.X+(bx+1)*f, r.crop.Max.X)
			tx0, tx1 := max(x0, area.Min.X), min(x1, area.Max.X)
			sum := sums[3*(bx-bx0):][:3]
			n := (y1 - y0) * (x1 - x0)
			if seen := (ty1 - ty0) * (tx1 - tx0); seen < n {
				// The block straddles tiles: add what this one holds.
				r.mu.Lock()
				p := r.edges[image.Pt(bx, by)]
				if p == nil {
					p = &partialBlock{}
					r.edges[image.Pt(bx, by)] = p
				}
				p.sum[0], p.sum[1], p.sum[2] = p.sum[0]+sum[0], p.sum[1]+sum[1], p.sum[2]+sum[2]
				p.n += seen
				done := p.n == n
				if done {
					delete(r.edges, image.Pt(bx, by))
					sum = p.sum[:]
				}
				r.mu.Unlock()
				if !done {
					continue
				}
			}
			k := 1 / float32(n)
			yy, cb, cr := color.RGBToYCbCr(toSRGB8(enc, sum[0]*k), toSRGB8(enc, sum[1]*k), toSRGB8(enc, sum[2]*k))
			r.out.Y[by*r.out.YStride+bx] = yy
			g := &chroma[bx/2-gx0]
			g.cb, g.cr, g.n = g.cb+int(cb), g.cr+int(cr), g.n+1
		}
	}
	r.putChroma(chroma, gx0, gy)
	return nil
}

// A partialChroma is the sum of the chroma of the pixels of a 2×2 group
// finished so far.
type partialChroma struct{ cb, cr, n int }

// putChroma writes the chroma of the groups of group row gy, from gx0 on,
// whose pixels are all finished, and keeps the others in r.groups until the
// rest of their pixels come. It clears groups.
func (r *heicReducer) putChroma(groups []partialChroma, gx0, gy int) {
	if gy < 0 {
		return
	}
	b := r.out.Rect
	gh := min(2, b.Dy()-2*gy)
	for i := range groups {
		g := groups[i]
		groups[i] = partialChroma{}
		if g.n == 0 {
			continue
		}
		gx := gx0 + i
		if size := min(2, b.Dx()-2*gx) * gh; g.n < size {
			r.mu.Lock()
			p := r.groups[image.Pt(gx, gy)]
			if p == nil {
				p = &partialChroma{}
				r.groups[image.Pt(gx, gy)] = p
			}
			p.cb, p.cr, p.n = p.cb+g.cb, p.cr+g.cr, p.n+g.n
			g = *p
			if g.n == size {
				delete(r.groups, image.Pt(gx, gy))
			}
			r.mu.Unlock()
			if g.n < size {
				continue
			}
		}
		o := gy*r.out.CStride + gx
		r.out.Cb[o], r.out.Cr[o] = uint8((g.cb+g.n/2)/g.n), uint8((g.cr+g.n/2)/g.n)
	}
}

// yccConverter turns decoded Y'CbCr samples into linear RGB with the matrix
// and range of an nclx colour description (ITU-T H.273); an unspecified
// matrix is taken as BT.601, as libheif does. A monochrome picture's luma
// is its grey level, as libheif shows it whatever the range. Each sample's
// share of R', G' and B' comes from a table of 2^depth entries.
type yccConverter struct {
	depthY, depthC int
	identity       bool      // matrix 0: the planes are G, B, R
	y              []float32 // Y' of each luma sample; its grey level for 4:0:0
	crR, crG       []float32 // what each Cr sample adds to R' and takes from G'
	cbB, cbG       []float32 // what each Cb sample adds to B' and takes from G'
}

func newYCCConverter(col heif.Colour, chroma, depthY, depthC int) *yccConverter {
	kr, kb := float32(0.299), float32(0.114)
	c := &yccConverter{depthY: depthY, depthC: depthC}
	switch col.MatrixCoeffs {
	case 0:
		c.identity = true
	case 1:
		kr, kb = 0.2126, 0.0722
	case 4:
		kr, kb = 0.30, 0.11
	case 9, 10:
		kr, kb = 0.2627, 0.0593
	case 7:
		kr, kb = 0.212, 0.087
	}
	maxY, maxC := float32(int(1)<<depthY-1), float32(int(1)<<depthC-1)
	yScale, yOff := 1/maxY, float32(0)
	cScale, cOff := 1/maxC, float32(int(1)<<(depthC-1))
	if !col.FullRange {
		k, kc := float32(int(1)<<(depthY-8)), float32(int(1)<<(depthC-8))
		yScale, yOff = 1/(219*k), 16*k
		cScale, cOff = 1/(224*kc), 128*kc
	}
	c.y = make([]float32, 1<<depthY)
	for i := range c.y {
		if chroma == 0 {
			c.y[i] = float32(i) / maxY
		} else {
			c.y[i] = (float32(i) - yOff) * yScale
		}
	}
	if chroma == 0 {
		return c
	}
	kg := 1 - kr - kb
	n := 1 << depthC
	c.crR, c.crG, c.cbB, c.cbG = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		v := (float32(i) - cOff) * cScale
		if c.identity {
			c.crR[i], c.cbB[i] = v+0.5, v+0.5
			continue
		}
		c.crR[i], c.cbB[i] = 2*(1-kr)*v, 2*(1-kb)*v
		c.crG[i], c.cbG[i] = kr*2*(1-kr)*v/kg, kb*2*(1-kb)*v/kg
	}
	return c
}

// row writes pixels [x0, x1) of row y of pic as linear RGB into dst.
// Chroma is repeated over the luma samples it covers. pic has the bit
// depths c was made for; samples are masked to them, so a decoder's stray
// value cannot index beyond a table.
func (c *yccConverter) row(pic *hevc.Picture, y, x0, x1 int, dst []float32) {
	lt := linear12()
	lin := func(v float32) float32 {
		return lt[int(min(max(v, 0), 1)*4095+0.5)]
	}
	maskY, maskC := uint16(1<<c.depthY-1), uint16(1<<c.depthC-1)
	ys := pic.Y[y*pic.YStride:][:x1]
	if pic.ChromaFormat == 0 {
		for i, x := 0, x0; x < x1; i, x = i+3, x+1 {
			v := lin(c.y[ys[x]&maskY])
			dst[i], dst[i+1], dst[i+2] = v, v, v
		}
		return
	}
	sx, sy := 0, 0
	switch pic.ChromaFormat {
	case 1:
		sx, sy = 1, 1
	case 2:
		sx = 1
	}
	cb, cr := pic.Cb[(y>>sy)*pic.CStride:], pic.Cr[(y>>sy)*pic.CStride:]
	for i, x := 0, x0; x < x1; i, x = i+3, x+1 {
		yy := c.y[ys[x]&maskY]
		u, v := cb[x>>sx]&maskC, cr[x>>sx]&maskC
		if c.identity {
			dst[i], dst[i+1], dst[i+2] = lin(c.crR[v]), lin(yy), lin(c.cbB[u])
			continue
		}
		dst[i], dst[i+1], dst[i+2] = lin(yy+c.crR[v]), lin(yy-c.crG[v]-c.cbG[u]), lin(yy+c.cbB[u])
	}
}

// linear12 converts 12-bit sRGB-encoded values to linear light. Y'CbCr
// becomes R'G'B' in floating point, finer than any stored sample; 12 bits
// keep it within a sixteenth of an 8-bit step, and the table stays in the
// first-level cache where linear16's 256 KiB would not.
var linear12 = sync.OnceValue(func() *[4096]float32 {
	var t [4096]float32
	for i := range t {
		t[i] = float32(srgbToLinear(float64(i) / 4095))
	}
	return &t
})

// primariesMatrix returns the conversion from linear RGB with the colour
// primaries of an nclx code point (ITU-T H.273 table 2) to linear sRGB,
// or nil for BT.709 primaries (sRGB's own) and code points it does not know.
// All of them have a D65 white point, so no adaptation is needed.
func primariesMatrix(code int) *colorMatrix {
	xy := map[int][3][2]float64{
		9:  {{0.708, 0.292}, {0.170, 0.797}, {0.131, 0.046}}, // BT.2020
		11: {{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}}, // DCI-P3 primaries (SMPTE RP 431-2)
		12: {{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}}, // Display P3 (SMPTE EG 432-1)
		5:  {{0.640, 0.330}, {0.290, 0.600}, {0.150, 0.060}}, // BT.601 625
		6:  {{0.630, 0.340}, {0.310, 0.595}, {0.155, 0.070}}, // BT.601 525
	}
	p, ok := xy[code]
	if !ok {
		return nil
	}
	srgb := [3][2]float64{{0.640, 0.330}, {0.300, 0.600}, {0.150, 0.060}}
	toXYZ := func(p [3][2]float64) [3][3]float64 {
		const wx, wy = 0.3127, 0.3290
		var m [3][3]float64
		for c := range 3 {
			x, y := p[c][0], p[c][1]
			m[0][c], m[1][c], m[2][c] = x/y, 1, (1-x-y)/y
		}
		inv, _ := invert3(m)
		w := [3]float64{wx / wy, 1, (1 - wx - wy) / wy}
		for c := range 3 {
			s := inv[c][0]*w[0] + inv[c][1]*w[1] + inv[c][2]*w[2]
			for r := range 3 {
				m[r][c] *= s
			}
		}
		return m
	}
	m, ok := convertMatrix(toXYZ(p), toXYZ(srgb))
	if !ok {
		return nil
	}
	return &m
}
