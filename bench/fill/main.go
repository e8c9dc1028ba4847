// Command fill makes a square thumbnail with github.com/disintegration/imaging
// (Fill, centre anchor, Lanczos), the usual pure-Go way, so that
// bench/compare.sh can measure contactphoto against it. It lives in its own
// module so that the product does not depend on that library.
//
// Usage: fill [-size N] IN OUT
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/disintegration/imaging"
)

func main() {
	size := flag.Int("size", 720, "edge of the square in pixels")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: fill [-size N] IN OUT")
		os.Exit(2)
	}
	img, err := imaging.Open(flag.Arg(0), imaging.AutoOrientation(true))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fill:", err)
		os.Exit(1)
	}
	thumb := imaging.Fill(img, *size, *size, imaging.Center, imaging.Lanczos)
	if err := imaging.Save(thumb, flag.Arg(1), imaging.JPEGQuality(90)); err != nil {
		fmt.Fprintln(os.Stderr, "fill:", err)
		os.Exit(1)
	}
}
