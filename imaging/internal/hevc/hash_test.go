package hevc

import (
	"bytes"
	"crypto/md5"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pictureHashes returns the MD5 of each plane from the decoded picture hash
// SEI message (H.265 D.2.20, payloadType 132, hash_type 0) in nals.
func pictureHashes(nals [][]byte) [][]byte {
	for _, nal := range nals {
		if typ := nal[0] >> 1; typ != 39 && typ != 40 {
			continue
		}
		data := rbsp(nal[2:])
		for len(data) > 2 {
			ptype, psize := 0, 0
			for len(data) > 0 && data[0] == 0xFF {
				ptype += 255
				data = data[1:]
			}
			ptype += int(data[0])
			data = data[1:]
			for len(data) > 0 && data[0] == 0xFF {
				psize += 255
				data = data[1:]
			}
			if len(data) == 0 {
				break
			}
			psize += int(data[0])
			data = data[1:]
			if psize > len(data) {
				break
			}
			payload := data[:psize]
			data = data[psize:]
			if ptype == 132 && len(payload) > 0 && payload[0] == 0 {
				var sums [][]byte
				for p := payload[1:]; len(p) >= 16; p = p[16:] {
					sums = append(sums, p[:16])
				}
				return sums
			}
		}
	}
	return nil
}

// TestEncoderHash checks every stream in testdata against the MD5 of the
// encoder's own reconstruction, which x265 writes into the stream (--hash 1),
// over the whole decoded picture before cropping. It also covers streams on
// which libde265 disagrees with the encoder, left out of md5.txt.
func TestEncoderHash(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.hevc"))
	if err != nil || len(files) == 0 {
		t.Fatal("no streams", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			nals := splitAnnexB(data)
			want := pictureHashes(nals)
			if want == nil {
				if strings.HasPrefix(filepath.Base(f), "pcm-") {
					t.Skip("made by the PCM stream writer, which has no reconstruction of its own")
				}
				t.Fatal("no picture hash SEI")
			}
			st, err := parseStream(nals)
			if err != nil {
				t.Fatal(err)
			}
			s, err := st.activeSPS()
			if err != nil {
				t.Fatal(err)
			}
			d, err := decodePicture(st, s)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != d.numPlanes {
				t.Fatalf("%d hashes for %d planes", len(want), d.numPlanes)
			}
			for c := range d.numPlanes {
				w, h, depth := s.width, s.height, s.bitDepthY
				if c > 0 {
					w, h, depth = w/2, h/2, s.bitDepthC
				}
				sum := md5.Sum(planeBytes(d.planes[c], w, h, d.stride[c], depth))
				if !bytes.Equal(sum[:], want[c]) {
					t.Errorf("plane %d: MD5 %x, encoder's %x", c, sum, want[c])
				}
			}
		})
	}
}
