package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/internal/localstack"
	"github.com/contactphoto/contactphoto/people/peopletest"
)

// BenchmarkBackfillThroughput measures photos per minute of a bucket
// backfill against the stand-ins, at the default write pace and faster
// ones. Each iteration backfills benchPhotos fresh objects; run it with
// -benchtime=1x. Photos are generated JPEGs of 12 megapixels (a phone
// photo) or 0.3 (a small avatar), or come from $CONTACTPHOTO_BENCH_PHOTOS
// (a folder of JPEGs) in place of the 12-megapixel one.
//
//	go test ./cmd/contactphoto -run '^$' -bench BackfillThroughput -benchtime=1x
func BenchmarkBackfillThroughput(b *testing.B) {
	large := benchPhotos(b)
	small := [][]byte{generatedJPEG(b, 640, 480)}
	cases := []struct {
		name    string
		wpm     int           // 0: the default
		quota   int           // of the People stand-in; 0: its default, -1: none
		latency time.Duration // of each People API answer
		photos  [][]byte
	}{
		{"default-50/min/12MP", 0, 0, 0, large},
		{"200/min/12MP", 200, -1, 0, large},
		{"1000/min/12MP", 1000, -1, 0, large},
		{"200/min/0.3MP", 200, -1, 0, small},
		{"1000/min/0.3MP", 1000, -1, 0, small},
		{"1000/min/0.3MP/api-300ms", 1000, -1, 300 * time.Millisecond, small},
	}
	for _, c := range cases {
		photos := c.photos
		b.Run(c.name, func(b *testing.B) {
			stack := startStack(b, &localstack.Options{People: peopletest.Options{WriteQuota: c.quota, Latency: c.latency}})
			b.Setenv("PHOTO_SIZE", "")
			if c.wpm == 0 {
				b.Setenv("PEOPLE_WRITES_PER_MINUTE", "")
			} else {
				b.Setenv("PEOPLE_WRITES_PER_MINUTE", strconv.Itoa(c.wpm))
			}
			var took time.Duration
			n := 0
			for i := 0; b.Loop(); i++ {
				prefix := fmt.Sprintf("run%d/", i)
				for j := range benchCount {
					contact := fmt.Sprintf("people/c%d", 100000*i+j+1)
					stack.People.AddContact("", contact)
					if _, err := stack.Storage.Put(localstack.Bucket, prefix+strconv.Itoa(j)+".jpg", "image/jpeg", photos[j%len(photos)],
						map[string]string{"resourceName": contact}); err != nil {
						b.Fatal(err)
					}
				}
				start := time.Now()
				code, out, errOut := runCLI(context.Background(), "backfill", "gs://"+localstack.Bucket+"/"+prefix)
				took += time.Since(start)
				if code != 0 || strings.Count(out, `"outcome":"updated"`) != benchCount {
					b.Fatalf("backfill exited %d\n%s", code, errOut)
				}
				n += benchCount
			}
			b.ReportMetric(float64(n)/took.Minutes(), "photos/min")
		})
	}
}

// benchCount photos make each iteration: at the default pace of 50 a
// minute that is about 23 seconds.
const benchCount = 20

func benchPhotos(b *testing.B) [][]byte {
	if dir := os.Getenv("CONTACTPHOTO_BENCH_PHOTOS"); dir != "" {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
		var photos [][]byte
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			photos = append(photos, data)
		}
		if len(photos) == 0 {
			b.Skipf("no *.jpg in CONTACTPHOTO_BENCH_PHOTOS=%s", dir)
		}
		return photos
	}
	return [][]byte{generatedJPEG(b, 4000, 3000)}
}

// generatedJPEG is a w×h JPEG of gradients and stripes.
func generatedJPEG(b *testing.B, w, h int) []byte {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			yy, cb, cr := color.RGBToYCbCr(uint8(x*255/w), uint8(y*255/h), uint8((x+y)%256))
			m.Y[m.YOffset(x, y)] = yy
			m.Cb[m.COffset(x, y)] = cb
			m.Cr[m.COffset(x, y)] = cr
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
