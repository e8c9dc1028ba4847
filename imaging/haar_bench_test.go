package imaging

import "testing"

// BenchmarkHaarSearch runs the Haar step's search (the three cascades on a
// 320-pixel copy, as searchHaar does) on testdata/face.jpg.
func BenchmarkHaarSearch(b *testing.B) {
	cs, err := haarCascades()
	if err != nil {
		b.Fatal(err)
	}
	thumb := testdataThumb(b, "face.jpg")
	tb := thumb.Bounds()
	g := resizeGrayBilinear(thumb, tb.Dx()*defaultDetect.haarEdge/tb.Dy(), defaultDetect.haarEdge)
	search := haarSearch{minSize: defaultDetect.haarMinFace, maxSize: min(g.Bounds().Dx(), g.Bounds().Dy()), scale: defaultDetect.haarScale}
	b.ReportAllocs()
	for b.Loop() {
		haarDetect(g, cs, search)
	}
}
