package hevc

import (
	"bufio"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// splitAnnexB splits an H.265 Annex B byte stream into NAL units.
func splitAnnexB(data []byte) [][]byte {
	var nals [][]byte
	start := -1
	for i := 0; i+2 < len(data); i++ {
		if data[i] == 0 && data[i+1] == 0 && data[i+2] == 1 {
			if start >= 0 {
				end := i
				for end > start && data[end-1] == 0 {
					end--
				}
				nals = append(nals, data[start:end])
			}
			start = i + 3
			i += 2
		}
	}
	if start >= 0 && start < len(data) {
		nals = append(nals, data[start:])
	}
	return nals
}

// planeBytes returns a plane as libde265's dec265 writes it: one byte a
// sample at 8 bits, two bytes little-endian above.
func planeBytes(p []uint16, w, h, stride, depth int) []byte {
	var out []byte
	for y := range h {
		for _, v := range p[y*stride : y*stride+w] {
			if depth > 8 {
				out = binary.LittleEndian.AppendUint16(out, v)
			} else {
				out = append(out, byte(v))
			}
		}
	}
	return out
}

type plane struct {
	data         []uint16
	w, h, stride int
	depth        int
}

func planes(pic *Picture) []plane {
	ps := []plane{{pic.Y, pic.Width, pic.Height, pic.YStride, pic.BitDepthLuma}}
	if pic.ChromaFormat == 1 {
		cw, ch := (pic.Width+1)/2, (pic.Height+1)/2
		ps = append(ps, plane{pic.Cb, cw, ch, pic.CStride, pic.BitDepthChroma},
			plane{pic.Cr, cw, ch, pic.CStride, pic.BitDepthChroma})
	}
	return ps
}

func readReferences(t *testing.T, name string) map[string][]string {
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	refs := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 {
			refs[fields[0]] = fields[1:]
		}
	}
	return refs
}

// TestDecodeReference decodes every stream in testdata and compares the MD5
// of each plane with libde265's decode of the same stream (md5.txt, written
// by testdata/make.sh), or with FFmpeg's (ffmpeg-md5.txt) for the streams on
// which libde265 is known to deviate from the standard (libde265-differs.txt;
// see testdata/README.md).
func TestDecodeReference(t *testing.T) {
	libde265 := readReferences(t, "md5.txt")
	ffmpeg := readReferences(t, "ffmpeg-md5.txt")
	differs, err := os.ReadFile(filepath.Join("testdata", "libde265-differs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(libde265) < 40 {
		t.Fatalf("%d reference streams", len(libde265))
	}
	for name, want := range libde265 {
		t.Run(name, func(t *testing.T) {
			if slices.Contains(strings.Fields(string(differs)), name) {
				want = ffmpeg[name]
				if want == nil {
					t.Fatal("no FFmpeg reference for a stream libde265 decodes differently")
				}
			}
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			pic, err := Decode(splitAnnexB(data))
			if err != nil {
				t.Fatal(err)
			}
			ps := planes(pic)
			if len(ps) != len(want) {
				t.Fatalf("%d planes, want %d", len(ps), len(want))
			}
			// A reference decode kept next to the stream (name.yuv, not
			// committed) locates the first difference.
			yuv, _ := os.ReadFile(filepath.Join("testdata", strings.TrimSuffix(name, ".hevc")+".yuv"))
			for i, p := range ps {
				b := planeBytes(p.data, p.w, p.h, p.stride, p.depth)
				sum := md5.Sum(b)
				if got := hex.EncodeToString(sum[:]); got != want[i] {
					t.Errorf("plane %d: MD5 %s, want %s%s", i, got, want[i], firstDiff(yuv, b, p))
				}
				if len(yuv) >= len(b) {
					yuv = yuv[len(b):]
				}
			}
		})
	}
}

func firstDiff(want, got []byte, p plane) string {
	if len(want) < len(got) {
		return ""
	}
	bps := 1
	if p.depth > 8 {
		bps = 2
	}
	for i := 0; i < len(got); i += bps {
		if want[i] != got[i] || (bps == 2 && want[i+1] != got[i+1]) {
			s := i / bps
			return fmt.Sprintf(" (first difference at x=%d y=%d: %d, want %d)", s%p.w, s/p.w, got[i], want[i])
		}
	}
	return ""
}
