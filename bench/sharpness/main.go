// Command sharpness compares the photo the imaging package makes with
// vipsthumbnail's, on the same square crop of each photo given:
//
//   - PSNR against an exact reduction: the crop decoded in full by
//     image/jpeg and reduced to the output size by averaging, in linear
//     light, exactly the source area each output pixel covers;
//   - sharpness: the mean absolute Laplacian of the luma, as a share of
//     the exact reduction's;
//   - ringing: the share of pixels outside the range of the exact
//     reduction's 3×3 neighbourhood by more than 4 levels, as halos at
//     edges are.
//
// The crop is the largest centred square, cut on MCU boundaries with
// jpegtran so that the three see exactly the same pixels; the outputs are
// compared before any JPEG encoding (imaging.Decode, vipsthumbnail to
// PNG). Needs jpegtran and vipsthumbnail (apt-get install
// libjpeg-turbo-progs libvips-tools).
//
// Usage: sharpness [-size 720] PHOTO.jpg...
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/contactphoto/contactphoto/imaging"
)

func main() {
	size := flag.Int("size", imaging.DefaultSize, "output edge in pixels")
	flag.Parse()
	tmp, err := os.MkdirTemp("", "sharpness")
	check(err)
	defer os.RemoveAll(tmp)
	fmt.Println("| photo | crop | tool | PSNR dB vs exact | luma PSNR dB | sharpness vs exact | ringing % |")
	fmt.Println("|---|---|---|---:|---:|---:|---:|")
	for _, photo := range flag.Args() {
		crop := filepath.Join(tmp, "crop.jpg")
		w, h := jpegSize(photo)
		side := min(w, h)
		x, y := (w-side)/2/16*16, (h-side)/2/16*16
		run("jpegtran", "-crop", fmt.Sprintf("%dx%d+%d+%d", side, side, x, y), "-copy", "none", "-outfile", crop, photo)
		data, err := os.ReadFile(crop)
		check(err)
		full, err := jpeg.Decode(bytes.NewReader(data))
		check(err)
		ref := exactReduction(full, *size)

		ours, err := imaging.Decode(bytes.NewReader(data), &imaging.Options{Size: *size})
		check(err)
		vipsOut := filepath.Join(tmp, "vips.png")
		run("vipsthumbnail", crop, "--size", fmt.Sprintf("%dx%d", *size, *size), "-o", vipsOut)
		vf, err := os.Open(vipsOut)
		check(err)
		vips, err := png.Decode(vf)
		check(err)
		vf.Close()

		base := laplacian(ref)
		for _, r := range []struct {
			tool string
			img  image.Image
		}{{"imaging", ours}, {"vipsthumbnail", vips}} {
			fmt.Printf("| %s | %dx%d | %s | %.2f | %.2f | %.3f | %.2f |\n", filepath.Base(photo), side, side, r.tool,
				psnr(ref, r.img), psnrLuma(ref, r.img), laplacian(r.img)/base, 100*ringing(ref, r.img))
		}
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(name string, args ...string) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n%s", name, err, out)
		os.Exit(1)
	}
}

func jpegSize(path string) (int, int) {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	c, err := jpeg.DecodeConfig(f)
	check(err)
	return c.Width, c.Height
}

func toLinear(v uint32) float64 {
	x := float64(v) / 65535
	if x <= 0.04045 {
		return x / 12.92
	}
	return math.Pow((x+0.055)/1.055, 2.4)
}

func toSRGB(v float64) uint8 {
	v = min(1, max(0, v))
	if v <= 0.0031308 {
		v *= 12.92
	} else {
		v = 1.055*math.Pow(v, 1/2.4) - 0.055
	}
	return uint8(math.Round(255 * v))
}

// coverage returns, for each of n output pixels over src source pixels,
// the first source pixel and the share of each source pixel it covers.
func coverage(src, n int) ([]int, [][]float64) {
	scale := float64(src) / float64(n)
	starts := make([]int, n)
	weights := make([][]float64, n)
	for i := range n {
		a, b := float64(i)*scale, float64(i+1)*scale
		s := int(a)
		starts[i] = s
		for j := s; float64(j) < b && j < src; j++ {
			lo, hi := max(a, float64(j)), min(b, float64(j+1))
			weights[i] = append(weights[i], (hi-lo)/scale)
		}
	}
	return starts, weights
}

// exactReduction reduces m to size×size by exact area averaging in linear
// light, one source row at a time.
func exactReduction(m image.Image, size int) *image.RGBA {
	b := m.Bounds()
	xs, xw := coverage(b.Dx(), size)
	ys, yw := coverage(b.Dy(), size)
	acc := make([][3]float64, size*size)
	row := make([][3]float64, b.Dx())
	oy := 0
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, g, bl, _ := m.At(b.Min.X+x, b.Min.Y+y).RGBA()
			row[x] = [3]float64{toLinear(r), toLinear(g), toLinear(bl)}
		}
		for ; oy < size && ys[oy]+len(yw[oy]) <= y; oy++ {
		}
		for o := oy; o < size && ys[o] <= y; o++ {
			wy := yw[o][y-ys[o]]
			for ox := range size {
				var sum [3]float64
				for k, wx := range xw[ox] {
					p := row[xs[ox]+k]
					sum[0] += wx * p[0]
					sum[1] += wx * p[1]
					sum[2] += wx * p[2]
				}
				a := &acc[o*size+ox]
				a[0] += wy * sum[0]
				a[1] += wy * sum[1]
				a[2] += wy * sum[2]
			}
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, size, size))
	for i, a := range acc {
		copy(out.Pix[4*i:], []uint8{toSRGB(a[0]), toSRGB(a[1]), toSRGB(a[2]), 255})
	}
	return out
}

func rgb(m image.Image, x, y int) [3]float64 {
	r, g, b, _ := m.At(m.Bounds().Min.X+x, m.Bounds().Min.Y+y).RGBA()
	return [3]float64{float64(r >> 8), float64(g >> 8), float64(b >> 8)}
}

func psnr(a, b image.Image) float64 {
	var se float64
	r := a.Bounds()
	for y := range r.Dy() {
		for x := range r.Dx() {
			p, q := rgb(a, x, y), rgb(b, x, y)
			for c := range 3 {
				se += (p[c] - q[c]) * (p[c] - q[c])
			}
		}
	}
	return 10 * math.Log10(255*255*3*float64(r.Dx()*r.Dy())/se)
}

func luma(m image.Image, x, y int) float64 {
	p := rgb(m, x, y)
	return 0.299*p[0] + 0.587*p[1] + 0.114*p[2]
}

// laplacian is the mean absolute 4-neighbour Laplacian of the luma.
func laplacian(m image.Image) float64 {
	r := m.Bounds()
	var sum float64
	for y := 1; y < r.Dy()-1; y++ {
		for x := 1; x < r.Dx()-1; x++ {
			sum += math.Abs(4*luma(m, x, y) - luma(m, x-1, y) - luma(m, x+1, y) - luma(m, x, y-1) - luma(m, x, y+1))
		}
	}
	return sum / float64((r.Dx()-2)*(r.Dy()-2))
}

// ringing is the share of pixels whose luma lies more than 4 levels
// outside the range of the reference's 3×3 neighbourhood.
func ringing(ref, m image.Image) float64 {
	r := ref.Bounds()
	n := 0
	for y := 1; y < r.Dy()-1; y++ {
		for x := 1; x < r.Dx()-1; x++ {
			lo, hi := 255.0, 0.0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					v := luma(ref, x+dx, y+dy)
					lo, hi = min(lo, v), max(hi, v)
				}
			}
			if v := luma(m, x, y); v < lo-4 || v > hi+4 {
				n++
			}
		}
	}
	return float64(n) / float64((r.Dx()-2)*(r.Dy()-2))
}

// psnrLuma is the PSNR of the luma alone, which chroma subsampling does not
// touch.
func psnrLuma(a, b image.Image) float64 {
	var se float64
	r := a.Bounds()
	for y := range r.Dy() {
		for x := range r.Dx() {
			d := luma(a, x, y) - luma(b, x, y)
			se += d * d
		}
	}
	return 10 * math.Log10(255*255*float64(r.Dx()*r.Dy())/se)
}
