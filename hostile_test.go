package contactphoto

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/internal/localstack"
	"github.com/contactphoto/contactphoto/people/peopletest"
)

//go:generate go run ./testdata/hostile/gen.go ./testdata/hostile

// logRecorder keeps the Cloud Logging JSON lines of a pipeline of the
// test's own.
type logRecorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *logRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}

func (r *logRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf.Reset()
}

// entries returns the lines about object, or every line when object is "".
func (r *logRecorder) entries(object string) []logEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []logEntry
	for _, line := range bytes.Split(r.buf.Bytes(), []byte("\n")) {
		var e logEntry
		if json.Unmarshal(line, &e) == nil && (object == "" || e.str("object") == object) {
			out = append(out, e)
		}
	}
	return out
}

// severe returns the entries at ERROR or above.
func severe(entries []logEntry) []logEntry {
	var out []logEntry
	for _, e := range entries {
		if s := e.str("severity"); s == "ERROR" || s == "CRITICAL" || s == "ALERT" || s == "EMERGENCY" {
			out = append(out, e)
		}
	}
	return out
}

// newOwnStack starts the stand-ins of Secret Manager, the token endpoint
// and the People API for one test, with the given extra accounts and People
// API options, and returns the environment of a pipeline that uses them.
// Cloud Storage stays the shared stand-in, which the storage library finds
// through the process environment.
func newOwnStack(t testing.TB, people peopletest.Options, accounts ...string) (*localstack.Stack, map[string]string) {
	t.Helper()
	s, err := localstack.Start(&localstack.Options{Accounts: accounts, People: people})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	env := s.Env()
	env[EnvStorageEmulatorHost] = stack.Storage.Host
	return s, env
}

// newOwnPipeline builds a pipeline from env, apart from the one the
// registered function uses, logging to the returned recorder. Cloud Storage
// is the one STORAGE_EMULATOR_HOST names in the process environment: the
// storage library reads that variable itself.
func newOwnPipeline(t testing.TB, env map[string]string) (*Pipeline, *logRecorder) {
	t.Helper()
	return newOwnPipelineWith(t, env, &PipelineOptions{})
}

// newOwnPipelineWith is newOwnPipeline with options; their Logger is set
// to the returned recorder.
func newOwnPipelineWith(t testing.TB, env map[string]string, opt *PipelineOptions) (*Pipeline, *logRecorder) {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &logRecorder{}
	opt.Logger = cloudlog.New(logs, slog.LevelInfo)
	p, err := NewPipeline(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.objects.Close() })
	return p, logs
}

func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// hostileCase is one bad input, run through the whole function: stored in
// Cloud Storage, announced by an event, handled by the pipeline.
type hostileCase struct {
	name        string
	file        string                                 // in testdata/hostile
	data        []byte                                 // instead of file
	contentType string                                 // "" means image/jpeg
	encoding    string                                 // the object's Content-Encoding
	metadata    func(contact string) map[string]string // nil means resourceName: contact
	eventSize   int64                                  // the size the event claims; 0 means the stored size
	want        string                                 // the object's status afterwards
	orientation int                                    // for a photo set, the Exif orientation applied; 0 means 1
}

// Limits of the hostile-input pipeline, small so that the files at and over
// them stay small.
const (
	hostileMaxPixels      = 100 * 100
	hostileMaxObjectBytes = 2 << 20
	// hostileTimeLimit is how long one case may take, from the event to
	// the logged outcome.
	hostileTimeLimit = 5 * time.Second
	// hostileMemoryLimit bounds the heap while the cases run.
	hostileMemoryLimit = 256 << 20
)

func hostileCases() []hostileCase {
	const (
		updated     = "updated"
		corrupt     = "failed: corrupt image"
		unsupported = "failed: unsupported image format"
		tooLarge    = "failed: image too large"
		invalid     = "failed: invalid contact"
	)
	contact := func(v string) func(string) map[string]string {
		return func(string) map[string]string { return map[string]string{"resourceName": v} }
	}
	with := func(kv ...string) func(string) map[string]string {
		return func(c string) map[string]string {
			m := map[string]string{"resourceName": c}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i]] = kv[i+1]
			}
			return m
		}
	}
	oversize := append(bytes.Repeat([]byte{0}, hostileMaxObjectBytes), 1)
	return []hostileCase{
		// A valid photo first, so that a broken set-up shows at once.
		{name: "valid JPEG", file: "valid.jpg", want: updated},
		{name: "valid PNG", file: "valid.png", contentType: "image/png", want: updated},

		// Not images at all.
		{name: "zero bytes", file: "empty.jpg", want: corrupt},
		{name: "text named .jpg", file: "text.jpg", want: unsupported},
		{name: "HTML", file: "page.html", contentType: "text/html", want: unsupported},
		{name: "SVG", file: "svg.svg", contentType: "image/svg+xml", want: unsupported},
		{name: "PDF", file: "document.pdf", contentType: "application/pdf", want: unsupported},
		{name: "ZIP", file: "archive.zip", contentType: "application/zip", want: unsupported},
		{name: "AVIF", file: "photo.avif", contentType: "image/avif", want: unsupported},
		{name: "HEIC of an ftyp box only", file: "photo.heic", contentType: "image/heic", want: corrupt},
		{name: "valid HEIC", file: "valid.heic", contentType: "image/heic", want: updated},
		{name: "truncated HEIC", file: "heic-truncated.heic", contentType: "image/heic", want: corrupt},
		{name: "HEIC whose ispe says 60000x60000", file: "heic-ispe-60000.heic", contentType: "image/heic", want: tooLarge},

		// Broken or lying images.
		{name: "truncated JPEG", file: "truncated.jpg", want: corrupt},
		{name: "JPEG of a start marker only", file: "soi-only.jpg", want: unsupported}, // too short to tell
		{name: "JPEG with corrupt Huffman table", file: "bad-huffman.jpg", want: corrupt},
		{name: "JPEG whose SOF says 65535x65535", file: "sof-65535.jpg", want: tooLarge},
		{name: "PNG bomb IHDR 100000x100000", file: "png-bomb.png", contentType: "image/png", want: tooLarge},
		{name: "PNG with bad CRC", file: "png-bad-crc.png", contentType: "image/png", want: corrupt},
		{name: "truncated PNG", file: "png-truncated.png", contentType: "image/png", want: corrupt},
		{name: "PNG with iCCP inflating to 64 MiB", file: "png-iccp-bomb.png", contentType: "image/png", want: updated},
		{name: "PNG with zTXt inflating to 64 MiB", file: "png-ztxt-bomb.png", contentType: "image/png", want: updated},
		{name: "PNG with zTXt claiming 2 GiB", file: "png-ztxt-lying.png", contentType: "image/png", want: corrupt},
		{name: "16-bit PNG", file: "png-16bit.png", contentType: "image/png", want: updated},
		{name: "GIF with 10000 frames", file: "gif-10000-frames.gif", contentType: "image/gif", want: updated},
		{name: "GIF screen 65535x65535", file: "gif-screen-65535.gif", contentType: "image/gif", want: tooLarge},
		{name: "truncated GIF", file: "gif-truncated.gif", contentType: "image/gif", want: corrupt},
		{name: "WebP with lying RIFF and VP8 sizes", file: "webp-lying-riff.webp", contentType: "image/webp", want: corrupt},
		{name: "WebP lossless header over noise", file: "webp-lying-vp8l.webp", contentType: "image/webp", want: corrupt},
		{name: "WebP canvas 16384x16384", file: "webp-canvas.webp", contentType: "image/webp", want: tooLarge},
		{name: "BMP claiming 50000x50000", file: "bmp-50000.bmp", contentType: "image/bmp", want: tooLarge},
		{name: "TIFF with circular IFDs", file: "tiff-circular.tiff", contentType: "image/tiff", want: updated, orientation: 3},
		{name: "TIFF whose Exif IFD is itself", file: "tiff-exif-loop.tiff", contentType: "image/tiff", want: updated, orientation: 3},
		{name: "Exif with a loop", file: "exif-loop.jpg", want: updated, orientation: 3},
		{name: "Exif orientation 0", file: "exif-orient-0.jpg", want: updated, orientation: 1},
		{name: "Exif orientation 9", file: "exif-orient-9.jpg", want: updated, orientation: 1},
		{name: "Exif orientation 255", file: "exif-orient-255.jpg", want: updated, orientation: 1},
		{name: "Exif orientation 6", file: "exif-orient-6.jpg", want: updated, orientation: 6},
		{name: "Exif segment longer than the file", file: "exif-lying-length.jpg", want: corrupt},
		{name: "one pixel", file: "one-pixel.jpg", want: updated},
		{name: "JPEG with a ZIP appended", file: "jpeg-then-zip.jpg", want: updated},

		// Limits.
		{name: "exactly MAX_PIXELS", file: "at-max-pixels.png", contentType: "image/png", want: updated},
		{name: "one row over MAX_PIXELS", file: "over-max-pixels.png", contentType: "image/png", want: tooLarge},
		{name: "event says over MAX_OBJECT_BYTES", file: "valid.jpg", eventSize: 1 << 40, want: "failed: object too large"},
		{name: "stored object over MAX_OBJECT_BYTES", data: oversize, want: "failed: object too large"},
		{name: "gzip-encoded JPEG", file: "valid.jpg.gz", encoding: "gzip", want: updated},
		{name: "gzip bomb inflating to 16 MiB", file: "gzip-bomb.jpg.gz", encoding: "gzip", want: "failed: object too large"},
		{name: "JPEG labelled text/plain", file: "valid.jpg", contentType: "text/plain", want: updated},
		{name: "PNG labelled image/jpeg", file: "valid.png", want: updated},
		{name: "text labelled image/png", file: "text.jpg", contentType: "image/png", want: unsupported},

		// Metadata.
		{name: "no contact metadata", file: "valid.jpg", metadata: func(string) map[string]string { return map[string]string{"other": "x"} }, want: "failed: no contact"},
		{name: "resourceName people/../x", file: "valid.jpg", metadata: contact("people/../x"), want: invalid},
		{name: "resourceName people/c1?x=y", file: "valid.jpg", metadata: contact("people/c1?x=y"), want: invalid},
		{name: "resourceName people/c1:delete", file: "valid.jpg", metadata: contact("people/c1:delete"), want: invalid},
		{name: "resourceName people/me", file: "valid.jpg", metadata: contact("people/me"), want: invalid},
		{name: "resourceName contactGroups/all", file: "valid.jpg", metadata: contact("contactGroups/all"), want: invalid},
		{name: "resourceName empty", file: "valid.jpg", metadata: contact(""), want: invalid},
		{name: "resourceName of 10 KB", file: "valid.jpg", metadata: contact("people/c" + strings.Repeat("1", 10<<10)), want: invalid},
		{name: "resourceName with fullwidth digits", file: "valid.jpg", metadata: contact("people/c\uff11\uff12\uff13"), want: invalid},
		{name: "resourceName with Cyrillic c", file: "valid.jpg", metadata: contact("people/\u0441123"), want: invalid},
		{name: "resourceName with Arabic-Indic digits", file: "valid.jpg", metadata: contact("people/c\u0661\u0662\u0663"), want: invalid},
		{name: "resourceName with zero-width space", file: "valid.jpg", metadata: contact("people/c\u200b123"), want: invalid},
		{name: "resourceName with right-to-left override", file: "valid.jpg", metadata: contact("people/c123\u202e"), want: invalid},
		{name: "email with CRLF", file: "valid.jpg", metadata: contact("alice@example.com\r\nBcc: mallory@example.com"), want: invalid},
		{name: "fallback email with CRLF", file: "valid.jpg", metadata: with("email", "alice@example.com\r\nBcc: mallory@example.com"), want: invalid},
		{name: "contact key twice with different values", file: "valid.jpg", metadata: with("RESOURCENAME", "people/c1"), want: "failed: conflicting metadata"},
		{name: "account path traversal", file: "valid.jpg", metadata: with("account", "../../secrets/other"), want: "failed: unknown account"},
	}
}

// memoryWatch samples the heap while hostile inputs run. Sampling can miss
// a peak shorter than its period, so each case's total allocation, which
// bounds anything it could have held at once, is checked as well.
type memoryWatch struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

var heapMetrics = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}

// heapNow returns the bytes of live and not yet swept heap objects, and the
// bytes allocated since the program started.
func heapNow() (inUse, allocated uint64) {
	s := append([]metrics.Sample(nil), heapMetrics...)
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

func watchMemory(period time.Duration) *memoryWatch {
	w := &memoryWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			inUse, _ := heapNow()
			if inUse > w.peak.Load() {
				w.peak.Store(inUse)
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *memoryWatch) Stop() uint64 {
	close(w.stop)
	<-w.done
	return w.peak.Load()
}

func TestHostileInputs(t *testing.T) {
	hs, env := newOwnStack(t, peopletest.Options{WriteQuota: -1})
	env[EnvWritesPerMinute] = "6000"
	env[EnvMaxPixels] = strconv.Itoa(hostileMaxPixels)
	env[EnvMaxObjectBytes] = strconv.Itoa(hostileMaxObjectBytes)
	env[EnvPhotoSize] = "64"
	p, logs := newOwnPipeline(t, env)
	cases := hostileCases()
	runtime.GC()
	baseline, _ := heapNow()
	watch := watchMemory(time.Millisecond)
	var maxAllocated uint64
	var maxAllocatedCase string
	outcomes := map[string]int{}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data
			if tc.file != "" {
				var err error
				if data, err = os.ReadFile(filepath.Join("testdata", "hostile", tc.file)); err != nil {
					t.Fatal(err)
				}
			}
			contact := fmt.Sprintf("people/c%d", 6600000000+i)
			hs.People.AddContact("", contact)
			md := map[string]string{"resourceName": contact}
			if tc.metadata != nil {
				md = tc.metadata(contact)
			}
			name := fmt.Sprintf("hostile/%02d-%s", i, tc.file)
			ct := tc.contentType
			if ct == "" {
				ct = "image/jpeg"
			}
			gen, err := stack.Storage.PutEncoded(localstack.Bucket, name, ct, tc.encoding, data, md)
			if err != nil {
				t.Fatal(err)
			}
			size := tc.eventSize
			if size == 0 {
				size = int64(len(data))
			}
			ev, err := eventarc.FinalizedEvent("hostile-"+strconv.Itoa(i), eventarc.Object{
				Bucket: localstack.Bucket, Name: name, Generation: gen, Size: size, ContentType: ct, Metadata: md,
			})
			if err != nil {
				t.Fatal(err)
			}
			before := hs.People.Stats()
			_, allocBefore := heapNow()
			start := time.Now()
			result := make(chan error, 1)
			go func() { result <- p.HandleEvent(context.Background(), ev) }()
			select {
			case err = <-result:
			case <-time.After(hostileTimeLimit):
				t.Fatalf("no outcome within %v", hostileTimeLimit)
			}
			elapsed := time.Since(start)
			_, allocAfter := heapNow()
			if a := allocAfter - allocBefore; a > maxAllocated {
				maxAllocated, maxAllocatedCase = a, tc.name
			}
			if allocated := allocAfter - allocBefore; allocated > hostileMemoryLimit {
				t.Errorf("allocated %d MiB, over the %d MiB bound", allocated>>20, hostileMemoryLimit>>20)
			}
			if err != nil {
				t.Fatalf("the function asked for a retry: %v", err)
			}

			got := metadataOf(t, name)
			if got[StatusKey] != tc.want || got[StatusGenerationKey] != strconv.FormatInt(gen, 10) {
				t.Errorf("status %q for generation %q, want %q for %d", got[StatusKey], got[StatusGenerationKey], tc.want, gen)
			}
			outcomes[got[StatusKey]]++
			after := hs.People.Stats()
			errorLines := severe(logs.entries(name))
			if tc.want == "updated" {
				if n := after.Updates - before.Updates; n != 1 {
					t.Errorf("%d photos sent, want 1", n)
				}
				if len(errorLines) != 0 {
					t.Errorf("logged %d errors for a photo that was set: %v", len(errorLines), errorLines)
				}
				want := max(tc.orientation, 1)
				for _, e := range logs.entries(name) {
					if photo, ok := e["photo"].(map[string]any); ok && photo["orientation"] != float64(want) {
						t.Errorf("applied orientation %v, want %d", photo["orientation"], want)
					}
				}
				return
			}
			if n := after.Requests - before.Requests; n != 0 {
				t.Errorf("the People API received %d calls for input that fails for good", n)
			}
			if len(errorLines) != 1 {
				t.Fatalf("logged %d errors, want exactly 1", len(errorLines))
			}
			e := errorLines[0]
			if reason := strings.TrimPrefix(tc.want, StatusFailedPrefix); e.str("reason") != reason || e.str("@type") != cloudlog.ReportedErrorEventType {
				t.Errorf("error line has reason %q and @type %q, want %q and the Error Reporting type", e.str("reason"), e.str("@type"), reason)
			}
			msg := e.str("message")
			if len(msg) > 1000 || !strings.HasPrefix(msg, "contact photo not updated: ") {
				t.Errorf("error message is %d bytes: %.300q", len(msg), msg)
			}
			t.Logf("%v: %s", elapsed.Round(time.Millisecond), msg)
		})
	}
	peak := watch.Stop()
	t.Logf("%d cases: %v; peak heap %d MiB (%d MiB before the cases); largest allocation by one case %d MiB (%s)",
		len(cases), outcomes, peak>>20, baseline>>20, maxAllocated>>20, maxAllocatedCase)
	if peak > hostileMemoryLimit {
		t.Errorf("peak heap %d MiB, over the %d MiB bound", peak>>20, hostileMemoryLimit>>20)
	}
}
