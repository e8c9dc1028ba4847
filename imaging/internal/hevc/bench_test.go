package hevc

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode decodes 512x512 pictures as iPhones store each tile of a
// photo (4:2:0, 8 bits, deblocking and SAO on), from a photo and from a
// synthetic picture encoded with x265's slow preset.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"face-512.hevc", "synth-512.hevc"} {
		b.Run(name, func(b *testing.B) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				b.Fatal(err)
			}
			nals := splitAnnexB(data)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Decode(nals); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
