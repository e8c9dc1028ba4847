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
}
