package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactphoto/contactphoto/imaging"
)

const portrait = "../../imaging/testdata/face.jpg" // 320x400, one face

func TestPreviewWritesThePhotoThatWouldBeSent(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "contact.jpg")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"preview", "-size", "128", "-debug", portrait, out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, stderr: %s", code, stderr.String())
	}
	src, err := os.ReadFile(portrait)
	if err != nil {
		t.Fatal(err)
	}
	want, err := imaging.Process(bytes.NewReader(src), &imaging.Options{Size: 128, Crop: imaging.CropFace})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.JPEG) {
		t.Errorf("%s differs from what Process returns (%d vs %d bytes)", out, len(got), len(want.JPEG))
	}
	for _, s := range []string{"JPEG 320x400", "around the face", "128x128 JPEG, quality 90", "contact.debug.jpg"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
		}
	}
	dbg := decodeJPEGFile(t, filepath.Join(dir, "contact.debug.jpg"))
	// The source, and the crop where it reaches beyond it.
	all := want.Crop.Union(image.Rect(0, 0, 320, 400))
	if b := dbg.Bounds(); b.Dx() != all.Dx() || b.Dy() != all.Dy() {
		t.Errorf("debug picture is %v, want the 320x400 source with the crop %v", b, want.Crop)
	}
	// The face box is drawn in green on the face.
	face := want.Faces[0].Box.Sub(all.Min)
	r, g, b, _ := dbg.At(face.Min.X+1, (face.Min.Y+face.Max.Y)/2).RGBA()
	if g>>8 < 180 || r>>8 > 100 || b>>8 > 120 {
		t.Errorf("pixel on the face box's left edge = (%d,%d,%d), want green", r>>8, g>>8, b>>8)
	}
}

func TestPreviewNoCrop(t *testing.T) {
	out := filepath.Join(t.TempDir(), "whole.jpg")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"preview", "-crop", "none", "-size", "200", "-debug", portrait, out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, stderr: %s", code, stderr.String())
	}
	for name, want := range map[string][2]int{"whole.jpg": {160, 200}, "whole.debug.jpg": {320, 400}} {
		f, err := os.Open(filepath.Join(filepath.Dir(out), name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != want[0] || cfg.Height != want[1] {
			t.Errorf("%s: %dx%d, %v; want %dx%d", name, cfg.Width, cfg.Height, err, want[0], want[1])
		}
	}
	if !strings.Contains(stdout.String(), "whole image, no crop") {
		t.Errorf("stdout lacks the crop reason:\n%s", stdout.String())
	}
}

func TestPreviewErrors(t *testing.T) {
	dir := t.TempDir()
	notImage := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notImage, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.jpg")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no arguments", []string{"preview"}, 2, "want the input image and the output JPEG"},
		{"bad crop", []string{"preview", "-crop", "middle", portrait, out}, 2, `invalid crop mode "middle"`},
		{"bad size", []string{"preview", "-size", "0", portrait, out}, 2, "-size must be positive"},
		{"not an image", []string{"preview", notImage, out}, 1, "unsupported image format"},
		{"missing input", []string{"preview", filepath.Join(dir, "nope.jpg"), out}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), tt.code, tt.want)
			}
		})
	}
}

// TestPreviewDebugHEIC checks that -debug says how a HEIC is stored: the
// grid, the rotation and the colour.
func TestPreviewDebugHEIC(t *testing.T) {
	const iphone = "../../imaging/internal/heif/testdata/iphone-1000x700-irot3.heic"
	out := filepath.Join(t.TempDir(), "contact.jpg")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"preview", "-size", "128", "-debug", iphone, out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, stderr: %s", code, stderr.String())
	}
	for _, s := range []string{"HEIC 1000x700, orientation 6", "stored as grid of 2x2 tiles of 512x512, 4:2:0 8-bit, irot 3, colr nclx primaries 12", "contact.debug.jpg"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
		}
	}
}

// TestPreviewDebugCropBeyondThePhoto checks that a crop reaching beyond
// the photo is drawn whole in the debug picture, the photo on a grey
// margin.
func TestPreviewDebugCropBeyondThePhoto(t *testing.T) {
	const group = "../../imaging/testdata/group-dark.jpg" // 512x339, six faces in a row near the top
	out := filepath.Join(t.TempDir(), "group.jpg")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"preview", "-debug", group, out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, stderr: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "beyond the photo's edge") {
		t.Fatalf("stdout lacks the crop beyond the photo:\n%s", stdout.String())
	}
	src, err := os.ReadFile(group)
	if err != nil {
		t.Fatal(err)
	}
	res, err := imaging.Process(bytes.NewReader(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	dbg := decodeJPEGFile(t, filepath.Join(filepath.Dir(out), "group.debug.jpg"))
	all := res.Crop.Union(image.Rect(0, 0, res.SourceWidth, res.SourceHeight))
	if b := dbg.Bounds(); b.Dx() != all.Dx() || b.Dy() != all.Dy() {
		t.Fatalf("debug picture is %v, want the photo and the crop, %dx%d", b, all.Dx(), all.Dy())
	}
	// Inside the circle, above the photo: the grey margin, undimmed.
	x, y := (res.Crop.Min.X+res.Crop.Max.X)/2-all.Min.X, -all.Min.Y/2
	r, g, b, _ := dbg.At(x, y).RGBA()
	if r>>8 < 0x50 || r>>8 > 0x70 || g>>8 < 0x50 || g>>8 > 0x70 || b>>8 < 0x50 || b>>8 > 0x70 {
		t.Errorf("pixel (%d, %d) above the photo = (%d,%d,%d), want the grey margin", x, y, r>>8, g>>8, b>>8)
	}
}

func decodeJPEGFile(t *testing.T, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}
