package main

import (
	"bytes"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConventions runs the binary the ways people type commands.
func TestConventions(t *testing.T) {
	stack := startStack(t, nil)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jpg")

	t.Run("flags after the arguments", func(t *testing.T) {
		r := runBinary(t, nil, "preview", portrait, out, "-size", "48", "-crop", "center")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if w, h := jpegSize(t, readFile(t, out)); w != 48 || h != 48 {
			t.Errorf("wrote %dx%d, want 48x48", w, h)
		}
		if r := runBinary(t, nil, "preview", "--", portrait, "-size", "48"); r.code != 2 || !strings.Contains(r.stderr, "got 3 arguments") {
			t.Errorf("after --, -size is an argument: exit %d\n%s", r.code, r.stderr)
		}
	})

	t.Run("preview to standard output, configured as the function", func(t *testing.T) {
		t.Setenv("PHOTO_SIZE", "40")
		r := runBinary(t, nil, "preview", portrait, "-")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if w, h := jpegSize(t, []byte(r.stdout)); w != 40 || h != 40 {
			t.Errorf("stdout holds a %dx%d JPEG, want 40x40 from PHOTO_SIZE", w, h)
		}
		if !strings.Contains(r.stderr, "wrote -: 40x40 JPEG") {
			t.Errorf("the report is not on stderr:\n%s", r.stderr)
		}
	})

	t.Run("preview warns when quality drops", func(t *testing.T) {
		t.Setenv("PHOTO_SIZE", "720")
		t.Setenv("MAX_PHOTO_BYTES", "8192")
		r := runBinary(t, nil, "preview", portrait, out)
		if r.code != 0 || !strings.Contains(r.stderr, "warning: the JPEG quality dropped to") {
			t.Errorf("exit %d, stderr:\n%s\nwant a warning about the quality", r.code, r.stderr)
		}
		t.Setenv("MAX_PHOTO_BYTES", "")
		if r := runBinary(t, nil, "preview", portrait, out); r.code != 0 || strings.Contains(r.stderr, "warning") {
			t.Errorf("a warning for a photo that fits:\n%s", r.stderr)
		}
	})

	t.Run("set checks the image before the credentials", func(t *testing.T) {
		text := filepath.Join(dir, "c1.jpg")
		writeFile(t, text, []byte("this is not a photo"))
		tokens := stack.OAuth.TokenRequests()
		r := runBinary(t, nil, "set", "people/c1", text)
		if r.code != 1 || !strings.Contains(r.stderr, "unsupported image format") {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
		if n := stack.OAuth.TokenRequests() - tokens; n != 0 {
			t.Errorf("%d token requests for a file that is not a photo", n)
		}
	})

	t.Run("version", func(t *testing.T) {
		r := runBinary(t, nil, "version")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "contactphoto ") || !strings.Contains(r.stdout, "go1.") || !strings.Contains(r.stdout, "revision") {
			t.Errorf("exit %d, stdout %q", r.code, r.stdout)
		}
	})

	t.Run("sign reads a piped body without a prompt", func(t *testing.T) {
		key := filepath.Join(dir, "webhook.key")
		writeFile(t, key, []byte("0123456789abcdef0123"))
		r := runBinary(t, []byte(`{"bucket":"b"}`), "sign", "-key-file", key, "-time", "1700000000", "-value")
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "t=1700000000,v1=") {
			t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("backfill prints JSON lines off a terminal, and with --json", func(t *testing.T) {
		photos := t.TempDir()
		writeFile(t, filepath.Join(photos, "c1.jpg"), testPhoto(t, 1))
		for _, args := range [][]string{{"backfill", "--dry-run", photos}, {"backfill", photos, "--dry-run", "--json"}} {
			r := runBinary(t, nil, args...)
			parseLines(t, r.stdout)
			if strings.Contains(r.stdout+r.stderr, "\033") {
				t.Errorf("%v: escape codes off a terminal", args)
			}
		}
	})
}

// TestPlainTerminal: on a terminal that takes no escape codes (TERM=dumb)
// the progress is plain lines.
func TestPlainTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "tty")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Setenv("TERM", "dumb")
	b := &barReporter{out: f, stderr: f, plain: !escapeCodes()}
	tl := newTally(2)
	b.begin("dir", tl)
	b.item(result{Name: "a.jpg", Outcome: outFailed, Error: "bad"}, tl.add(result{Outcome: outFailed}, true))
	b.item(result{Name: "b.jpg", Outcome: outUpdated}, tl.add(result{Outcome: outUpdated}, true))
	b.end(&summary{Target: "dir", counts: tl.snapshot()})
	data := readFile(t, f.Name())
	if bytes.Contains(data, []byte("\033")) || bytes.Contains(data, []byte("\r")) || !bytes.Contains(data, []byte("failed a.jpg: bad")) {
		t.Errorf("TERM=dumb output:\n%q", data)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func jpegSize(t *testing.T, data []byte) (int, int) {
	t.Helper()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	return cfg.Width, cfg.Height
}
