package hevc_test

import (
	"bytes"
	"fmt"
	"log"
	"os"

	"github.com/contactphoto/contactphoto/imaging/internal/hevc"
)

// Decode takes the NAL units of one picture; here they come from an H.265
// byte stream with start codes, where a HEIF file would give them from its
// hvcC box and the item's length-prefixed data.
func ExampleDecode() {
	data, err := os.ReadFile("testdata/synth-200x120.hevc")
	if err != nil {
		log.Fatal(err)
	}
	var nals [][]byte
	for _, nal := range bytes.Split(data, []byte{0, 0, 1}) {
		if nal = bytes.TrimRight(nal, "\x00"); len(nal) > 0 {
			nals = append(nals, nal)
		}
	}
	cfg, err := hevc.DecodeConfig(nals)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%dx%d, chroma format %d, %d bits\n", cfg.Width, cfg.Height, cfg.ChromaFormat, cfg.BitDepthLuma)
	pic, err := hevc.Decode(nals)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("top-left luma sample:", pic.Y[0])
	// Output:
	// 200x120, chroma format 1, 8 bits
	// top-left luma sample: 52
}
