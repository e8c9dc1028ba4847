package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/contactphoto/contactphoto/imaging/internal/dctjpeg"
)

// recordingBudget is a MemoryBudget that grants up to capacity bytes and
// remembers the most it lent at once.
type recordingBudget struct {
	mu             sync.Mutex
	capacity       int64
	held, highMark int64
}

type budgetRefusal struct{ need, capacity int64 }

func (e *budgetRefusal) Error() string {
	return fmt.Sprintf("needs %d bytes, more than the budget of %d", e.need, e.capacity)
}
func (e *budgetRefusal) Permanent() bool { return true }

func (b *recordingBudget) Acquire(n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held+n > b.capacity {
		return &budgetRefusal{need: n, capacity: b.capacity}
	}
	b.held += n
	b.highMark = max(b.highMark, b.held)
	return nil
}

func (b *recordingBudget) Release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held -= n
}

var _ MemoryBudget = (*recordingBudget)(nil)

// hostileInputs are files at the edge of each format's budget, made at
// test time.
func hostileInputs(t *testing.T) map[string][]byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	in := map[string][]byte{}
	in["png-16bit-rgba-3000x2000"] = writePNG(t, rng, pngSpec{w: 3000, h: 2000, colorType: pngRGBA, depth: 16, flat: true})
	in["png-16bit-rgba-interlaced-3000x2000"] = writePNG(t, rng, pngSpec{w: 3000, h: 2000, colorType: pngRGBA, depth: 16, flat: true, interlaced: true})
	in["png-16bit-rgba-interlaced-4000x3000"] = writePNG(t, rng, pngSpec{w: 4000, h: 3000, colorType: pngRGBA, depth: 16, flat: true, interlaced: true})
	in["png-gray-1bit-6000x6000"] = writePNG(t, rng, pngSpec{w: 6000, h: 6000, colorType: pngGray, depth: 1, flat: true})

	var b bytes.Buffer
	if err := tiff.Encode(&b, image.NewGray(image.Rect(0, 0, 6320, 6320)), &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	in["tiff-gray-deflate-one-strip-6320x6320"] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := tiff.Encode(&b, image.NewRGBA(image.Rect(0, 0, 1500, 1000)), &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	in["tiff-rgba-deflate-1500x1000"] = bytes.Clone(b.Bytes())

	b.Reset()
	frame := image.NewPaletted(image.Rect(10, 10, 11, 11), color.Palette{color.Black})
	if err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{Width: 6320, Height: 6320, ColorModel: frame.Palette}}); err != nil {
		t.Fatal(err)
	}
	in["gif-6320-screen-1px-frame"] = bytes.Clone(b.Bytes())

	b.Reset()
	if err := bmp.Encode(&b, photoLike(2000, 1500)); err != nil {
		t.Fatal(err)
	}
	in["bmp-24bit-2000x1500"] = bytes.Clone(b.Bytes())

	b.Reset()
	if err := jpeg.Encode(&b, photoLike(4000, 3000), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	in["jpeg-12mp"] = bytes.Clone(b.Bytes())

	for _, name := range []string{"quadrants-lossless.webp", "quadrants-alpha-lossy.webp", "quadrants-animated.webp"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		in[name] = data
	}
	in["heic-iphone-1000x700"] = readCorpus(t, "iphone-1000x700-irot3.heic")
	in["heic-grid-99x70-gray10"] = readCorpus(t, "grid-99x70-tile48-gray10.heic")
	return in
}

// heapPeak runs f with the collector at its most eager and returns the
// most the live heap grew by while f ran, sampled every millisecond, and
// the bytes f allocated in all.
func heapPeak(f func()) (peak, allocated int64) {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop, done := make(chan struct{}), make(chan struct{})
	var high uint64
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				high = max(high, ms.HeapAlloc)
			}
		}
	}()
	f()
	var end runtime.MemStats
	runtime.ReadMemStats(&end)
	close(stop)
	<-done
	high = max(high, end.HeapAlloc)
	return int64(high) - int64(base.HeapAlloc), int64(end.TotalAlloc - base.TotalAlloc)
}

// TestBudgetHoldsHostileInputs decodes each hostile input within a 96 MiB
// budget, a little under the work pool of a 512 MiB instance (99.8 MiB; a
// 256 MiB instance's is 49.9 MiB), and checks its
// outcome and that the memory the decode allocated in all (an upper bound
// of its peak) stayed within what it acquired.
func TestBudgetHoldsHostileInputs(t *testing.T) {
	in := hostileInputs(t)
	tests := []struct {
		name    string
		tooBig  bool
		maxPeak int64 // most the decode may acquire
	}{
		{"png-16bit-rgba-3000x2000", false, 20 << 20}, // streamed: 48 MB decoded whole
		{"png-16bit-rgba-interlaced-3000x2000", false, 96 << 20},
		{"png-16bit-rgba-interlaced-4000x3000", true, 0},
		{"png-gray-1bit-6000x6000", false, 40 << 20},
		{"tiff-gray-deflate-one-strip-6320x6320", true, 0},
		{"tiff-rgba-deflate-1500x1000", false, 96 << 20},
		{"gif-6320-screen-1px-frame", false, 16 << 20},
		{"bmp-24bit-2000x1500", false, 24 << 20},
		{"jpeg-12mp", false, 24 << 20},
		{"quadrants-lossless.webp", false, 16 << 20},
		{"quadrants-alpha-lossy.webp", false, 16 << 20},
		{"quadrants-animated.webp", false, 16 << 20},
		{"heic-iphone-1000x700", false, 24 << 20},
		{"heic-grid-99x70-gray10", false, 16 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := in[tt.name]
			budget := &recordingBudget{capacity: 96 << 20}
			var err error
			peak, allocated := heapPeak(func() {
				// A *bytes.Buffer is decoded in place, as the pipeline passes it.
				_, err = Process(bytes.NewBuffer(data), &Options{Crop: CropCenter, Memory: budget})
			})
			if budget.held != 0 {
				t.Errorf("%d bytes still held after Process returned", budget.held)
			}
			if tt.tooBig {
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("error %v, want ErrTooLarge", err)
				}
				// Refused from the header, before any pixel buffer.
				if allocated > 4<<20 {
					t.Errorf("allocated %s before refusing", mib(allocated))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if budget.highMark > tt.maxPeak {
				t.Errorf("acquired %s, want at most %s", mib(budget.highMark), mib(tt.maxPeak))
			}
			t.Logf("acquired %s, peak heap %s", mib(budget.highMark), mib(peak))
			if peak > budget.highMark {
				t.Errorf("the heap grew by %s, more than the %s acquired", mib(peak), mib(budget.highMark))
			}
		})
	}
}

// instanceWorkPool is the work pool of a 256 MiB instance: the Go memory
// limit is 0.65 of it, the budget half of that, and the work pool 0.6 of
// the budget (newMemoryBudget in the root package).
const instanceWorkPool = int64(256<<20) * 65 / 100 / 2 * 6 / 10

// TestJPEGWithinInstanceWorkPool makes the default face-cropped photo from
// 5120x2880 JPEGs (14.7 MP, far under MaxPixels) within the work pool of a
// 256 MiB instance, each sampling and process, and checks the scale they
// were decoded at from what was acquired: with the face crop's headroom a
// photo of that size is decoded whole, which for a progressive 4:4:4 one
// needs 132 MiB of kept coefficients and planes, so it goes down to 1/2,
// which still leaves the smallest face crop 720 pixels; one whose whole
// decode fits keeps it. The heap must grow by no more than was acquired.
func TestJPEGWithinInstanceWorkPool(t *testing.T) {
	tests := []struct {
		name  string
		spec  synthJPEG
		scale int
	}{
		{"progressive 4:4:4", synthJPEG{w: 5120, h: 2880, hLuma: 1, vLuma: 1, progressive: true}, 2},
		{"progressive 4:2:0", synthJPEG{w: 5120, h: 2880, hLuma: 2, vLuma: 2, progressive: true}, 2},
		{"baseline 4:4:4", synthJPEG{w: 5120, h: 2880, hLuma: 1, vLuma: 1}, 2},
		{"baseline 4:2:0", synthJPEG{w: 5120, h: 2880, hLuma: 2, vLuma: 2}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.spec.encode(t)
			cfg, err := dctjpeg.DecodeConfig(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			budget := &recordingBudget{capacity: instanceWorkPool}
			var res *Result
			peak, _ := heapPeak(func() {
				res, err = Process(bytes.NewBuffer(data), &Options{Memory: budget})
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Width != DefaultSize || res.Height != DefaultSize {
				t.Errorf("photo %dx%d, want %dx%d", res.Width, res.Height, DefaultSize, DefaultSize)
			}
			s, _ := (&Options{}).settings()
			if want := cfg.BufferBytes(tt.scale) + renderBytes(s); budget.highMark != want {
				t.Errorf("acquired %s, want %s: the decode at 1/%d", mib(budget.highMark), mib(want), tt.scale)
			}
			t.Logf("acquired %s of %s, peak heap %s", mib(budget.highMark), mib(instanceWorkPool), mib(peak))
			if peak > budget.highMark {
				t.Errorf("the heap grew by %s, more than the %s acquired", mib(peak), mib(budget.highMark))
			}
		})
	}
}

// TestJPEGMemoryRefusal checks that a JPEG refused for memory is refused
// as too large, not as corrupt, with what it needs, what there is and what
// to do, as every format's memory refusal says it; and that the decoder's
// own bound on its buffers is the one on the whole decode, so that a JPEG
// whose decode was acquired is not refused by the decoder after all.
func TestJPEGMemoryRefusal(t *testing.T) {
	data := synthJPEG{w: 5120, h: 2880, hLuma: 1, vLuma: 1, progressive: true}.encode(t)
	cfg, err := dctjpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := (&Options{}).settings()
	atHalf := cfg.BufferBytes(2) + renderBytes(s) // the least it needs, with the smallest face crop at 720 pixels
	t.Run("within the default bound", func(t *testing.T) {
		// At 1/1 for the face crop's headroom: 132 MiB of planes and
		// coefficients, over the decoder's own default bound.
		if _, err := Process(bytes.NewReader(data), nil); err != nil {
			t.Fatal(err)
		}
	})
	tests := []struct {
		name string
		opt  *Options
		want string
	}{
		{"over MaxDecodeBytes", &Options{MaxDecodeBytes: 40 << 20},
			"image too large: this 5120x2880 JPEG needs about " + mib(atHalf) + " of memory to decode, over the limit of 40.0 MiB; scale the photo down and try again"},
		{"over the budget", &Options{Memory: &recordingBudget{capacity: 40 << 20}},
			fmt.Sprintf("image too large: this 5120x2880 JPEG: needs %d bytes, more than the budget of %d; scale the photo down and try again", atHalf, 40<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Process(bytes.NewReader(data), tt.opt)
			var fe *FormatError
			if !errors.Is(err, ErrTooLarge) || errors.As(err, &fe) {
				t.Fatalf("error %v, want ErrTooLarge and no *FormatError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
	t.Run("the decoder's refusal", func(t *testing.T) {
		err := decodeError(formatJPEG, tooLargef("%v", dctjpeg.ErrTooLarge))
		var fe *FormatError
		if !errors.Is(err, ErrTooLarge) || errors.As(err, &fe) {
			t.Errorf("error %v, want ErrTooLarge and no *FormatError", err)
		}
	})
}
