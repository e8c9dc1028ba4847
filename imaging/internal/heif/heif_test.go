package heif

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// referenceLines returns reference.txt's lines by file name.
func referenceLines(t testing.TB) map[string][]map[string]string {
	t.Helper()
	f, err := os.Open("testdata/reference.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		kv := map[string]string{}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			kv[k] = v
		}
		out[fields[0]] = append(out[fields[0]], kv)
	}
	return out
}

// TestCorpus parses every file of the corpus and checks each coded image
// against what dec265 was given: the same size, format and NAL units.
func TestCorpus(t *testing.T) {
	refs := referenceLines(t)
	if len(refs) < 20 {
		t.Fatalf("reference.txt describes %d files", len(refs))
	}
	for name, lines := range refs {
		t.Run(name, func(t *testing.T) {
			data := readFile(t, name)
			f, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			tiles := []*Image{f.Primary}
			if f.Primary.Grid != nil {
				tiles = f.Primary.Grid.Tiles
			}
			if len(tiles) != len(lines) {
				t.Fatalf("%d coded images, reference has %d", len(tiles), len(lines))
			}
			byID := map[string]map[string]string{}
			for _, l := range lines {
				byID[l["item"]] = l
			}
			for _, tile := range tiles {
				ref := byID[fmt.Sprint(tile.ID)]
				if ref == nil {
					t.Fatalf("item %d is not in reference.txt", tile.ID)
				}
				c := tile.Config
				got := fmt.Sprintf("%dx%d chroma=%d depth=%d", tile.Width, tile.Height, c.ChromaFormat, c.BitDepthLuma)
				if want := fmt.Sprintf("%s chroma=%s depth=%s", ref["size"], ref["chroma"], ref["depth"]); got != want {
					t.Errorf("item %d: %s, want %s", tile.ID, got, want)
				}
				nals, err := tile.NALUnits(1 << 24)
				if err != nil {
					t.Fatalf("item %d: %v", tile.ID, err)
				}
				if len(nals) < 4 {
					t.Errorf("item %d: %d NAL units, want parameter sets and slices", tile.ID, len(nals))
				}
				if ranges := ref["nals"]; ranges != "" {
					var got []string
					for _, n := range nals {
						got = append(got, fmt.Sprintf("%d+%d", cap(data)-cap(n), len(n)))
					}
					if diff := cmp.Diff(ranges, strings.Join(got, ",")); diff != "" {
						t.Errorf("item %d NAL units (-reference +got):\n%s", tile.ID, diff)
					}
				}
			}
		})
	}
}

// TestIPhoneShape checks everything the iPhone-shaped file carries.
func TestIPhoneShape(t *testing.T) {
	f, err := Parse(readFile(t, "iphone-1000x700-irot3.heic"))
	if err != nil {
		t.Fatal(err)
	}
	p := f.Primary
	if p.Type != "grid" || p.Width != 1000 || p.Height != 700 || p.Grid.Rows != 2 || p.Grid.Columns != 2 {
		t.Fatalf("primary %s %dx%d grid %+v", p.Type, p.Width, p.Height, p.Grid)
	}
	for _, tile := range p.Grid.Tiles {
		if tile.Width != 512 || tile.Height != 512 {
			t.Errorf("tile %d is %dx%d", tile.ID, tile.Width, tile.Height)
		}
	}
	if diff := cmp.Diff([]Transform{{Type: "irot", Rotation: 3}}, p.Transforms); diff != "" {
		t.Errorf("transforms (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Colour{Type: "nclx", Primaries: 12, TransferCharacteristics: 13, MatrixCoeffs: 6, FullRange: true}, p.Colour); diff != "" {
		t.Errorf("colour (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{8, 8, 8}, p.BitDepths); diff != "" {
		t.Errorf("pixi (-want +got):\n%s", diff)
	}
	if !bytes.HasPrefix(f.Exif, []byte("MM\x00\x2a")) {
		t.Errorf("Exif = % x, want a TIFF structure", f.Exif[:min(8, len(f.Exif))])
	}
	if c := p.Config; c.ChromaFormat != 1 || c.BitDepthLuma != 8 || c.LengthSize != 4 || len(c.ParameterSets) != 3 {
		t.Errorf("config %+v", c)
	}
}

func TestProperties(t *testing.T) {
	for _, tc := range []struct {
		file       string
		transforms []Transform
		colour     string
	}{
		{"clap-irot1-imir1-120x90.heic", []Transform{{Type: "clap", Clap: Clap{90, 1, 60, 1, 8, 1, -3, 1}}, {Type: "irot", Rotation: 1}, {Type: "imir", Axis: 1}}, ""},
		{"irot1-clap-120x90.heic", []Transform{{Type: "irot", Rotation: 1}, {Type: "clap", Clap: Clap{60, 1, 90, 1, -3, 1, 8, 1}}}, ""},
		{"icc-p3-140x100.heic", nil, "prof"},
		{"nclx709-limited-140x100.heic", nil, "nclx"},
		// libheif 1.15 crops odd sizes with a grid of one tile.
		{"heifenc-101x75-q50-thumb.heic", nil, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := Parse(readFile(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.transforms, f.Primary.Transforms); diff != "" {
				t.Errorf("transforms (-want +got):\n%s", diff)
			}
			if f.Primary.Colour.Type != tc.colour {
				t.Errorf("colour %q, want %q", f.Primary.Colour.Type, tc.colour)
			}
		})
	}
}

func TestClapRect(t *testing.T) {
	for _, tc := range []struct {
		c    Clap
		w, h int
		want image.Rectangle
		ok   bool
	}{
		{Clap{100, 1, 66, 1, -5, 1, 4, 1}, 120, 90, image.Rect(5, 16, 105, 82), true},
		{Clap{101, 1, 67, 1, -5, 1, 4, 1}, 120, 90, image.Rect(4, 16, 105, 83), true}, // left 4.5 and top 15.5, rounded as libheif does
		{Clap{101, 1, 75, 1, -1, 2, -1, 2}, 102, 76, image.Rect(0, 0, 101, 75), true}, // heif-enc's odd sizes
		{Clap{120, 1, 90, 1, 0, 1, 0, 1}, 120, 90, image.Rect(0, 0, 120, 90), true},
		{Clap{121, 1, 90, 1, 0, 1, 0, 1}, 120, 90, image.Rectangle{}, false},
		{Clap{100, 1, 66, 1, 20, 1, 0, 1}, 120, 90, image.Rectangle{}, false},
		{Clap{100, 0, 66, 1, 0, 1, 0, 1}, 120, 90, image.Rectangle{}, false},
		{Clap{-100, 1, 66, 1, 0, 1, 0, 1}, 120, 90, image.Rectangle{}, false},
		{Clap{1 << 31, 1, 1 << 31, 1, -1 << 31, 1, -1 << 31, 1}, 120, 90, image.Rectangle{}, false},
	} {
		got, ok := tc.c.Rect(tc.w, tc.h)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%+v.Rect(%d, %d) = %v, %v; want %v, %v", tc.c, tc.w, tc.h, got, ok, tc.want, tc.ok)
		}
	}
}

// patch returns a copy of data with the bytes at the given offset from the
// start of the first box of type typ (its size field) replaced.
func patch(t *testing.T, data []byte, typ string, off int, b ...byte) []byte {
	t.Helper()
	i := bytes.Index(data, []byte(typ))
	if i < 4 {
		t.Fatalf("no %s box", typ)
	}
	out := bytes.Clone(data)
	copy(out[i-4+off:], b)
	return out
}

func TestInvalid(t *testing.T) {
	single := readFile(t, "single-64x64-q30.heic")
	grid := readFile(t, "grid-201x131-tile64-q30.heic")
	var format *FormatError
	var unsup *UnsupportedError
	for _, tc := range []struct {
		name string
		data []byte
		want any
	}{
		{"empty", nil, &format},
		{"no ftyp", single[8:], &format},
		{"AVIF brand only", patch(t, patch(t, single, "ftyp", 8, []byte("avif")...), "ftyp", 16, []byte("avifavifavifavifavif")...), &unsup},
		{"box beyond its parent", patch(t, single, "meta", 0, 0x7f, 0, 0, 0), &format},
		{"ftyp size below its header", patch(t, single, "ftyp", 0, 0, 0, 0, 4), &format},
		{"primary item missing", patch(t, single, "pitm", 12, 0, 9), &format},
		{"AV1 primary", patch(t, single, "hvc1", 4, []byte("av01")...), &unsup},
		{"extent beyond the file", patch(t, single, "iloc", 20, 0x7f, 0, 0, 0), &format},
		{"grid of too few tiles", patch(t, grid, "dimg", 10, 0, 11), &format},
		{"grid larger than its tiles", patch(t, grid, "grid", 4, []byte("grix")...), &unsup},
		{"handler not pict", patch(t, single, "hdlr", 16, []byte("vide")...), &unsup},
		{"property index beyond ipco", patch(t, single, "ipma", 19, 0x7f), &format},
		{"iinf count too large", patch(t, single, "iinf", 12, 0xff, 0xff), &format},
		{"unknown property instead of ispe", patch(t, single, "ispe", 4, []byte("xyzw")...), &format},
		{"unknown essential property", patch(t, single, "hvcC", 4, []byte("xvcC")...), &unsup},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.data)
			switch want := tc.want.(type) {
			case **FormatError:
				if !errors.As(err, want) {
					t.Errorf("Parse: %v, want a FormatError", err)
				}
			case **UnsupportedError:
				if !errors.As(err, want) {
					t.Errorf("Parse: %v, want an UnsupportedError", err)
				}
			}
		})
	}
}

func testBox(typ string, payload ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(bytes.Join(payload, nil))))
	return append(append(b, typ...), bytes.Join(payload, nil)...)
}

// TestExtentsWithoutBytes checks an iloc whose field sizes are all 0, so
// that each of its 3×65535 extents takes no bytes: it must fail at once,
// not build a billion extents.
func TestExtentsWithoutBytes(t *testing.T) {
	iloc := []byte{0, 0, 0, 0, 0x00, 0x00, 0, 3}
	for id := range 3 {
		iloc = append(iloc, 0, byte(id+1), 0, 0, 0xff, 0xff)
	}
	data := slices.Concat(
		testBox("ftyp", []byte("heic\x00\x00\x00\x00mif1heic")),
		testBox("meta", []byte{0, 0, 0, 0},
			testBox("hdlr", []byte("\x00\x00\x00\x00\x00\x00\x00\x00pict\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")),
			testBox("pitm", []byte{0, 0, 0, 0, 0, 1}),
			testBox("iinf", []byte{0, 0, 0, 0, 0, 1}, testBox("infe", []byte("\x02\x00\x00\x00\x00\x01\x00\x00hvc1\x00"))),
			testBox("iloc", iloc)))
	start := time.Now()
	_, err := Parse(data)
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "extents") {
		t.Errorf("Parse: %v, want a FormatError about extents", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Parse took %v", d)
	}
}

// TestTruncated checks that every prefix of a file fails cleanly.
func TestTruncated(t *testing.T) {
	for _, name := range []string{"iphone-1000x700-irot3.heic", "iloc-v2-split-160x90.heic", "grid-99x70-tile48-gray10.heic"} {
		data := readFile(t, name)
		meta := bytes.Index(data, []byte("mdat")) // truncating inside mdat leaves a valid meta
		for n := range meta - 4 {
			f, err := Parse(data[:n])
			if err == nil {
				t.Fatalf("%s cut at %d bytes: parsed %+v", name, n, f.Primary)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.heic")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil && len(data) < 16<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		tiles := []*Image{file.Primary}
		if file.Primary.Grid != nil {
			tiles = file.Primary.Grid.Tiles
		}
		for _, tile := range tiles {
			nals, err := tile.NALUnits(1 << 20)
			if err != nil {
				continue
			}
			for _, n := range nals {
				if len(n) < 2 {
					t.Fatalf("NAL unit of %d bytes", len(n))
				}
			}
		}
		for _, tr := range file.Primary.Transforms {
			if r, ok := tr.Clap.Rect(file.Primary.Width, file.Primary.Height); ok && !r.In(image.Rect(0, 0, file.Primary.Width, file.Primary.Height)) {
				t.Fatalf("clap %v outside the image", r)
			}
		}
	})
}

// TestVideoSignal checks the colour that the SPS's VUI describes, read by the
// decoder's own SPS parser, for a file with no colr property and for one
// whose encoder signalled none.
func TestVideoSignal(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Colour
	}{
		{"vui-fullrange-709-64x64.heic", Colour{Type: "nclx", Primaries: 2, TransferCharacteristics: 2, MatrixCoeffs: 1, FullRange: true}},
		{"iphone-1000x700-irot3.heic", Colour{Type: "nclx", Primaries: 2, TransferCharacteristics: 2, MatrixCoeffs: 2}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := Parse(readFile(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			img := f.Primary
			if img.Type == "grid" {
				img = img.Grid.Tiles[0]
			}
			if diff := cmp.Diff(tc.want, img.Config.VideoSignal); diff != "" {
				t.Errorf("VUI colour (-want +got):\n%s", diff)
			}
		})
	}
}
