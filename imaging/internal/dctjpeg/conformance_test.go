package dctjpeg

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var conformanceTable = flag.Bool("conformance.table", false, "print the conformance suite's results as a Markdown table")

// conformanceFile is one line of testdata/conformance/manifest.txt.
type conformanceFile struct {
	name, ref, djpeg, message string
}

func readManifest(t *testing.T) []conformanceFile {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "conformance", "manifest.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var files []conformanceFile
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.SplitN(sc.Text(), " ", 4)
		if len(p) != 4 {
			t.Fatalf("manifest line %q", sc.Text())
		}
		files = append(files, conformanceFile{p[0], p[1], p[2], p[3]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("%d files in the manifest", len(files))
	}
	return files
}

// TestConformance decodes every file of the suite at full scale: each one
// djpeg opens must give an image, matching djpeg's decode at 40 dB or more
// wherever its data arrived; damaged ones must say how much is missing.
func TestConformance(t *testing.T) {
	var table []string
	for _, f := range readManifest(t) {
		t.Run(f.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "conformance", f.name+".jpg"))
			if err != nil {
				t.Fatal(err)
			}
			img, err := Decode(bytes.NewReader(data), nil)
			var damage *DamageError
			errors.As(err, &damage)
			// What the pipeline does with it, by its policy for damaged
			// files, for the whole picture as the crop.
			ours := "sent"
			switch {
			case damage != nil && damage.MissingIn(img.Bounds()) >= 0.1:
				ours = fmt.Sprintf("refused: %s, %.0f%% missing", damageKind(damage), 100*damage.MissingIn(img.Bounds()))
			case damage != nil:
				ours = fmt.Sprintf("sent (%s, %.0f%% missing)", damageKind(damage), 100*damage.MissingIn(img.Bounds()))
			case err != nil:
				ours = "refused: " + err.Error()
			}
			table = append(table, fmt.Sprintf("| %s | %s | %s | %s |", f.name, f.djpeg, f.message, ours))
			if f.djpeg == "error" {
				if err == nil {
					t.Errorf("djpeg refuses it (%s), we decode it without a complaint", f.message)
				}
				return
			}
			if err != nil && damage == nil {
				t.Fatalf("djpeg opens it, we refuse: %v", err)
			}
			if f.djpeg == "ok" && damage != nil && damage.Corrupt == "" && !strings.HasPrefix(f.name, "garbage") {
				t.Errorf("djpeg reads it cleanly, we report %v", err)
			}
			ref := readRef(t, f.ref)
			if ref.Bounds() != img.Bounds() {
				t.Fatalf("bounds %v, djpeg %v", img.Bounds(), ref.Bounds())
			}
			// Corrupt data without restart markers decodes as garbage
			// in libjpeg and here until it is noticed: only the blocks
			// before it can be compared.
			limit := 40.0
			switch {
			case strings.HasPrefix(f.name, "garbage"):
				limit = 15
			case strings.HasPrefix(f.name, "cut20-") && strings.Contains(f.name, "prog"):
				// Cut inside the DC scans: no AC coefficient arrived at
				// all, and every block is estimated from its neighbours'
				// DC. libjpeg-turbo does so from 5×5 neighbours and for
				// more coefficients than the IJG 3×3 smoothing here.
				limit = 27
			}
			if db := psnrArrived(ref, img, damage); db < limit {
				t.Errorf("PSNR %.1f dB against djpeg where data arrived, want >= %g", db, limit)
			}
		})
	}
	if *conformanceTable {
		fmt.Println("| file | djpeg | djpeg says | contactphoto |\n|---|---|---|---|")
		fmt.Println(strings.Join(table, "\n"))
	}
}

func damageKind(e *DamageError) string {
	if e.Truncated {
		return "truncated"
	}
	return "corrupt"
}

func readRef(t *testing.T, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "conformance", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// psnrArrived compares the RGB samples of the two images outside the
// blocks damage reports missing.
func psnrArrived(want, got image.Image, damage *DamageError) float64 {
	var se float64
	n := 0
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if damage != nil && damage.MissingIn(image.Rect(x, y, x+1, y+1)) > 0 {
				continue
			}
			w := color.RGBAModel.Convert(want.At(x, y)).(color.RGBA)
			g := color.RGBAModel.Convert(got.At(x, y)).(color.RGBA)
			for _, d := range []float64{float64(w.R) - float64(g.R), float64(w.G) - float64(g.G), float64(w.B) - float64(g.B)} {
				se += d * d
				n++
			}
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(n)/se)
}
