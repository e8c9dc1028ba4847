package hevc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readNALs(t *testing.T, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return splitAnnexB(data)
}

// unspecifiedColour is the Config of a stream whose VUI describes no colour,
// as x265 writes by default: every code point 2, limited range.
func unspecifiedColour(w, h, chroma, depthLuma, depthChroma int) Config {
	return Config{Width: w, Height: h, ChromaFormat: chroma, BitDepthLuma: depthLuma, BitDepthChroma: depthChroma,
		ColourPrimaries: 2, TransferCharacteristics: 2, MatrixCoeffs: 2}
}

func TestDecodeConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Config
	}{
		{"synth-200x120.hevc", unspecifiedColour(200, 120, 1, 8, 8)},
		{"odd-24x40.hevc", unspecifiedColour(24, 40, 1, 8, 8)},
		{"face-10bit.hevc", unspecifiedColour(200, 120, 1, 10, 10)},
		{"face-400.hevc", unspecifiedColour(200, 120, 0, 8, 8)},
		{"face-400-10bit.hevc", unspecifiedColour(128, 96, 0, 10, 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nals := readNALs(t, tc.name)
			var params [][]byte
			for _, n := range nals {
				if typ := n[0] >> 1; typ >= nalVPS && typ <= nalPPS {
					params = append(params, n)
				}
			}
			// Parameter sets alone, as a container's hvcC box holds them.
			got, err := DecodeConfig(params)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DecodeConfig (-want +got):\n%s", diff)
			}
			pic, err := Decode(nals)
			if err != nil {
				t.Fatal(err)
			}
			gotPic := got // the picture carries no colour description
			gotPic.Width, gotPic.Height, gotPic.ChromaFormat = pic.Width, pic.Height, pic.ChromaFormat
			gotPic.BitDepthLuma, gotPic.BitDepthChroma = pic.BitDepthLuma, pic.BitDepthChroma
			if diff := cmp.Diff(tc.want, gotPic); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
			if (pic.Cb == nil) != (tc.want.ChromaFormat == 0) {
				t.Errorf("chroma planes present: %v, chroma format %d", pic.Cb != nil, tc.want.ChromaFormat)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	face := readNALs(t, "face-512.hevc")
	last := len(face) - 1
	for face[last][0]>>1 > maxVCLType {
		last-- // trailing SEI
	}
	truncated := append(append([][]byte{}, face[:last]...), face[last][:len(face[last])/2])
	corrupt := append(append([][]byte{}, face[:last]...), append([]byte{}, face[last]...))
	for i := 40; i < len(corrupt[last]); i += 7 {
		corrupt[last][i] ^= 0x5A
	}
	pSlice := readNALs(t, "unsupported/p-slice.hevc")
	secondPicture := [][]byte{}
	for i, n := range pSlice {
		if typ := n[0] >> 1; typ >= nalVPS && typ <= nalPPS || (typ <= maxVCLType && i == lastVCL(pSlice)) {
			secondPicture = append(secondPicture, n)
		}
	}
	var noPPS [][]byte
	for _, n := range face {
		if n[0]>>1 != nalPPS {
			noPPS = append(noPPS, n)
		}
	}
	for _, tc := range []struct {
		name        string
		nals        [][]byte
		unsupported bool
		want        string
	}{
		{"truncated", truncated, false, "truncated"},
		{"corrupt", corrupt, false, ""},
		{"no PPS", noPPS, false, "missing PPS"},
		{"empty", nil, false, "no sequence parameter set"},
		{"short NAL", [][]byte{{0x40}}, false, "NAL unit of 1 bytes"},
		{"only parameter sets", face[:3], false, "no slice segment"},
		{"P slice", secondPicture, true, "P slices"},
		{"two pictures", pSlice, true, "more than one picture"},
		{"12 bits", readNALs(t, "unsupported/12bit.hevc"), true, "12-bit"},
		{"4:2:2", readNALs(t, "unsupported/422.hevc"), true, "4:2:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.nals)
			var fe *FormatError
			var ue *UnsupportedError
			switch {
			case err == nil:
				t.Fatal("no error")
			case tc.unsupported && !errors.As(err, &ue):
				t.Fatalf("%v: not an UnsupportedError", err)
			case !tc.unsupported && !errors.As(err, &fe):
				t.Fatalf("%v: not a FormatError", err)
			case !strings.Contains(err.Error(), tc.want):
				t.Fatalf("%v: does not say %q", err, tc.want)
			}
		})
	}
}

const maxVCLType = 31

func lastVCL(nals [][]byte) int {
	idx := -1
	for i, n := range nals {
		if n[0]>>1 <= maxVCLType {
			idx = i
		}
	}
	return idx
}
