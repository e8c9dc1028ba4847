package contactphoto

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/internal/localstack"
	"github.com/contactphoto/contactphoto/internal/membudget"
)

// newBudgetPipeline builds a pipeline on the shared stand-ins whose
// requests share budget.
func newBudgetPipeline(t testing.TB, budget *membudget.Budget) (*Pipeline, *logRecorder) {
	t.Helper()
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logRecorder{}
	p, err := NewPipeline(context.Background(), cfg, &PipelineOptions{Logger: cloudlog.New(logs, slog.LevelInfo), Memory: budget})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.objects.Close() })
	return p, logs
}

func finalized(t testing.TB, obj eventarc.Object) event.Event {
	t.Helper()
	ev, err := eventarc.FinalizedEvent(fmt.Sprintf("mem-%s-%d", obj.Name, obj.Generation), obj)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// An image whose decode can never fit the budget fails for good, recorded
// as too large; one that could fit once the instance is less busy waits,
// and at its deadline is retried, with nothing recorded.
func TestEventWithinMemoryBudget(t *testing.T) {
	photo := testJPEG(t, 1600, 1200)

	t.Run("never fits", func(t *testing.T) {
		budget := membudget.New(1<<20, 8<<20)
		p, _ := newBudgetPipeline(t, budget)
		obj := upload(t, "memory/never.jpg", photo, map[string]string{"resourceName": newContact("")})
		if err := p.HandleEvent(context.Background(), finalized(t, obj)); err != nil {
			t.Fatalf("asked for a retry: %v", err)
		}
		if got := metadataOf(t, obj.Name)[StatusKey]; got != "failed: image too large" {
			t.Errorf("status %q, want failed: image too large", got)
		}
		if budget.InUse() != 0 || budget.HighWater() > budget.Capacity() {
			t.Errorf("in use %d, high-water %d of %d", budget.InUse(), budget.HighWater(), budget.Capacity())
		}
	})

	t.Run("waits, then retries", func(t *testing.T) {
		budget := membudget.New(4<<20, 64<<20)
		p, _ := newBudgetPipeline(t, budget)
		busy := budget.Lease(context.Background())
		if err := busy.Acquire(60 << 20); err != nil {
			t.Fatal(err)
		}
		contact := newContact("")
		obj := upload(t, "memory/busy.jpg", photo, map[string]string{"resourceName": contact})
		before := stack.People.Stats().Updates
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err := p.HandleEvent(ctx, finalized(t, obj))
		if err == nil || IsPermanent(err) {
			t.Fatalf("HandleEvent = %v, want a transient error for a retry", err)
		}
		if got := metadataOf(t, obj.Name)[StatusKey]; got != "" {
			t.Errorf("status %q recorded for a retry", got)
		}
		if stack.People.Stats().Updates != before {
			t.Error("a photo was sent")
		}
		busy.Close()
		// The redelivery finds the instance idle.
		if err := p.HandleEvent(context.Background(), finalized(t, obj)); err != nil {
			t.Fatal(err)
		}
		if got := metadataOf(t, obj.Name)[StatusKey]; got != "updated" {
			t.Errorf("status %q after the retry, want updated", got)
		}
		if budget.InUse() != 0 || budget.HighWater() > budget.Capacity() {
			t.Errorf("in use %d, high-water %d of %d", budget.InUse(), budget.HighWater(), budget.Capacity())
		}
	})
}

// signedRequest is a webhook request signed with the test key, bounded by
// ctx.
func signedRequest(ctx context.Context, contentType string, body []byte) *http.Request {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/"+WebhookFunctionName, bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	r.Header.Set(SignatureHeader, Sign(webhookKey, time.Now(), body))
	return r
}

func TestWebhookWithinMemoryBudget(t *testing.T) {
	photo := testJPEG(t, 960, 720)
	setBody := func(contact string) []byte {
		b, err := json.Marshal(map[string]any{"resourceName": contact, "photoBytes": photo})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	answer := func(w *httptest.ResponseRecorder) webhookAnswer {
		return webhookAnswer{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	}

	t.Run("body that never fits", func(t *testing.T) {
		budget := membudget.New(4<<10, 64<<20)
		p, _ := newBudgetPipeline(t, budget)
		w := httptest.NewRecorder()
		p.HandleWebhook(w, signedRequest(context.Background(), "application/json", setBody(newContact(""))))
		a := answer(w)
		if a.status != http.StatusRequestEntityTooLarge || a.error(t).Error.Reason != "too_large" {
			t.Fatalf("HTTP %d %s, want 413 too_large", a.status, a.body)
		}
		if budget.InUse() != 0 {
			t.Errorf("%d bytes still held", budget.InUse())
		}
	})

	t.Run("busy instance", func(t *testing.T) {
		budget := membudget.New(4<<20, 64<<20)
		p, _ := newBudgetPipeline(t, budget)
		busy := budget.Lease(context.Background())
		if err := busy.Acquire(64 << 20); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		w := httptest.NewRecorder()
		p.HandleWebhook(w, signedRequest(ctx, "application/json", setBody(newContact(""))))
		a := answer(w)
		if a.status != http.StatusServiceUnavailable || a.error(t).Error.Reason != "busy" || a.header.Get("Retry-After") == "" {
			t.Fatalf("HTTP %d %s, want 503 busy with Retry-After", a.status, a.body)
		}
		busy.Close()
		w = httptest.NewRecorder()
		contact := newContact("")
		p.HandleWebhook(w, signedRequest(context.Background(), "application/json", setBody(contact)))
		if w.Code != http.StatusOK {
			t.Fatalf("HTTP %d %s once idle", w.Code, w.Body)
		}
		wantPhoto(t, "", contact)
		// A set request holds its body, then the decoded photo and its
		// decode; the budget saw all of it and gave all of it back.
		if hw := budget.HighWater(); hw < int64(len(photo)) || hw > budget.Capacity() {
			t.Errorf("high-water %d, want between the photo's %d bytes and the capacity", hw, len(photo))
		}
		if budget.InUse() != 0 {
			t.Errorf("%d bytes still held", budget.InUse())
		}
	})

	t.Run("chunked body grows its share", func(t *testing.T) {
		budget := membudget.New(4<<20, 64<<20)
		p, _ := newBudgetPipeline(t, budget)
		contact := newContact("")
		body := setBody(contact)
		r := signedRequest(context.Background(), "application/json", body)
		r.ContentLength = -1
		w := httptest.NewRecorder()
		p.HandleWebhook(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("HTTP %d %s", w.Code, w.Body)
		}
		wantPhoto(t, "", contact)
		if budget.InUse() != 0 {
			t.Errorf("%d bytes still held", budget.InUse())
		}
	})
}

// A field's value, however long, comes back in the answer and the log
// only in part.
func TestWebhookErrorEchoIsCapped(t *testing.T) {
	budget := membudget.New(4<<20, 64<<20)
	p, logs := newBudgetPipeline(t, budget)
	huge := strings.Repeat("9x", 1<<20)
	for _, body := range []string{
		`{"bucket":"b","name":"n","generation":"` + huge + `"}`,
		`{"resourceName":"people/c1","` + huge + `":1}`,
	} {
		logs.reset()
		w := httptest.NewRecorder()
		p.HandleWebhook(w, signedRequest(context.Background(), "application/json", []byte(body)))
		if w.Code != http.StatusBadRequest {
			t.Fatalf("HTTP %d, want 400: %.200s", w.Code, w.Body)
		}
		if n := w.Body.Len(); n > 2<<10 {
			t.Errorf("the answer is %d bytes", n)
		}
		for _, e := range logs.entries("") {
			if n := len(e.str("message")); n > 2<<10 {
				t.Errorf("a log message is %d bytes", n)
			}
		}
		if len(logs.entries("")) == 0 {
			t.Error("the refusal was not logged")
		}
	}
}

// TestDecodeBase64InPlace holds encoding/base64 to what decodeBase64
// relies on: decoding a buffer over itself gives what a separate buffer
// gets, in every alphabet and padding, with line breaks.
func TestDecodeBase64InPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 63, 64, 65, 1000, 4099} {
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(rng.IntN(256))
			}
			text := []byte(enc.EncodeToString(data))
			if n > 100 {
				// MIME-style line breaks, which decoding skips.
				var wrapped []byte
				for len(text) > 76 {
					wrapped = append(append(wrapped, text[:76]...), '\r', '\n')
					text = text[76:]
				}
				text = append(wrapped, text...)
			}
			got, err := decodeBase64(text)
			if err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("%d bytes decoded in place differ from the original", n)
			}
		}
	}
}

func TestUnescapeASCII(t *testing.T) {
	for in, want := range map[string]string{
		`abc`:                    "abc",
		`a\/b\/c`:                "a/b/c",
		`\u0041\u002f\n\r\t\"\\`: "A/\n\r\t\"\\",
	} {
		got, err := unescapeASCII([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("unescapeASCII(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`\u00e9`, `\x`, `ab\`, `\u12`} {
		if _, err := unescapeASCII([]byte(in)); err == nil {
			t.Errorf("unescapeASCII(%q) accepted it", in)
		}
	}
}

// A photo whose base64 escapes "/" as "\/", as some JSON encoders write it.
func TestWebhookEscapedPhotoBytes(t *testing.T) {
	contact := newContact("")
	photo := testJPEG(t, 960, 720)
	b64 := strings.ReplaceAll(base64.StdEncoding.EncodeToString(photo), "/", `\/`)
	if !strings.Contains(b64, `\/`) {
		t.Fatal("the photo's base64 has no slash to escape")
	}
	body := []byte(`{"resourceName":"` + contact + `","photoBytes":"` + b64 + `"}`)
	if a := send(t, http.MethodPost, "application/json", body, nil); a.status != http.StatusOK {
		t.Fatalf("HTTP %d: %s", a.status, a.body)
	}
	wantPhoto(t, "", contact)
}

// A gzip-encoded object is read decompressed, so its stored size bounds
// nothing: it may take half of the inputs pool, and one that inflates
// past that is refused for good.
func TestGzipObjectWithinInputs(t *testing.T) {
	budget := membudget.New(4<<20, 64<<20)
	p, _ := newBudgetPipeline(t, budget)
	photo := testJPEG(t, 960, 720)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"fits", photo, "updated"},
		{"inflates past half the pool", append(append([]byte(nil), photo...), make([]byte, 3<<20)...), "failed: object too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(tc.data)
			zw.Close()
			contact := newContact("")
			md := map[string]string{"resourceName": contact}
			name := "memory/gzip-" + strings.ReplaceAll(tc.name, " ", "-")
			gen, err := stack.Storage.PutEncoded(localstack.Bucket, name, "image/jpeg", "gzip", z.Bytes(), md)
			if err != nil {
				t.Fatal(err)
			}
			obj := eventarc.Object{Bucket: localstack.Bucket, Name: name, Generation: gen, Size: int64(z.Len()), Metadata: md}
			if err := p.HandleEvent(context.Background(), finalized(t, obj)); err != nil {
				t.Fatalf("asked for a retry: %v", err)
			}
			if got := metadataOf(t, name)[StatusKey]; got != tc.want {
				t.Errorf("status %q, want %q", got, tc.want)
			}
			if budget.InUse() != 0 {
				t.Errorf("%d bytes still held", budget.InUse())
			}
		})
	}
}
