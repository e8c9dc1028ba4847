package dctjpeg

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode decodes a generated 1600x1200 baseline JPEG, and the
// photos in the directory named by CONTACTPHOTO_PHOTOS when it is set, at
// every scale, against image/jpeg at full size.
func BenchmarkDecode(b *testing.B) {
	inputs := []struct {
		name string
		data []byte
	}{{"synthetic-1600x1200", encodeStd(b, synthetic(1600, 1200))}}
	if dir := os.Getenv("CONTACTPHOTO_PHOTOS"); dir != "" {
		for _, name := range []string{"phone12mp.jpg", "phone12mp-progressive.jpg", "phone48mp.jpg"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				continue
			}
			inputs = append(inputs, struct {
				name string
				data []byte
			}{name, data})
		}
	}
	for _, in := range inputs {
		for _, s := range []int{1, 2, 4, 8} {
			b.Run(fmt.Sprintf("%s/1:%d", in.name, s), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(in.data)))
				for b.Loop() {
					if _, err := Decode(bytes.NewReader(in.data), &Options{Scale: s}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(in.name+"/image-jpeg", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(in.data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
