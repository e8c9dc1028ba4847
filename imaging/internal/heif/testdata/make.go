//go:build ignore

// make.go writes the HEIC corpus in this directory and its reference decodes.
//
//	go run make.go /path/to/friends-2056x3088.jpg
//
// heif-enc in libheif 1.15 writes neither grids nor irot, imir or clap of its
// own choosing, so most files are assembled here: each coded image (a grid
// tile, a whole picture, a thumbnail) is encoded by the x265 command-line
// encoder from a crop of the photo, and the container around the bitstreams
// is written box by box from ISO/IEC 23008-12 and 14496-12. A few files come
// from heif-enc itself, as libheif writes them. Needs (Debian 13): x265,
// libde265-examples, libheif-examples, imagemagick.
//
// The references, in reference.txt, come from other decoders only:
//   - every coded image is decoded by libde265's dec265 from the parameter
//     sets of its hvcC and its slice data; each line gives the MD5 of each
//     decoded plane (cropped by the conformance window; one byte a sample at
//     8 bits, two little-endian bytes above) and the byte ranges of the NAL
//     units in the file, parameter sets first, so a bitstream decoder can be
//     checked without a container parser;
//   - every file is converted by heif-convert (libheif with libde265), which
//     applies the grid, clap, irot and imir and converts to RGB: NAME.png
//     (small files) or NAME.quarter.jpg (larger ones: reduced to a quarter
//     with ImageMagick's box filter in linear light, JPEG quality 92).
//
// The files this program assembles are reproducible; heif-enc's are too for
// a given libheif and x265.
package main

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/contactphoto/contactphoto/imaging/internal/heif"
	"golang.org/x/image/draw"
)

// A picture is planar Y'CbCr at some bit depth.
type picture struct {
	w, h   int
	gray   bool
	depth  int
	y      []uint16
	cb, cr []uint16 // 4:2:0, (w+1)/2 × (h+1)/2
}

type nclx struct {
	primaries, transfer, matrix int
	full                        bool
}

// A corpusFile describes one file to assemble.
type corpusFile struct {
	name       string
	w, h       int // of the primary image as stored (grid output or coded size)
	tile       int // grid tile edge; 0 for a single coded image
	gray       bool
	depth      int
	qp         int
	x265       []string // extra encoder options
	transforms []string // "clap W H DX DY", "irot A", "imir X", in order
	colr       *nclx
	icc        bool  // a Display P3 ICC profile in colr prof
	exif       int   // Exif item with this Orientation; 0 for none
	thumb      int   // thumbnail's longer edge; 0 for none
	idat       bool  // grid description in idat (construction method 1)
	ilocV      int   // iloc version
	split      bool  // each item's data in two extents
	plain      bool  // the photo alone, without stripes and noise
	vui        *nclx // the matrix and range the encoder is told to signal in the SPS, without colr
}

var corpus = []corpusFile{
	{name: "single-64x64-q30", w: 64, h: 64, depth: 8, qp: 30},
	{name: "single-34x18-q25", w: 34, h: 18, depth: 8, qp: 25, x265: []string{"--ctu", "16"}},
	{name: "single-334x250-q10-ctu16", w: 334, h: 250, depth: 8, qp: 10, x265: []string{"--ctu", "16", "--tu-intra-depth", "3"}},
	{name: "single-200x150-q45-tskip", w: 200, h: 150, depth: 8, qp: 45, x265: []string{"--ctu", "32", "--tskip", "--no-wpp"}},
	{name: "single-160x120-q22-scaling", w: 160, h: 120, depth: 8, qp: 22, x265: []string{"--scaling-list", "default", "--no-wpp", "--rdoq-level", "2"}},
	{name: "single-150x100-q35-nofilters", w: 150, h: 100, depth: 8, qp: 35, x265: []string{"--no-sao", "--no-deblock", "--no-strong-intra-smoothing", "--no-signhide"}},
	{name: "single-256x96-q18-slices-lossless", w: 256, h: 96, depth: 8, qp: 18, x265: []string{"--ctu", "32", "--slices", "3", "--cu-lossless", "--constrained-intra"}},
	{name: "single-128x72-q28-mainstill", w: 128, h: 72, depth: 8, qp: 28, x265: []string{"--profile", "mainstillpicture"}},
	{name: "single-120x80-q40-deblock", w: 120, h: 80, depth: 8, qp: 40, x265: []string{"--deblock", "3:-2", "--ctu", "16", "--preset", "veryslow"}},
	{name: "gray-130x90-q26", w: 130, h: 90, gray: true, depth: 8, qp: 26},
	{name: "main10-180x120-q24", w: 180, h: 120, depth: 10, qp: 24, x265: []string{"--tskip"}},
	{name: "gray10-104x72-q12", w: 104, h: 72, gray: true, depth: 10, qp: 12},
	{name: "grid-201x131-tile64-q30", w: 201, h: 131, tile: 64, depth: 8, qp: 30, x265: []string{"--ctu", "32"}},
	{name: "grid-99x70-tile48-gray10", w: 99, h: 70, tile: 48, gray: true, depth: 10, qp: 20, idat: true, ilocV: 1, x265: []string{"--ctu", "16"}},
	{name: "clap-120x90", w: 120, h: 90, depth: 8, qp: 28, transforms: []string{"clap 101 67 -5 4"}},
	{name: "irot1-96x64", w: 96, h: 64, depth: 8, qp: 30, transforms: []string{"irot 1"}},
	{name: "irot2-96x64", w: 96, h: 64, depth: 8, qp: 30, transforms: []string{"irot 2"}},
	{name: "irot3-96x64", w: 96, h: 64, depth: 8, qp: 30, transforms: []string{"irot 3"}},
	{name: "imir0-96x64", w: 96, h: 64, depth: 8, qp: 30, transforms: []string{"imir 0"}},
	{name: "imir1-96x64", w: 96, h: 64, depth: 8, qp: 30, transforms: []string{"imir 1"}},
	{name: "irot1-imir0-96x64", w: 96, h: 64, depth: 8, qp: 30, transforms: []string{"irot 1", "imir 0"}},
	{name: "irot3-imir0-96x64", w: 96, h: 64, depth: 8, qp: 30, transforms: []string{"irot 3", "imir 0"}},
	{name: "clap-irot1-imir1-120x90", w: 120, h: 90, depth: 8, qp: 30, transforms: []string{"clap 90 60 8 -3", "irot 1", "imir 1"}},
	{name: "irot1-clap-120x90", w: 120, h: 90, depth: 8, qp: 30, transforms: []string{"irot 1", "clap 60 90 -3 8"}},
	{name: "nclx709-limited-140x100", w: 140, h: 100, depth: 8, qp: 27, colr: &nclx{1, 1, 1, false}},
	{name: "icc-p3-140x100", w: 140, h: 100, depth: 8, qp: 27, icc: true},
	{name: "vui-fullrange-709-64x64", w: 64, h: 64, depth: 8, qp: 30, x265: []string{"--range", "full", "--colormatrix", "bt709"}, vui: &nclx{1, 13, 1, true}},
	{name: "iloc-v2-split-160x90", w: 160, h: 90, tile: 64, depth: 8, qp: 33, ilocV: 2, split: true},
	// Shaped as an iPhone writes a portrait: 512×512 tiles, hidden, the
	// grid description in idat, irot 3 with Exif Orientation 6 as well,
	// colr nclx, pixi, a thumbnail and the Exif item.
	{name: "iphone-1000x700-irot3", w: 1000, h: 700, tile: 512, depth: 8, qp: 32, transforms: []string{"irot 3"},
		colr: &nclx{12, 13, 6, true}, exif: 6, thumb: 320, idat: true, ilocV: 1},
}

// heifEncFiles are written by heif-enc from PNGs of the photo.
var heifEncFiles = []struct {
	name string
	w, h int
	args []string
	kind string // "rgb", "gray", "rgb16"
}{
	{"heifenc-101x75-q50-thumb", 101, 75, []string{"-q", "50", "-t", "32"}, "rgb"},
	{"heifenc-gray-90x61-q70", 90, 61, []string{"-q", "70"}, "gray"},
	{"heifenc-10bit-80x60-q60", 80, 60, []string{"-q", "60", "-b", "10"}, "rgb16"},
}

var photo image.Image

// iPhone12MP is the benchmark photo: 12 MP in 8×6 tiles of 512×512, shaped
// as an iPhone writes a portrait, without the corpus's stripes and noise.
var iPhone12MP = corpusFile{name: "iphone-12mp", w: 4032, h: 3024, tile: 512, depth: 8, qp: 24, transforms: []string{"irot 3"},
	colr: &nclx{12, 13, 6, true}, exif: 6, thumb: 320, idat: true, ilocV: 1, plain: true}

func main() {
	log.SetFlags(0)
	bench := flag.String("bench", "", "write only the 12 MP benchmark photo, to this file")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: go run make.go [-bench OUT.heic] friends-2056x3088.jpg")
	}
	f, err := os.Open(flag.Arg(0))
	check(err)
	photo, err = jpeg.Decode(f)
	check(err)
	f.Close()
	tmp, err := os.MkdirTemp("", "heifcorpus")
	check(err)
	defer os.RemoveAll(tmp)
	if *bench != "" {
		check(os.WriteFile(*bench, assemble(iPhone12MP, tmp), 0o644))
		return
	}
	var ref []string
	for _, c := range corpus {
		data := assemble(c, tmp)
		check(os.WriteFile(c.name+".heic", data, 0o644))
		ref = append(ref, references(c.name, data, tmp)...)
	}
	for _, e := range heifEncFiles {
		in := filepath.Join(tmp, e.name+".png")
		writeSourcePNG(in, e.w, e.h, e.kind)
		run("heif-enc", append(append([]string{}, e.args...), "-o", e.name+".heic", in)...)
		data, err := os.ReadFile(e.name + ".heic")
		check(err)
		ref = append(ref, references(e.name, data, tmp)...)
	}
	sort.Strings(ref)
	check(os.WriteFile("reference.txt", []byte(strings.Join(ref, "\n")+"\n"), 0o644))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func run(name string, args ...string) []byte {
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		log.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// scene is the photo scaled to w×h (its centre, keeping its aspect ratio),
// with a band of fine stripes at several angles across the top and noise
// growing to the right, so that every intra direction and large
// coefficients occur. A plain scene has mild noise everywhere instead, as
// a camera sensor leaves it.
func scene(w, h int, plain bool) *image.RGBA {
	pb := photo.Bounds()
	sw, sh := pb.Dx(), pb.Dy()
	if sw*h > sh*w {
		sw = sh * w / h
	} else {
		sh = sw * h / w
	}
	sr := image.Rect(pb.Min.X+(pb.Dx()-sw)/2, pb.Min.Y+(pb.Dy()-sh)/2, 0, 0)
	sr.Max = sr.Min.Add(image.Pt(sw, sh))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(m, m.Bounds(), photo, sr, draw.Src, nil)
	seed := uint32(w*7919 + h)
	rnd := func() int {
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		return int(seed % 61)
	}
	for y := range h {
		for x := range w {
			i := 4*x + y*m.Stride
			if plain {
				n := rnd()/4 - 7
				for c := range 3 {
					m.Pix[i+c] = uint8(max(0, min(255, int(m.Pix[i+c])+n)))
				}
				continue
			}
			if y < h/5 {
				a := float64(x/max(1, w/6)) * 0.5
				v := math.Sin((float64(x)*math.Cos(a) + float64(y)*math.Sin(a)) * 1.3)
				for c := range 3 {
					m.Pix[i+c] = uint8(max(0, min(255, int(m.Pix[i+c])+int(60*v))))
				}
			}
			n := (rnd() - 30) * x / max(1, w)
			for c := range 3 {
				m.Pix[i+c] = uint8(max(0, min(255, int(m.Pix[i+c])+n)))
			}
		}
	}
	return m
}

// toPicture converts m to Y'CbCr with the matrix and range of n.
func toPicture(m *image.RGBA, gray bool, depth int, n nclx) *picture {
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	kr, kb := 0.299, 0.114
	if n.matrix == 1 {
		kr, kb = 0.2126, 0.0722
	}
	maxv := float64(int(1)<<depth - 1)
	scale := float64(int(1) << (depth - 8))
	quant := func(v float64, luma bool) uint16 { // v in [0,1] luma, [-0.5,0.5] chroma
		var s float64
		switch {
		case n.full && luma:
			s = v * maxv
		case n.full:
			s = v*maxv + float64(int(1)<<(depth-1))
		case luma:
			s = (16 + 219*v) * scale
		default:
			s = (128 + 224*v) * scale
		}
		return uint16(max(0, min(maxv, math.Round(s))))
	}
	p := &picture{w: w, h: h, gray: gray, depth: depth, y: make([]uint16, w*h)}
	cw, ch := (w+1)/2, (h+1)/2
	var cbs, crs []float64
	if !gray {
		cbs, crs = make([]float64, cw*ch), make([]float64, cw*ch)
		p.cb, p.cr = make([]uint16, cw*ch), make([]uint16, cw*ch)
	}
	cnt := make([]float64, cw*ch)
	for y := range h {
		for x := range w {
			i := 4*x + y*m.Stride
			r, g, b := float64(m.Pix[i])/255, float64(m.Pix[i+1])/255, float64(m.Pix[i+2])/255
			yy := kr*r + (1-kr-kb)*g + kb*b
			p.y[y*w+x] = quant(yy, true)
			if !gray {
				ci := y/2*cw + x/2
				cbs[ci] += (b - yy) / (2 * (1 - kb))
				crs[ci] += (r - yy) / (2 * (1 - kr))
				cnt[ci]++
			}
		}
	}
	for i := range cnt {
		if !gray {
			p.cb[i], p.cr[i] = quant(cbs[i]/cnt[i], false), quant(crs[i]/cnt[i], false)
		}
	}
	return p
}

// crop returns the w×h part of p at (x0, y0), repeating the last row and
// column where it reaches beyond p, as an encoder pads grid tiles.
func (p *picture) crop(x0, y0, w, h int) *picture {
	q := &picture{w: w, h: h, gray: p.gray, depth: p.depth, y: make([]uint16, w*h)}
	for y := range h {
		for x := range w {
			q.y[y*w+x] = p.y[min(y0+y, p.h-1)*p.w+min(x0+x, p.w-1)]
		}
	}
	if !p.gray {
		cw, ch, pcw, pch := (w+1)/2, (h+1)/2, (p.w+1)/2, (p.h+1)/2
		q.cb, q.cr = make([]uint16, cw*ch), make([]uint16, cw*ch)
		for y := range ch {
			for x := range cw {
				si := min(y0/2+y, pch-1)*pcw + min(x0/2+x, pcw-1)
				q.cb[y*cw+x], q.cr[y*cw+x] = p.cb[si], p.cr[si]
			}
		}
	}
	return q
}

// yuv is p in the raw planar form x265 reads.
func (p *picture) yuv() []byte {
	var b []byte
	put := func(s []uint16) {
		for _, v := range s {
			if p.depth > 8 {
				b = binary.LittleEndian.AppendUint16(b, v)
			} else {
				b = append(b, byte(v))
			}
		}
	}
	put(p.y)
	if !p.gray {
		put(p.cb)
		put(p.cr)
	}
	return b
}

// encode returns the NAL units x265 makes of p, without start codes, SEI
// and access unit delimiters.
func encode(p *picture, qp int, extra []string, tmp string) (nals [][]byte, recon []byte) {
	in, out, rec := filepath.Join(tmp, "in.yuv"), filepath.Join(tmp, "out.265"), filepath.Join(tmp, "recon.yuv")
	check(os.WriteFile(in, p.yuv(), 0o644))
	csp := "i420"
	if p.gray {
		csp = "i400"
	}
	args := []string{"--input", in, "--input-res", fmt.Sprintf("%dx%d", p.w, p.h), "--input-csp", csp,
		"--input-depth", fmt.Sprint(p.depth), "--output-depth", fmt.Sprint(p.depth), "--fps", "1", "--frames", "1",
		"--qp", fmt.Sprint(qp), "--keyint", "1", "--no-info", "--log-level", "error", "-o", out,
		"--recon", rec, "--recon-depth", fmt.Sprint(p.depth)}
	run("x265", append(args, extra...)...)
	stream, err := os.ReadFile(out)
	check(err)
	for _, n := range splitAnnexB(stream) {
		if t := n[0] >> 1 & 63; t == 35 || t == 39 || t == 40 {
			continue
		}
		nals = append(nals, n)
	}
	recon, err = os.ReadFile(rec)
	check(err)
	return nals, recon
}

// recons holds the encoder's reconstruction of each coded image assembled
// here, by file name and item ID: the picture a conforming decoder must
// output.
var recons = map[string]map[int][]byte{}

func splitAnnexB(s []byte) [][]byte {
	var nals [][]byte
	start := -1
	for i := 0; i+3 <= len(s); i++ {
		if s[i] == 0 && s[i+1] == 0 && s[i+2] == 1 {
			if start >= 0 {
				nals = append(nals, bytes.TrimRight(s[start:i], "\x00"))
			}
			start = i + 3
			i += 2
		}
	}
	if start >= 0 {
		nals = append(nals, s[start:])
	}
	return nals
}

// unescape removes emulation prevention bytes.
func unescape(b []byte) []byte {
	var out []byte
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// A coded image is one hvc1 item.
type coded struct {
	w, h  int
	gray  bool
	depth int
	nals  [][]byte
}

func (c coded) params() [][]byte {
	var ps [][]byte
	for _, n := range c.nals {
		if t := n[0] >> 1 & 63; t >= 32 && t <= 34 {
			ps = append(ps, n)
		}
	}
	return ps
}

func (c coded) slices() [][]byte {
	var s [][]byte
	for _, n := range c.nals {
		if n[0]>>1&63 < 32 {
			s = append(s, n)
		}
	}
	return s
}

// hvcC is the HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1).
func (c coded) hvcC() []byte {
	var sps []byte
	for _, n := range c.nals {
		if n[0]>>1&63 == 33 {
			sps = unescape(n)
		}
	}
	ptl := sps[3:15] // general profile_tier_level, after the NAL header and one byte
	b := []byte{1}
	b = append(b, ptl...)
	b = append(b, 0xf0, 0x00, 0xfc)
	chroma := byte(1)
	if c.gray {
		chroma = 0
	}
	b = append(b, 0xfc|chroma, 0xf8|byte(c.depth-8), 0xf8|byte(c.depth-8), 0, 0, 0x0f)
	ps := c.params()
	b = append(b, byte(len(ps)))
	for _, p := range ps {
		b = append(b, 0x80|p[0]>>1&63, 0, 1)
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
		b = append(b, p...)
	}
	return b
}

func box(typ string, payload ...[]byte) []byte {
	n := 8
	for _, p := range payload {
		n += len(p)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(n))
	b = append(b, typ...)
	for _, p := range payload {
		b = append(b, p...)
	}
	return b
}

func fullBox(typ string, version byte, flags uint32, payload ...[]byte) []byte {
	h := []byte{version, byte(flags >> 16), byte(flags >> 8), byte(flags)}
	return box(typ, append([][]byte{h}, payload...)...)
}

func u16(v int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func u32(v int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

type item struct {
	id     int
	typ    string
	hidden bool
	data   []byte
	idat   bool
	props  []int // 1-based indices into ipco, essential when negative
}

// assemble encodes the pictures of c and writes the file.
func assemble(c corpusFile, tmp string) []byte {
	// Without colr, the SPS's VUI (absent: limited range) says how the
	// samples are coded.
	n := nclx{1, 13, 6, false}
	x265Args := c.x265
	switch {
	case c.colr != nil:
		n = *c.colr
	case c.vui != nil:
		n = *c.vui
	case c.gray:
		// The grey level is the luma sample, at full range.
		n = nclx{2, 2, 2, true}
		x265Args = append(x265Args, "--range", "full")
	}
	pic := toPicture(scene(c.w, c.h, c.plain), c.gray, c.depth, n)
	var props [][]byte
	prop := func(p []byte) int {
		for i, q := range props {
			if bytes.Equal(p, q) {
				return i + 1
			}
		}
		props = append(props, p)
		return len(props)
	}
	var colrProps []int
	if c.colr != nil {
		full := 0
		if c.colr.full {
			full = 0x80
		}
		colrProps = append(colrProps, prop(box("colr", []byte("nclx"), u16(c.colr.primaries), u16(c.colr.transfer), u16(c.colr.matrix), []byte{byte(full)})))
	}
	if c.icc {
		colrProps = append(colrProps, prop(box("colr", []byte("prof"), displayP3ICC())))
	}
	pixi := []byte{3, byte(c.depth), byte(c.depth), byte(c.depth)}
	if c.gray {
		pixi = []byte{1, byte(c.depth)}
	}
	pixiProp := prop(fullBox("pixi", 0, 0, pixi))
	codedItem := func(id int, p *picture, hidden bool) item {
		nals, recon := encode(p, c.qp, x265Args, tmp)
		cd := coded{w: p.w, h: p.h, gray: p.gray, depth: p.depth, nals: nals}
		if recons[c.name] == nil {
			recons[c.name] = map[int][]byte{}
		}
		recons[c.name][id] = recon
		var data []byte
		for _, s := range cd.slices() {
			data = append(data, u32(len(s))...)
			data = append(data, s...)
		}
		it := item{id: id, typ: "hvc1", hidden: hidden, data: data}
		it.props = append(it.props, -prop(box("hvcC", cd.hvcC())), prop(fullBox("ispe", 0, 0, u32(p.w), u32(p.h))))
		it.props = append(it.props, colrProps...)
		return append1(it, pixiProp)
	}
	var items []item
	var refs [][]byte
	primary := 1
	if c.tile == 0 {
		items = append(items, codedItem(1, pic, false))
	} else {
		cols, rows := (c.w+c.tile-1)/c.tile, (c.h+c.tile-1)/c.tile
		desc := []byte{0, 0, byte(rows - 1), byte(cols - 1)}
		desc = append(desc, u16(c.w)...)
		desc = append(desc, u16(c.h)...)
		grid := item{id: 1, typ: "grid", data: desc, idat: c.idat}
		grid.props = append(grid.props, prop(fullBox("ispe", 0, 0, u32(c.w), u32(c.h))))
		grid.props = append(grid.props, colrProps...)
		grid.props = append(grid.props, pixiProp)
		items = append(items, grid)
		dimg := u16(1)
		dimg = append(dimg, u16(rows*cols)...)
		for r := range rows {
			for col := range cols {
				id := 2 + r*cols + col
				items = append(items, codedItem(id, pic.crop(col*c.tile, r*c.tile, c.tile, c.tile), true))
				dimg = append(dimg, u16(id)...)
			}
		}
		refs = append(refs, box("dimg", dimg))
	}
	for _, t := range c.transforms {
		f := strings.Fields(t)
		var v [4]int
		for i, s := range f[1:] {
			fmt.Sscan(s, &v[i])
		}
		var p []byte
		switch f[0] {
		case "irot":
			p = box("irot", []byte{byte(v[0])})
		case "imir":
			p = box("imir", []byte{byte(v[0])})
		case "clap":
			// The clean aperture's centre is offset from the image's by
			// (DX, DY); the generator keeps both even-sized so the
			// offsets stay whole.
			p = box("clap", u32(v[0]), u32(1), u32(v[1]), u32(1), u32(v[2]), u32(1), u32(v[3]), u32(1))
		}
		items[0].props = append(items[0].props, -prop(p))
	}
	next := len(items) + 1
	if c.thumb > 0 {
		tw, th := c.thumb, c.thumb*c.h/c.w
		tp := toPicture(scene(tw, th, c.plain), c.gray, c.depth, n)
		t := codedItem(next, tp, false)
		items = append(items, t)
		refs = append(refs, box("thmb", u16(next), u16(1), u16(primary)))
		next++
	}
	if c.exif > 0 {
		items = append(items, item{id: next, typ: "Exif", data: exifItem(c.exif)})
		refs = append(refs, box("cdsc", u16(next), u16(1), u16(primary)))
	}
	return writeFile(c, items, props, refs, primary)
}

func append1(it item, p int) item { it.props = append(it.props, p); return it }

// exifItem is an Exif item as iPhones write it: the offset of the TIFF
// header, the JPEG APP1 signature, and a TIFF structure with one IFD
// holding the Orientation.
func exifItem(orientation int) []byte {
	b := u32(6)
	b = append(b, "Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01"...)
	b = append(b, 0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0, byte(orientation), 0, 0, 0, 0, 0, 0)
	return b
}

func writeFile(c corpusFile, items []item, props [][]byte, refs [][]byte, primary int) []byte {
	ftyp := box("ftyp", []byte("heic"), u32(0), []byte("mif1"), []byte("MiHE"), []byte("miaf"), []byte("MiHB"), []byte("heic"))
	build := func(mdatStart int) ([]byte, []byte) {
		var infes [][]byte
		for _, it := range items {
			flags := uint32(0)
			if it.hidden {
				flags = 1
			}
			infes = append(infes, fullBox("infe", 2, flags, u16(it.id), u16(0), []byte(it.typ), []byte{0}))
		}
		iinf := fullBox("iinf", 0, 0, append([][]byte{u16(len(infes))}, infes...)...)
		var ipma []byte
		ipma = append(ipma, u32(len(items))...)
		for _, it := range items {
			ipma = append(ipma, u16(it.id)...)
			ipma = append(ipma, byte(len(it.props)))
			for _, p := range it.props {
				if p < 0 {
					ipma = append(ipma, 0x80|byte(-p))
				} else {
					ipma = append(ipma, byte(p))
				}
			}
		}
		iprp := box("iprp", box("ipco", props...), fullBox("ipma", 0, 0, ipma))
		var mdat, idat, iloc []byte
		v := c.ilocV
		offSize := 4
		if v == 2 {
			offSize = 8
		}
		iloc = append(iloc, byte(offSize<<4|4), 0)
		if v == 2 {
			iloc = append(iloc, u32(len(items))...)
		} else {
			iloc = append(iloc, u16(len(items))...)
		}
		for _, it := range items {
			if v == 2 {
				iloc = append(iloc, u32(it.id)...)
			} else {
				iloc = append(iloc, u16(it.id)...)
			}
			method := 0
			if it.idat {
				method = 1
			}
			if v > 0 {
				iloc = append(iloc, u16(method)...)
			} else if it.idat {
				log.Fatalf("%s: idat needs iloc version 1 or 2", c.name)
			}
			iloc = append(iloc, u16(0)...) // data_reference_index
			parts := [][]byte{it.data}
			if c.split && len(it.data) > 8 {
				parts = [][]byte{it.data[:len(it.data)/3], it.data[len(it.data)/3:]}
			}
			iloc = append(iloc, u16(len(parts))...)
			for _, p := range parts {
				var off int
				if it.idat {
					off = len(idat)
					idat = append(idat, p...)
				} else {
					off = mdatStart + 8 + len(mdat)
					mdat = append(mdat, p...)
					if c.split {
						mdat = append(mdat, 0xde, 0xad) // a gap, so extents are not contiguous
					}
				}
				if offSize == 8 {
					iloc = binary.BigEndian.AppendUint64(iloc, uint64(off))
				} else {
					iloc = append(iloc, u32(off)...)
				}
				iloc = append(iloc, u32(len(p))...)
			}
		}
		metaBoxes := [][]byte{
			fullBox("hdlr", 0, 0, u32(0), []byte("pict"), make([]byte, 12), []byte{0}),
			fullBox("pitm", 0, 0, u16(primary)),
			fullBox("iloc", byte(v), 0, iloc),
			iinf,
		}
		if len(refs) > 0 {
			metaBoxes = append(metaBoxes, fullBox("iref", 0, 0, refs...))
		}
		metaBoxes = append(metaBoxes, iprp)
		if len(idat) > 0 {
			metaBoxes = append(metaBoxes, box("idat", idat))
		}
		return fullBox("meta", 0, 0, metaBoxes...), box("mdat", mdat)
	}
	meta, _ := build(0)
	meta, mdat := build(len(ftyp) + len(meta))
	return append(append(ftyp, meta...), mdat...)
}

// displayP3ICC is a matrix/TRC profile with Apple's Display P3 colorants
// (D50-adapted) and the sRGB tone curve.
func displayP3ICC() []byte {
	colorants := [3][3]float64{{0.515102, 0.241182, -0.001050}, {0.291965, 0.692236, 0.041882}, {0.157153, 0.066582, 0.784378}}
	s15 := func(b []byte, v float64) []byte {
		return binary.BigEndian.AppendUint32(b, uint32(int32(math.Round(v*65536))))
	}
	curve := []byte("para\x00\x00\x00\x00\x00\x03\x00\x00")
	for _, v := range []float64{2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045} {
		curve = s15(curve, v)
	}
	type tag struct {
		sig  string
		data []byte
	}
	var tags []tag
	for i, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		d := []byte("XYZ \x00\x00\x00\x00")
		for _, v := range colorants[i] {
			d = s15(d, v)
		}
		tags = append(tags, tag{sig, d})
	}
	for _, sig := range []string{"rTRC", "gTRC", "bTRC"} {
		tags = append(tags, tag{sig, curve})
	}
	p := make([]byte, 128)
	copy(p[8:], "\x04\x30\x00\x00mntrRGB XYZ ")
	copy(p[36:], "acsp")
	copy(p[68:], "\x00\x00\xf6\xd6\x00\x01\x00\x00\x00\x00\xd3\x2d") // the PCS illuminant, D50
	p = append(p, u32(len(tags))...)
	off := 128 + 4 + 12*len(tags)
	var body []byte
	for _, t := range tags {
		p = append(p, t.sig...)
		p = append(p, u32(off+len(body))...)
		p = append(p, u32(len(t.data))...)
		body = append(body, t.data...)
	}
	p = append(p, body...)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	return p
}

// writeSourcePNG writes the scene as heif-enc's input.
func writeSourcePNG(path string, w, h int, kind string) {
	m := scene(w, h, false)
	var out image.Image = m
	switch kind {
	case "gray":
		g := image.NewGray(m.Bounds())
		draw.Draw(g, g.Bounds(), m, image.Point{}, draw.Src)
		out = g
	case "rgb16":
		d := image.NewNRGBA64(m.Bounds())
		for y := range h {
			for x := range w {
				c := m.RGBAAt(x, y)
				d.SetNRGBA64(x, y, color.NRGBA64{uint16(c.R)*257 ^ uint16(x&3), uint16(c.G) * 257, uint16(c.B) * 257, 0xffff})
			}
		}
		out = d
	}
	f, err := os.Create(path)
	check(err)
	check(png.Encode(f, out))
	check(f.Close())
}

// references decodes the coded images of the primary image of the file with
// dec265 and the whole file with heif-convert, and returns the lines of
// reference.txt for it.
func references(name string, data []byte, tmp string) []string {
	f, err := heif.Parse(data)
	if err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	tiles := []*heif.Image{f.Primary}
	if f.Primary.Grid != nil {
		tiles = f.Primary.Grid.Tiles
	}
	var lines []string
	for _, t := range tiles {
		nals, err := t.NALUnits(1 << 30)
		check(err)
		var stream []byte
		var ranges []string
		for _, n := range nals {
			stream = append(append(stream, 0, 0, 0, 1), n...)
			off := cap(data) - cap(n)
			if off < 0 || off+len(n) > len(data) || &data[off] != &n[0] {
				ranges = nil // data in several extents is a copy
				break
			}
			ranges = append(ranges, fmt.Sprintf("%d+%d", off, len(n)))
		}
		in, out := filepath.Join(tmp, "tile.265"), filepath.Join(tmp, "tile.yuv")
		check(os.WriteFile(in, stream, 0o644))
		run("libde265-dec265", "-q", "-o", out, in)
		yuv, err := os.ReadFile(out)
		check(err)
		c := t.Config
		bps := 1
		if c.BitDepthLuma > 8 {
			bps = 2
		}
		ySize := t.Width * t.Height * bps
		cSize := 0
		if c.ChromaFormat == 1 {
			cSize = (t.Width + 1) / 2 * ((t.Height + 1) / 2) * bps
		}
		if len(yuv) != ySize+2*cSize {
			log.Fatalf("%s item %d: dec265 wrote %d bytes, want %d for %dx%d", name, t.ID, len(yuv), ySize+2*cSize, t.Width, t.Height)
		}
		// Where libde265 and the encoder's reconstruction disagree, the
		// encoder's is the reference and the line says so. (x265 3.5's
		// command line writes 8-bit reconstructions of 10-bit pictures,
		// which are of no use here.)
		disagree := false
		if recon, ok := recons[name][int(t.ID)]; ok && c.BitDepthLuma == 8 && !bytes.Equal(recon, yuv) {
			log.Printf("%s item %d: dec265 differs from the encoder's reconstruction", name, t.ID)
			yuv, disagree = recon, true
		}
		line := fmt.Sprintf("%s.heic item=%d size=%dx%d chroma=%d depth=%d Y=%x", name, t.ID, t.Width, t.Height, c.ChromaFormat, c.BitDepthLuma, md5.Sum(yuv[:ySize]))
		if cSize > 0 {
			line += fmt.Sprintf(" Cb=%x Cr=%x", md5.Sum(yuv[ySize:ySize+cSize]), md5.Sum(yuv[ySize+cSize:]))
		}
		if ranges != nil {
			line += " nals=" + strings.Join(ranges, ",")
		}
		if disagree {
			line += " libde265=differs"
		}
		lines = append(lines, line)
	}
	in := filepath.Join(tmp, name+".heic")
	check(os.WriteFile(in, data, 0o644))
	w, h := f.Primary.Width, f.Primary.Height
	if w*h <= 90000 {
		run("heif-convert", in, name+".png")
	} else {
		// Larger pictures are kept at a quarter of their size, each
		// pixel the mean of a 4×4 block in linear light.
		full := filepath.Join(tmp, "full.png")
		run("heif-convert", in, full)
		run("convert", full, "-colorspace", "RGB", "-filter", "Box", "-resize", "25%", "-colorspace", "sRGB", "-quality", "92", name+".quarter.jpg")
	}
	return lines
}
