package heif_test

import (
	"fmt"
	"log"
	"os"

	"github.com/contactphoto/contactphoto/imaging/internal/heif"
)

func ExampleParse() {
	data, err := os.ReadFile("testdata/iphone-1000x700-irot3.heic")
	if err != nil {
		log.Fatal(err)
	}
	f, err := heif.Parse(data)
	if err != nil {
		log.Fatal(err)
	}
	p := f.Primary
	fmt.Printf("%s %dx%d, %dx%d tiles of %dx%d\n", p.Type, p.Width, p.Height, p.Grid.Columns, p.Grid.Rows, p.Grid.Tiles[0].Width, p.Grid.Tiles[0].Height)
	fmt.Printf("%+v\n", p.Transforms)
	nals, err := p.Grid.Tiles[0].NALUnits(len(data))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("first tile: %d NAL units, the first of type %d (VPS)\n", len(nals), nals[0][0]>>1)
	// Output:
	// grid 1000x700, 2x2 tiles of 512x512
	// [{Type:irot Rotation:3 Axis:0 Clap:{WidthN:0 WidthD:0 HeightN:0 HeightD:0 HorizOffN:0 HorizOffD:0 VertOffN:0 VertOffD:0}}]
	// first tile: 4 NAL units, the first of type 32 (VPS)
}
