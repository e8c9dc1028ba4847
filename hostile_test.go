package contactphoto

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"github.com/contactphoto/contactphoto/internal/cloudlog"
)

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

// newOwnPipeline builds a pipeline from env, apart from the one the
// registered function uses, logging to the returned recorder. Cloud Storage
// is the one STORAGE_EMULATOR_HOST names in the process environment: the
// storage library reads that variable itself.
func newOwnPipeline(t testing.TB, env map[string]string) (*Pipeline, *logRecorder) {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &logRecorder{}
	p, err := NewPipeline(context.Background(), cfg, cloudlog.New(logs, slog.LevelInfo))
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
