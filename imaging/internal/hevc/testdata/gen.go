//go:build ignore

// gen writes a raw YUV picture for the x265 encoder: a synthetic pattern
// (gradients, edges at every angle, fine texture and noise) or a photo
// scaled to the requested size. Used by make.sh.
package main

import (
	"encoding/binary"
	"flag"
	"image"
	"image/jpeg"
	"log"
	"math"
	"math/rand/v2"
	"os"
)

func main() {
	src := flag.String("src", "synth", "synth, noise, flat or a JPEG file")
	w := flag.Int("w", 64, "width")
	h := flag.Int("h", 64, "height")
	depth := flag.Int("depth", 8, "bit depth: 8 or 10")
	csp := flag.String("csp", "420", "420 or 400")
	out := flag.String("o", "out.yuv", "output file")
	flag.Parse()

	var photo *image.YCbCr
	if *src != "synth" && *src != "noise" && *src != "flat" {
		f, err := os.Open(*src)
		if err != nil {
			log.Fatal(err)
		}
		img, err := jpeg.Decode(f)
		if err != nil {
			log.Fatal(err)
		}
		photo = img.(*image.YCbCr)
	}
	rng := rand.New(rand.NewPCG(1, uint64(*w**h)))
	maxv := float64(int(1)<<*depth - 1)
	sample := func(plane, x, y, pw, ph int) float64 {
		switch {
		case photo != nil:
			b := photo.Bounds()
			sx := b.Min.X + x*b.Dx()/pw
			sy := b.Min.Y + y*b.Dy()/ph
			switch plane {
			case 0:
				return float64(photo.Y[photo.YOffset(sx, sy)]) / 255
			case 1:
				return float64(photo.Cb[photo.COffset(sx, sy)]) / 255
			default:
				return float64(photo.Cr[photo.COffset(sx, sy)]) / 255
			}
		case *src == "noise":
			return rng.Float64()
		case *src == "flat":
			return []float64{0.6, 0.4, 0.55}[plane]
		}
		fx, fy := float64(x)/float64(pw), float64(y)/float64(ph)
		v := 0.5
		switch {
		case fy < 0.25: // smooth gradients
			v = 0.2 + 0.6*fx*fx + 0.1*math.Sin(fy*20+float64(plane))
		case fy < 0.5: // a star of edges at many angles
			a := math.Atan2(fy-0.375, fx-0.5)
			if int(a*12/math.Pi+24)%2 == 0 {
				v = 0.85
			} else {
				v = 0.15
			}
		case fy < 0.75: // fine texture
			v = 0.5 + 0.35*math.Sin(float64(x)*0.9+float64(plane))*math.Cos(float64(y)*0.7)
		default: // noise over a ramp
			v = fx*0.7 + 0.3*rng.Float64()
		}
		if plane > 0 {
			v = 0.5 + (v-0.5)*0.6
		}
		return v
	}
	var buf []byte
	planes := 3
	if *csp == "400" {
		planes = 1
	}
	for p := range planes {
		pw, ph := *w, *h
		if p > 0 {
			pw, ph = (*w+1)/2, (*h+1)/2
		}
		for y := range ph {
			for x := range pw {
				v := uint16(math.Round(math.Max(0, math.Min(1, sample(p, x, y, pw, ph))) * maxv))
				if *depth == 8 {
					buf = append(buf, byte(v))
				} else {
					buf = binary.LittleEndian.AppendUint16(buf, v)
				}
			}
		}
	}
	if err := os.WriteFile(*out, buf, 0o644); err != nil {
		log.Fatal(err)
	}
}
