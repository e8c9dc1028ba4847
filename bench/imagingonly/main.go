// Command imagingonly makes the same photo as `contactphoto preview -crop
// center IN OUT`, in a binary that links nothing but the imaging package.
// bench/compare.sh runs it beside the CLI to show what the photo itself
// costs: the CLI and the deployed function also link the Google client
// libraries, whose start-up alone takes some 30 MiB of memory.
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/contactphoto/contactphoto/imaging"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: imagingonly IN OUT")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	res, err := imaging.Process(bytes.NewBuffer(data), &imaging.Options{Crop: imaging.CropCenter})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[2], res.JPEG, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
