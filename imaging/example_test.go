package imaging_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log"

	"github.com/contactphoto/contactphoto/imaging"
)

func ExampleProcess() {
	// A 1200x800 landscape PNG, as a screenshot might be.
	var upload bytes.Buffer
	if err := png.Encode(&upload, image.NewGray(image.Rect(0, 0, 1200, 800))); err != nil {
		log.Fatal(err)
	}
	res, err := imaging.Process(&upload, &imaging.Options{Size: 512, Crop: imaging.CropCenter})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Format, res.SourceWidth, res.SourceHeight, "->", res.Width, res.Height, "crop", res.Crop)
	// Output: png 1200 800 -> 512 512 crop (200,0)-(1000,800)
}

func ExampleProcess_errors() {
	avif := []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf")
	_, err := imaging.Process(bytes.NewReader(avif), nil)
	fmt.Println(errors.Is(err, imaging.ErrUnsupportedFormat))
	fmt.Println(err)
	// Output:
	// true
	// unsupported image format: AVIF is not supported yet; export as JPEG
}

func ExampleDecode() {
	// A tall PNG: Decode returns it whole and upright, scaled to fit.
	var upload bytes.Buffer
	if err := png.Encode(&upload, image.NewGray(image.Rect(0, 0, 300, 600))); err != nil {
		log.Fatal(err)
	}
	m, err := imaging.Decode(&upload, &imaging.Options{Size: 200})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Bounds())
	// Output: (0,0)-(100,200)
}
