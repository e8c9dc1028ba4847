package main

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"demo", "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	entries, err := samples.ReadDir("samples")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		n++
		if !strings.Contains(stdout.String(), e.Name()) {
			t.Errorf("the report does not mention %s", e.Name())
		}
		sent := filepath.Join(out, strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))+"-sent.jpg")
		f, err := os.Open(sent)
		if err != nil {
			t.Errorf("photo sent for %s not written: %v", e.Name(), err)
			continue
		}
		cfg, format, err := image.DecodeConfig(f)
		f.Close()
		if err != nil || format != "jpeg" || cfg.Width != cfg.Height {
			t.Errorf("%s: sent photo is %dx%d %s (%v), want a square JPEG", sent, cfg.Width, cfg.Height, format, err)
		}
	}
	if got := strings.Count(stdout.String(), "updated (HTTP 200)"); got != n || n == 0 {
		t.Errorf("report shows %d updates for %d samples:\n%s", got, n, stdout.String())
	}
	// The function keeps its clients for the life of the process, as an
	// instance does, so the demo runs once per test binary and every check
	// of its output is made here.
	checkSidewaysSampleUpright(t, out)
}

// checkSidewaysSampleUpright compares the photo sent for the sample stored
// sideways with EXIF orientation 6 with the one sent for the upright copy of
// the same scene: they match only when the orientation was applied.
func checkSidewaysSampleUpright(t *testing.T, out string) {
	upright := decodeFile(t, filepath.Join(out, "bird-sent.jpg"))
	rotated := decodeFile(t, filepath.Join(out, "bird-exif-rotated-sent.jpg"))
	if upright.Bounds() != rotated.Bounds() {
		t.Fatalf("sizes differ: %v and %v", upright.Bounds(), rotated.Bounds())
	}
	var sum, n float64
	b := upright.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r1, g1, b1, _ := upright.At(x, y).RGBA()
			r2, g2, b2, _ := rotated.At(x, y).RGBA()
			sum += absDiff(r1, r2) + absDiff(g1, g2) + absDiff(b1, b2)
			n += 3
		}
	}
	if mad := sum / n / 257; mad > 12 {
		t.Errorf("mean absolute difference %.1f (of 255) between the upright and the EXIF-rotated sample; the orientation was not applied", mad)
	}
}

func decodeFile(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func absDiff(a, b uint32) float64 {
	if a > b {
		return float64(a - b)
	}
	return float64(b - a)
}
