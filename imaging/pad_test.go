package imaging

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestEnclosingCircle checks the smallest circle against a brute force
// over every circle through two or three of the points.
func TestEnclosingCircle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	holdsAllPts := func(c pointF, r float64, pts []pointF) bool {
		for _, p := range pts {
			if math.Hypot(p.x-c.x, p.y-c.y) > r+1e-6 {
				return false
			}
		}
		return true
	}
	for trial := range 300 {
		n := 1 + trial%9
		pts := make([]pointF, n)
		for i := range pts {
			pts[i] = pointF{math.Round(rng.Float64() * 100), math.Round(rng.Float64() * 60)}
		}
		if trial%10 == 0 && n >= 3 { // points on a line
			for i := range pts {
				pts[i] = pointF{float64(10 * i), float64(5 * i)}
			}
		}
		c, r := enclosingCircle(pts)
		if !holdsAllPts(c, r, pts) {
			t.Fatalf("%v: circle at %v of radius %.3f leaves a point out", pts, c, r)
		}
		best := math.Inf(1)
		if n == 1 {
			best = 0
		}
		for i := range pts {
			for j := i + 1; j < n; j++ {
				if cc, rr := mid(pts[i], pts[j]); rr < best && holdsAllPts(cc, rr, pts) {
					best = rr
				}
				for k := j + 1; k < n; k++ {
					if cc, rr := circumcircle(pts[i], pts[j], pts[k]); rr < best && holdsAllPts(cc, rr, pts) {
						best = rr
					}
				}
			}
		}
		if math.Abs(r-best) > 1e-6 {
			t.Fatalf("%v: radius %.6f, the smallest is %.6f", pts, r, best)
		}
	}
}

func TestPaddedSquare(t *testing.T) {
	// head is the head of a face of side s centred at (x, y).
	head := func(x, y, s int) image.Rectangle {
		return image.Rect(x-s*56/100, y-s*80/100, x+s*56/100, y+s*60/100)
	}
	tests := []struct {
		name       string
		w, h       int
		heads      []image.Rectangle
		side       int
		wantOK     bool
		wantInside bool // a square inside the photo holds them
	}{
		{name: "heads a square inside the photo holds", w: 3000, h: 2000, side: 1200,
			heads: []image.Rectangle{head(1300, 900, 200), head(1700, 900, 200)}, wantOK: true, wantInside: true},
		{name: "a row wider than the photo is tall", w: 3000, h: 2000, side: 2000,
			heads: []image.Rectangle{head(300, 800, 300), head(1500, 800, 300), head(2700, 800, 300)}, wantOK: true},
		{name: "a row along the top", w: 3000, h: 2000, side: 2000,
			heads: []image.Rectangle{head(400, 300, 300), head(2600, 300, 300)}, wantOK: true},
		{name: "a head cut by the corner", w: 3000, h: 2000, side: 1200,
			heads: []image.Rectangle{head(2850, 150, 400)}, wantOK: true},
		{name: "a panorama: too much beyond", w: 6000, h: 1000, side: 1000,
			heads: []image.Rectangle{head(300, 500, 200), head(5700, 500, 200)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bounds := image.Rect(0, 0, tt.w, tt.h)
			var u image.Rectangle
			for _, hd := range tt.heads {
				u = u.Union(hd)
			}
			wx, wy := center(u)
			sq, ok := paddedSquare(bounds, tt.heads, padMargin, tt.side, wx, wy)
			if ok != tt.wantOK {
				t.Fatalf("paddedSquare = %v, %v; want ok %v", sq, ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if sq.Dx() != sq.Dy() || sq.Dx() < tt.side {
				t.Errorf("%v is not a square of at least %d", sq, tt.side)
			}
			if share := padShare(sq, bounds); share > maxPadShare {
				t.Errorf("%.0f%% of %v lies beyond the photo", 100*share, sq)
			}
			if sq.In(bounds) != tt.wantInside {
				t.Errorf("%v inside the photo: %v, want %v", sq, sq.In(bounds), tt.wantInside)
			}
			for i, hd := range tt.heads {
				if !inCircleInPhoto(hd, sq, bounds, padMargin-0.01) {
					t.Errorf("the circle of %v does not hold head %d at %v with a margin", sq, i, hd)
				}
			}
		})
	}
}

// paddedImage returns a side×side image with the photo, made by pixel,
// in the rectangle photo and the rest left black.
func paddedImage(side int, photo image.Rectangle, pixel func(x, y int) color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, side, side))
	for y := photo.Min.Y; y < photo.Max.Y; y++ {
		for x := photo.Min.X; x < photo.Max.X; x++ {
			m.SetRGBA(x, y, pixel(x-photo.Min.X, y-photo.Min.Y))
		}
	}
	return m
}

func TestFillPadding(t *testing.T) {
	photo := image.Rect(40, 60, 160, 170) // beyond it: 60 above, 30 below, 40 left and right
	t.Run("one colour stays that colour", func(t *testing.T) {
		c := color.RGBA{200, 120, 40, 255}
		m := paddedImage(200, photo, func(int, int) color.RGBA { return c })
		fillPadding(m, photo)
		for y := range 200 {
			for x := range 200 {
				if got := m.RGBAAt(x, y); got != c {
					t.Fatalf("pixel (%d, %d) = %v, want %v", x, y, got, c)
				}
			}
		}
	})
	t.Run("the seam continues the edge", func(t *testing.T) {
		// Red rises along x, green along y.
		m := paddedImage(200, photo, func(x, y int) color.RGBA { return color.RGBA{uint8(2 * x), uint8(2 * y), 90, 255} })
		fillPadding(m, photo)
		for _, edge := range []struct {
			name         string
			out, in      image.Point // a pixel beyond the edge and the photo's pixel next to it
			stepX, stepY int
			length       int
		}{
			{"top", image.Pt(photo.Min.X, photo.Min.Y-1), image.Pt(photo.Min.X, photo.Min.Y), 1, 0, photo.Dx()},
			{"bottom", image.Pt(photo.Min.X, photo.Max.Y), image.Pt(photo.Min.X, photo.Max.Y-1), 1, 0, photo.Dx()},
			{"left", image.Pt(photo.Min.X-1, photo.Min.Y), image.Pt(photo.Min.X, photo.Min.Y), 0, 1, photo.Dy()},
			{"right", image.Pt(photo.Max.X, photo.Min.Y), image.Pt(photo.Max.X-1, photo.Min.Y), 0, 1, photo.Dy()},
		} {
			for i := range edge.length {
				o := m.RGBAAt(edge.out.X+i*edge.stepX, edge.out.Y+i*edge.stepY)
				p := m.RGBAAt(edge.in.X+i*edge.stepX, edge.in.Y+i*edge.stepY)
				// A window of radius 2 at the edge: its mean is at most
				// 2 pixels' rise, 4 levels, from the edge pixel.
				if absDiff(o.R, p.R) > 4 || absDiff(o.G, p.G) > 4 || o.B != 90 || o.A != 255 {
					t.Fatalf("%s edge, pixel %d: %v beyond it, %v inside", edge.name, i, o, p)
				}
			}
		}
	})
	t.Run("far from the edge, no detail", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 1))
		m := paddedImage(200, photo, func(int, int) color.RGBA { return color.RGBA{uint8(rng.IntN(256)), 0, 0, 255} })
		fillPadding(m, photo)
		// Neighbouring pixels 30 or more rows above the photo differ by
		// little: their windows are some 60 pixels wide.
		for y := 0; y < photo.Min.Y-30; y++ {
			for x := photo.Min.X; x < photo.Max.X-1; x++ {
				if d := absDiff(m.RGBAAt(x, y).R, m.RGBAAt(x+1, y).R); d > 6 {
					t.Fatalf("pixels (%d, %d) and the next differ by %d", x, y, d)
				}
			}
		}
		for _, p := range []image.Point{{0, 0}, {199, 0}, {0, 199}, {199, 199}, {10, 100}, {190, 100}} {
			if c := m.RGBAAt(p.X, p.Y); c.A != 255 || c.R < 80 || c.R > 175 {
				t.Errorf("pixel %v = %v, want the photo's mean red, about 128", p, c)
			}
		}
	})
}

// TestProcessPadsAGroup makes the contact photo of a group whose heads
// span more than the photo is tall: the square reaches beyond the top,
// holds every head, shows the photo where it lies and continues its edge
// beyond it.
func TestProcessPadsAGroup(t *testing.T) {
	data := readTestdata(t, "group-dark.jpg")
	res, err := Process(bytes.NewBuffer(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	upright := image.Rect(0, 0, res.SourceWidth, res.SourceHeight)
	if res.Crop.In(upright) || !strings.Contains(res.CropReason, "beyond the photo's edge") {
		t.Fatalf("crop %v (%s), want one reaching beyond %v", res.Crop, res.CropReason, upright)
	}
	if share := padShare(res.Crop, upright); share > maxPadShare {
		t.Errorf("%.0f%% of the crop lies beyond the photo", 100*share)
	}
	for _, f := range res.Faces {
		if held := inCircleInPhoto(f.Head, res.Crop, upright, padMargin-0.01); !f.Kept || !held {
			t.Errorf("face %v: kept %v, its head %v held with a margin by the circle of %v: %v", f.Box, f.Kept, f.Head, res.Crop, held)
		}
	}
	if res.Width != res.Crop.Dx() || res.Height != res.Crop.Dy() {
		t.Fatalf("output %dx%d, want the crop's %dx%d, 1:1", res.Width, res.Height, res.Crop.Dx(), res.Crop.Dy())
	}
	out := decodeOutput(t, res.JPEG).(interface {
		image.Image
		SubImage(image.Rectangle) image.Image
	})
	src, err := Decode(bytes.NewBuffer(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	in := res.Crop.Intersect(upright)
	if db := psnr(out.SubImage(in.Sub(res.Crop.Min)), src.SubImage(in)); db < 30 {
		t.Errorf("the photo's part of the output is %.1f dB from the photo, want it there", db)
	}
	// The row just above the photo continues its top row: in blocks of
	// 32 columns, their mean colours differ by little.
	seam := in.Sub(res.Crop.Min)
	mean := func(r image.Rectangle) [3]float64 {
		var sum [3]float64
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				c := color.RGBAModel.Convert(out.At(x, y)).(color.RGBA)
				sum[0], sum[1], sum[2] = sum[0]+float64(c.R), sum[1]+float64(c.G), sum[2]+float64(c.B)
			}
		}
		n := float64(r.Dx() * r.Dy())
		return [3]float64{sum[0] / n, sum[1] / n, sum[2] / n}
	}
	for x := seam.Min.X; x+32 <= seam.Max.X; x += 32 {
		above, edge := mean(image.Rect(x, seam.Min.Y-1, x+32, seam.Min.Y)), mean(image.Rect(x, seam.Min.Y, x+32, seam.Min.Y+1))
		for c := range 3 {
			if math.Abs(above[c]-edge[c]) > 8 {
				t.Fatalf("columns %d to %d: the fill above the photo is %.0f, the photo's top rows %.0f", x, x+32, above, edge)
			}
		}
	}
}

// TestRenderPaddedWithinBudget renders the largest photo the function
// makes, reaching beyond the photo by as much as a face crop may, and
// checks that the heap grew by no more than what Process acquires for the
// steps after the decode.
func TestRenderPaddedWithinBudget(t *testing.T) {
	s, err := (&Options{Size: 2000}).settings()
	if err != nil {
		t.Fatal(err)
	}
	src, release, err := load(encodeJPEG(t, scene(t, 3000, 2000), 90), s)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// A square as wide as the photo, reaching 1000 pixels above it: a third
	// of it lies beyond the photo, about as much as maxPadShare allows.
	crop := image.Rect(0, -1000, 3000, 2000)
	if share := padShare(crop, image.Rect(0, 0, 3000, 2000)); math.Abs(share-1.0/3) > 0.01 {
		t.Fatalf("the crop is %.2f beyond the photo", share)
	}
	var out *image.RGBA
	peak, _ := heapPeak(func() { out = src.renderPadded(crop, 3000, 2000, 2000) })
	if out.Bounds() != image.Rect(0, 0, 2000, 2000) {
		t.Fatalf("rendered %v", out.Bounds())
	}
	if budget := renderBytes(s); peak > budget {
		t.Errorf("the heap grew by %s, more than the %s reserved for rendering", mib(peak), mib(budget))
	} else {
		t.Logf("the heap grew by %s of the %s reserved", mib(peak), mib(budget))
	}
}

// BenchmarkFillPadding fills the third of a 720-pixel square that lies
// above the photo, as much as a face crop may leave beyond it.
func BenchmarkFillPadding(b *testing.B) {
	photo := image.Rect(0, 240, 720, 720)
	rng := rand.New(rand.NewPCG(3, 4))
	m := paddedImage(720, photo, func(int, int) color.RGBA {
		return color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
	})
	b.SetBytes(int64(len(m.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		fillPadding(m, photo)
	}
}

// TestFaceSquareAnyFaces checks faceSquare on random photos and faces,
// some cut by the photo's edges: it always returns a square that overlaps
// the photo, reaches beyond it by no more than maxPadShare, and, when it
// says it holds every face, holds each head as far as the photo shows it.
func TestFaceSquareAnyFaces(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	padded := 0
	for trial := range 2000 {
		w, h := 20+rng.IntN(3000), 20+rng.IntN(3000)
		bounds := image.Rect(0, 0, w, h)
		faces := make([]Face, rng.IntN(7))
		for i := range faces {
			s := 4 + rng.Float64()*float64(min(w, h))*0.8
			x, y := rng.Float64()*float64(w), rng.Float64()*float64(h)
			faces[i] = detection{x: x, y: y, side: s, score: 100, detector: DetectorPico}.face(1, bounds)
		}
		faces = slices.DeleteFunc(faces, func(f Face) bool { return f.Box.Empty() })
		slices.SortStableFunc(faces, func(a, b Face) int { return b.Box.Dx() - a.Box.Dx() })
		sq, reason, _ := faceSquare(w, h, 720, faces)
		if sq.Dx() != sq.Dy() || sq.Empty() || !sq.Overlaps(bounds) {
			t.Fatalf("trial %d, %dx%d: %v is not a square on the photo (%s)", trial, w, h, sq, reason)
		}
		if share := padShare(sq, bounds); share > maxPadShare {
			t.Fatalf("trial %d, %dx%d: %.0f%% of %v lies beyond the photo (%s)", trial, w, h, 100*share, sq, reason)
		}
		if strings.Contains(reason, "beyond the photo's edge") {
			padded++
			for _, f := range faces {
				if f.Kept && !inCircleInPhoto(f.Head, sq, bounds, 0) {
					t.Fatalf("trial %d, %dx%d: %v does not hold the kept head %v (%s)", trial, w, h, sq, f.Head, reason)
				}
			}
		}
	}
	// Enough of them reach beyond the photo for the test to mean something.
	if padded < 100 {
		t.Errorf("%d of 2000 squares reach beyond the photo, want 100 or more", padded)
	}
	t.Logf("%d of 2000 squares reach beyond the photo", padded)
}

// TestRenderPaddedTinyPhotos renders squares reaching far beyond photos of
// a few pixels, which leave the photo a pixel or less of the output.
func TestRenderPaddedTinyPhotos(t *testing.T) {
	s, err := (*Options)(nil).settings()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []image.Point{{1, 1}, {3, 2}, {2, 7}} {
		src, release, err := load(encodeJPEG(t, scene(t, size.X, size.Y), 90), s)
		if err != nil {
			t.Fatal(err)
		}
		for _, crop := range []image.Rectangle{image.Rect(-5, -5, 6, 6), image.Rect(-100, 0, 3, 103), image.Rect(0, -1, 9, 8)} {
			for _, side := range []int{1, 2, 5, 11} {
				out := src.renderPadded(crop, size.X, size.Y, side)
				if out.Bounds() != image.Rect(0, 0, side, side) {
					t.Fatalf("%v in %v at %d: rendered %v", size, crop, side, out.Bounds())
				}
				for i := 3; i < len(out.Pix); i += 4 {
					if out.Pix[i] != 0xff {
						t.Fatalf("%v in %v at %d: a pixel left transparent", size, crop, side)
					}
				}
			}
		}
		release()
	}
}
