package imaging

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// The benchmarks on real camera photos read them from the directory named by
// CONTACTPHOTO_PHOTOS (e.g. a folder with phone12mp.jpg and phone48mp.jpg)
// and skip when it is not set.
func benchPhoto(b *testing.B, name string) []byte {
	dir := os.Getenv("CONTACTPHOTO_PHOTOS")
	if dir == "" {
		b.Skip("CONTACTPHOTO_PHOTOS is not set")
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		b.Skip(err)
	}
	return data
}

func BenchmarkProcess(b *testing.B) {
	for _, name := range []string{"phone12mp.jpg", "phone12mp-orientation6.jpg", "phone48mp.jpg", "friends-2056x3088.jpg"} {
		for _, crop := range []Crop{CropFace, CropCenter} {
			b.Run(name+"/"+string(crop), func(b *testing.B) {
				data := benchPhoto(b, name)
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := Process(bytes.NewReader(data), &Options{Crop: crop}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// faceScene returns a decoded 4032x3024 photo-sized scene with the test
// face in it, so detection runs on a full 720-pixel intermediate.
func faceScene(b *testing.B) *source {
	f, err := os.Open(filepath.Join("testdata", "face.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	faceImg, err := jpeg.Decode(f)
	if err != nil {
		b.Fatal(err)
	}
	scene := image.NewRGBA(image.Rect(0, 0, 4032, 3024))
	draw.Draw(scene, scene.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	// Upscaling the face by a factor of five by nearest neighbour keeps the
	// benchmark free of the resampler.
	fb := faceImg.Bounds()
	for y := range 5 * fb.Dy() {
		for x := range 5 * fb.Dx() {
			scene.Set(1800+x, 600+y, faceImg.At(x/5, y/5))
		}
	}
	// Round-trip through JPEG so the scene is the YCbCr a camera photo
	// decodes to.
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, scene, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	m, err := jpeg.Decode(&buf)
	if err != nil {
		b.Fatal(err)
	}
	return &source{format: formatJPEG, width: 4032, height: 3024, orientation: 1, img: m}
}

// BenchmarkDetectFaces measures what CropFace adds to a 12-megapixel photo:
// the grayscale intermediate and the cascade.
func BenchmarkDetectFaces(b *testing.B) {
	src := faceScene(b)
	b.ReportAllocs()
	for b.Loop() {
		faces, err := src.detectFaces()
		if err != nil || len(faces) != 1 {
			b.Fatalf("detectFaces = %v, %v; want one face", faces, err)
		}
	}
}

// BenchmarkDetectFacesPhotos measures face detection alone on real photos
// (see benchPhoto), decoded once.
func BenchmarkDetectFacesPhotos(b *testing.B) {
	for _, name := range []string{"phone12mp.jpg", "phone48mp.jpg", "friends-2056x3088.jpg", "dragonfly-4224x3168.jpg"} {
		b.Run(name, func(b *testing.B) {
			data := benchPhoto(b, name)
			s, err := (*Options)(nil).settings()
			if err != nil {
				b.Fatal(err)
			}
			src, _, err := load(data, s)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := src.detectFaces(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDetectFacesDir measures face detection alone, per photo, on
// every photo in the directory CONTACTPHOTO_FACES names (decoded once, as
// Process decodes them for CropFace), and reports the median and the
// slowest tenth of the CPU time per photo as metrics: the goal is a median
// of 60 ms.
func BenchmarkDetectFacesDir(b *testing.B) {
	dir := os.Getenv("CONTACTPHOTO_FACES")
	if dir == "" {
		b.Skip("CONTACTPHOTO_FACES is not set")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	s, err := (*Options)(nil).settings()
	if err != nil {
		b.Fatal(err)
	}
	var srcs []*source
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sniff(data); err != nil {
			continue // not a photo
		}
		src, _, err := load(data, s)
		if err != nil {
			b.Fatalf("%s: %v", e.Name(), err)
		}
		srcs = append(srcs, src)
	}
	if len(srcs) == 0 {
		b.Skip("no photos in CONTACTPHOTO_FACES")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	times := make([][]time.Duration, len(srcs))
	b.ReportAllocs()
	for b.Loop() {
		for i, src := range srcs {
			start := threadCPU()
			if _, err := src.detectFaces(); err != nil {
				b.Fatal(err)
			}
			times[i] = append(times[i], threadCPU()-start)
		}
	}
	// Each photo's least: the garbage collector's share varies.
	best := make([]time.Duration, len(srcs))
	for i, ts := range times {
		best[i] = slices.Min(ts)
	}
	slices.Sort(best)
	b.ReportMetric(float64(best[len(best)/2])/1e6, "ms/photo-median")
	b.ReportMetric(float64(best[len(best)*9/10])/1e6, "ms/photo-p90")
}

// BenchmarkProcessHEIC makes photos of the iPhone-shaped corpus file (a
// grid of 2x2 tiles of 512x512) with each crop; bench/heic.sh measures a
// 12 MP one against libheif.
func BenchmarkProcessHEIC(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(heicCorpus, "iphone-1000x700-irot3.heic"))
	if err != nil {
		b.Fatal(err)
	}
	for _, crop := range []Crop{CropFace, CropCenter} {
		b.Run(string(crop), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Process(bytes.NewReader(data), &Options{Crop: crop}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
