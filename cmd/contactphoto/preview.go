package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/contactphoto/contactphoto"
	"github.com/contactphoto/contactphoto/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// debugEdge is the longer side of the -debug picture: enough to judge the
// crop, small enough to open anywhere.
const debugEdge = 1024

// lowQuality is the JPEG quality below which compression shows in a
// contact photo; preview warns when MAX_PHOTO_BYTES forces it lower.
const lowQuality = 70

func runPreview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("preview", "[-size N] [-crop face|center|none] [-debug] IN OUT|-",
		"contactphoto preview -debug IMG_0042.jpg contact.jpg\n  contactphoto preview IMG_0042.jpg - | display", stdout)
	// The defaults are the function's: PHOTO_SIZE, CROP, MAX_PIXELS and
	// MAX_PHOTO_BYTES from the environment, so that OUT is exactly the
	// photo the function would send.
	cfg, err := contactphoto.LoadToolConfig(os.Getenv)
	if err != nil {
		return usagef("%v", err)
	}
	size := fs.Int("size", cfg.Imaging.Size, "edge of the square photo in pixels; default: $PHOTO_SIZE, else 720")
	cropFlag := fs.String("crop", string(cfg.Imaging.Crop), "how to choose the square: face, center or none; default: $CROP, else face")
	debug := fs.Bool("debug", false, "also write OUT.debug.jpg: the source with the detected faces, their scores and estimated heads, and the circle people will see")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("want the input image and the output JPEG (- for standard output), got %d arguments", fs.NArg())
	}
	crop, err := imaging.ParseCrop(*cropFlag)
	if err != nil {
		return usagef("-crop: %v", err)
	}
	if *size <= 0 {
		return usagef("-size must be positive, got %d", *size)
	}
	in, out := fs.Arg(0), fs.Arg(1)
	if out == "-" && *debug {
		return usagef("-debug writes OUT.debug.jpg next to OUT; give a file for OUT")
	}
	// With OUT on standard output, the report goes to standard error.
	report := stdout
	if out == "-" {
		report = stderr
	}
	data, err := readPhoto(in, cfg.MaxObjectBytes)
	if err != nil {
		return err
	}
	opts := cfg.Imaging
	opts.Size, opts.Crop = *size, crop
	res, err := imaging.Process(bytes.NewBuffer(data), &opts)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if out == "-" {
		if _, err := stdout.Write(res.JPEG); err != nil {
			return err
		}
	} else if err := os.WriteFile(out, res.JPEG, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(report, "%s: %s %dx%d, orientation %d\n", in, strings.ToUpper(res.Format), res.SourceWidth, res.SourceHeight, res.Orientation)
	if *debug && res.Storage != "" {
		fmt.Fprintf(report, "stored as %s\n", res.Storage)
	}
	fmt.Fprintf(report, "crop %v: %s\n", res.Crop, res.CropReason)
	for _, f := range res.Faces {
		fmt.Fprintf(report, "face %v %s\n", f.Box, describeFace(f))
	}
	fmt.Fprintf(report, "wrote %s: %dx%d JPEG, quality %d, %d bytes\n", out, res.Width, res.Height, res.Quality, len(res.JPEG))
	if res.Quality < lowQuality {
		fmt.Fprintf(stderr, "warning: the JPEG quality dropped to %d to fit MAX_PHOTO_BYTES (%d bytes); compression may show: raise MAX_PHOTO_BYTES or lower PHOTO_SIZE\n",
			res.Quality, opts.MaxBytes)
	}
	if !*debug {
		return nil
	}
	pic, err := imaging.Decode(bytes.NewReader(data), &imaging.Options{Size: debugEdge})
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	pic = drawDebug(pic, res)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, pic, &jpeg.Options{Quality: 90}); err != nil {
		return err
	}
	debugPath := strings.TrimSuffix(out, filepath.Ext(out)) + ".debug.jpg"
	if err := os.WriteFile(debugPath, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(report, "wrote %s: kept faces in green, others in orange, each with its score and estimated head (thin), the crop as the circle people will see, the rest dimmed; where the crop reaches beyond the photo, a grey margin\n", debugPath)
	return nil
}

// describeFace says what the detector found about f and what the crop did
// with it.
func describeFace(f imaging.Face) string {
	d := f.Evidence()
	switch {
	case f.Mirror > 0 && f.Detector == imaging.DetectorPico:
		d += fmt.Sprintf(", mirrored %.0f", f.Mirror)
	case f.Mirror > 0:
		d += fmt.Sprintf(", %.0f windows of the dense search", f.Mirror)
	}
	if f.Angle != 0 {
		d += fmt.Sprintf(", found turned by %d°", f.Angle)
	}
	d += fmt.Sprintf(", head %v", f.Head)
	if f.Kept {
		return d + ", kept"
	}
	return d + ", left aside"
}

// drawDebug marks res on pic, the upright source as imaging.Decode returns
// it: the kept faces as green boxes and the others in orange, each with its
// score and its estimated head in a thin line, the crop as the circle a
// contact photo is shown in, with everything outside the circle dimmed, and
// the reason for the crop written at the top. A crop that reaches beyond
// the photo is drawn whole, on a grey margin around the photo; the picture
// returned is then larger than pic.
func drawDebug(pic *image.RGBA, res *imaging.Result) *image.RGBA {
	uw := res.SourceWidth
	if res.Orientation >= 5 {
		uw = res.SourceHeight
	}
	k := float64(pic.Bounds().Dx()) / float64(uw)
	var off image.Point // of the photo in the picture
	scale := func(r image.Rectangle) image.Rectangle {
		return image.Rect(int(float64(r.Min.X)*k), int(float64(r.Min.Y)*k), int(float64(r.Max.X)*k), int(float64(r.Max.Y)*k)).Add(off)
	}
	if crop := scale(res.Crop); !crop.In(pic.Bounds()) {
		all := crop.Union(pic.Bounds())
		canvas := image.NewRGBA(image.Rect(0, 0, all.Dx(), all.Dy()))
		draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.RGBA{0x60, 0x60, 0x60, 0xff}), image.Point{}, draw.Src)
		off = pic.Bounds().Min.Sub(all.Min)
		draw.Draw(canvas, pic.Bounds().Add(off), pic, pic.Bounds().Min, draw.Src)
		pic = canvas
	}
	b := pic.Bounds()
	crop := scale(res.Crop)
	line := max(2, min(b.Dx(), b.Dy())/200)
	if res.Crop.Dx() == res.Crop.Dy() {
		dimOutsideCircle(pic, crop, line)
	} else { // CropNone: the whole image, no circle
		strokeRect(pic, crop, line, color.RGBA{0xff, 0xff, 0xff, 0xff})
	}
	green := color.RGBA{0x20, 0xe0, 0x40, 0xff}
	orange := color.RGBA{0xff, 0x90, 0x20, 0xff}
	for _, f := range res.Faces {
		c := orange
		if f.Kept {
			c = green
		}
		box := scale(f.Box)
		strokeRect(pic, box, line, c)
		strokeRect(pic, scale(f.Head), max(1, line/2), c)
		score := fmt.Sprintf("%.0f", f.Score)
		if f.Detector == imaging.DetectorNetwork {
			score = fmt.Sprintf("%.0f%%", 100*f.Score)
		}
		label(pic, image.Pt(box.Min.X, box.Max.Y+line), score, c)
	}
	label(pic, image.Pt(line, line), res.CropReason, color.RGBA{0xff, 0xff, 0xff, 0xff})
	return pic
}

// label writes text on a dark band with its top left corner at p.
func label(m *image.RGBA, p image.Point, text string, c color.RGBA) {
	face := basicfont.Face7x13
	w := font.MeasureString(face, text).Ceil()
	band := image.Rect(p.X, p.Y, p.X+w+4, p.Y+face.Height+2).Intersect(m.Bounds())
	draw.Draw(m, band, image.NewUniform(color.RGBA{0, 0, 0, 0xff}), image.Point{}, draw.Src)
	d := font.Drawer{Dst: m, Src: image.NewUniform(c), Face: face, Dot: fixed.P(p.X+2, p.Y+face.Ascent+1)}
	d.DrawString(text)
}

// dimOutsideCircle darkens m outside the circle inscribed in the square
// crop and outlines the circle in white.
func dimOutsideCircle(m *image.RGBA, crop image.Rectangle, line int) {
	b := m.Bounds()
	cx, cy := float64(crop.Min.X+crop.Max.X)/2, float64(crop.Min.Y+crop.Max.Y)/2
	r := float64(crop.Dx()) / 2
	outer := (r + float64(line)) * (r + float64(line))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			d := dx*dx + dy*dy
			i := m.PixOffset(x, y)
			switch {
			case d <= r*r:
			case d < outer:
				copy(m.Pix[i:i+4], []byte{0xff, 0xff, 0xff, 0xff})
			default:
				for c := range 3 {
					m.Pix[i+c] /= 3
				}
			}
		}
	}
}

func strokeRect(m *image.RGBA, r image.Rectangle, width int, c color.RGBA) {
	edges := []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+width),
		image.Rect(r.Min.X, r.Max.Y-width, r.Max.X, r.Max.Y),
		image.Rect(r.Min.X, r.Min.Y, r.Min.X+width, r.Max.Y),
		image.Rect(r.Max.X-width, r.Min.Y, r.Max.X, r.Max.Y),
	}
	for _, e := range edges {
		e = e.Intersect(m.Bounds())
		for y := e.Min.Y; y < e.Max.Y; y++ {
			for x := e.Min.X; x < e.Max.X; x++ {
				m.SetRGBA(x, y, c)
			}
		}
	}
}
