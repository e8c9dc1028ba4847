package dctjpeg_test

import (
	"bytes"
	"fmt"
	"log"
	"os"

	"github.com/contactphoto/contactphoto/imaging/internal/dctjpeg"
)

func ExampleDecode() {
	data, err := os.ReadFile("testdata/prog420.jpg")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := dctjpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		log.Fatal(err)
	}
	// The largest reduction that still leaves at least 12 pixels across
	// the shorter edge.
	scale := dctjpeg.ScaleFor(min(cfg.Width, cfg.Height), 12)
	img, err := dctjpeg.Decode(bytes.NewReader(data), &dctjpeg.Options{Scale: scale})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Width, cfg.Height, cfg.Progressive, "at 1 /", scale, "->", img.Bounds().Size())
	// Output: 61 45 true at 1 / 2 -> (31,23)
}
