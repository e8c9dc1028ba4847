package funcserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
)

// The test function answers once the test releases it, or gives up when
// its request is cancelled; started announces each call.
var (
	started = make(chan struct{}, 16)
	release = make(chan struct{})
)

func init() {
	functions.HTTP("Slow", func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-release:
			io.WriteString(w, "done")
		case <-r.Context().Done():
		}
	})
}

// syncBuffer is a log destination the server and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the logged records as maps.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b.buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// serve starts Serve with grace and returns its base URL, the function
// that stops it (as SIGTERM does), and where its result arrives.
func serve(t *testing.T, grace time.Duration, logs io.Writer) (base string, stop context.CancelFunc, served <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- Serve(ctx, ln, grace, slog.New(slog.NewJSONHandler(logs, nil)), func(u string) { ready <- u })
	}()
	select {
	case base = <-ready:
	case err := <-errc:
		t.Fatalf("Serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not become ready")
	}
	t.Cleanup(cancel)
	return base, cancel, errc
}

// call sends a request to the test function and reports its answer.
func call(base string) <-chan string {
	out := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/Slow")
		if err != nil {
			out <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		out <- resp.Status + " " + string(body)
	}()
	return out
}

func wait[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not happen", what)
		panic("unreachable")
	}
}

func TestShutdownFinishesInFlightRequest(t *testing.T) {
	var logs syncBuffer
	base, stop, served := serve(t, time.Minute, &logs)
	answer := call(base)
	wait(t, started, "the request reaching the function")
	stop()
	// New connections are refused once shutdown began; the request in
	// flight still gets its answer.
	waitRefused(t, base)
	select {
	case release <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("the function no longer waits for its answer: its request was dropped")
	}
	if got := wait(t, answer, "the answer"); got != "200 OK done" {
		t.Errorf("in-flight request got %q, want 200 OK done", got)
	}
	if err := wait(t, served, "Serve returning"); err != nil {
		t.Errorf("Serve = %v", err)
	}
	recs := logs.records(t)
	if len(recs) != 2 || recs[0]["inFlight"] != 1.0 || recs[1]["msg"] != "shut down cleanly" {
		t.Errorf("log = %v; want the in-flight count, then a clean shutdown", recs)
	}
}

func TestShutdownDropsRequestOverGrace(t *testing.T) {
	var logs syncBuffer
	base, stop, served := serve(t, 100*time.Millisecond, &logs)
	answer := call(base)
	wait(t, started, "the request reaching the function")
	stop()
	if err := wait(t, served, "Serve returning after the grace period"); err != nil {
		t.Errorf("Serve = %v", err)
	}
	if got := wait(t, answer, "the dropped request ending"); !strings.HasPrefix(got, "error: ") && !strings.HasPrefix(got, "502 ") {
		t.Errorf("dropped request got %q, want a connection error", got)
	}
	var dropped map[string]any
	for _, r := range logs.records(t) {
		if r["level"] == "ERROR" {
			dropped = r
		}
	}
	if dropped == nil || dropped["dropped"] != 1.0 || !strings.Contains(dropped["msg"].(string), "dropping") {
		t.Errorf("log = %v; want an ERROR saying one request was dropped", logs.records(t))
	}
}

// waitRefused waits until base stops accepting connections.
func waitRefused(t *testing.T, base string) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the server still accepts connections after shutdown began")
}
