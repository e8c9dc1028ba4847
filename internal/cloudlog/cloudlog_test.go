package cloudlog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestCloudLoggingShape(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelDebug)
	log.Debug("d")
	log.Info("i", "object", "a.jpg")
	log.Warn("w")
	log.Error("e")
	log.Log(context.Background(), slog.LevelError+4, "c")

	want := []string{"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v", i, err)
		}
		if m[SeverityKey] != want[i] {
			t.Errorf("line %d severity = %v, want %s", i, m[SeverityKey], want[i])
		}
		if _, ok := m[MessageKey].(string); !ok {
			t.Errorf("line %d has no %q", i, MessageKey)
		}
		loc, _ := m[SourceLocationKey].(map[string]any)
		if loc["file"] == nil || loc["line"] == nil {
			t.Errorf("line %d has no source location: %v", i, m)
		}
		if _, ok := m["level"]; ok {
			t.Errorf("line %d still has slog's level key", i)
		}
	}
}

func TestErrorReport(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, slog.LevelInfo).Error("boom", ErrorReport("svc", "rev-1", 0))
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["@type"] != ReportedErrorEventType {
		t.Errorf("@type = %v", m["@type"])
	}
	sc, _ := m["serviceContext"].(map[string]any)
	if sc["service"] != "svc" || sc["version"] != "rev-1" {
		t.Errorf("serviceContext = %v", sc)
	}
	ctx, _ := m["context"].(map[string]any)
	loc, _ := ctx["reportLocation"].(map[string]any)
	if fn, _ := loc["functionName"].(string); !strings.HasSuffix(fn, "TestErrorReport") {
		t.Errorf("reportLocation.functionName = %q, want this test", fn)
	}
}
