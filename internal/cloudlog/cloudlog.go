// Package cloudlog shapes log/slog records as the structured JSON that Cloud
// Logging reads from a Cloud Function's standard output: "severity" instead
// of "level", "message" instead of "msg", and the caller as
// "logging.googleapis.com/sourceLocation".
package cloudlog

import (
	"io"
	"log/slog"
	"runtime"
)

// Keys Cloud Logging gives a meaning to in a JSON log line.
const (
	SeverityKey       = "severity"
	MessageKey        = "message"
	SourceLocationKey = "logging.googleapis.com/sourceLocation"
	TraceKey          = "logging.googleapis.com/trace"
)

// New returns a logger that writes one Cloud Logging JSON object per line to
// w, dropping records below level.
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(NewHandler(w, level))
}

// NewHandler returns the slog.Handler behind New.
func NewHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		AddSource:   true,
		Level:       level,
		ReplaceAttr: replace,
	})
}

func replace(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		return slog.String(SeverityKey, severity(a.Value.Any().(slog.Level)))
	case slog.MessageKey:
		a.Key = MessageKey
	case slog.SourceKey:
		a.Key = SourceLocationKey
	}
	return a
}

// severity maps slog levels onto Cloud Logging's LogSeverity names.
func severity(l slog.Level) string {
	switch {
	case l >= slog.LevelError+4:
		return "CRITICAL"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}

// ReportedErrorEventType marks a log entry for Cloud Error Reporting.
const ReportedErrorEventType = "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"

// ErrorReport returns the attributes that make Cloud Error Reporting pick up
// an ERROR log entry that carries no stack trace: the event type, the
// service that failed and the place in the code that reported it. skip is
// the number of callers above ErrorReport's caller to attribute it to.
func ErrorReport(service, version string, skip int) slog.Attr {
	var pcs [1]uintptr
	runtime.Callers(skip+2, pcs[:])
	frame, _ := runtime.CallersFrames(pcs[:]).Next()
	ctx := []any{
		slog.String("service", service),
	}
	if version != "" {
		ctx = append(ctx, slog.String("version", version))
	}
	return slog.Group("",
		slog.String("@type", ReportedErrorEventType),
		slog.Group("serviceContext", ctx...),
		slog.Group("context", slog.Group("reportLocation",
			slog.String("filePath", frame.File),
			slog.Int("lineNumber", frame.Line),
			slog.String("functionName", frame.Function),
		)),
	)
}
