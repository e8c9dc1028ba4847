package imaging

import (
	"bytes"
	"encoding/json"
	"image"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResultLogValue(t *testing.T) {
	res := &Result{
		JPEG:   []byte("\xff\xd8 pretend photo bytes \xff\xd9"),
		Format: "jpeg", SourceWidth: 4032, SourceHeight: 3024, Orientation: 6,
		Crop: image.Rect(0, 500, 3024, 3524), Face: true, Faces: []Face{{Box: image.Rect(1000, 1000, 1500, 1500)}},
		Width: 720, Height: 720, Quality: 85,
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("photo processed", "photo", res)
	var line struct{ Photo map[string]any }
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	want := map[string]any{
		"format": "jpeg", "sourceWidth": 4032.0, "sourceHeight": 3024.0, "orientation": 6.0,
		"crop": "(0,500)-(3024,3524)", "face": true, "faces": 1.0,
		"width": 720.0, "height": 720.0, "quality": 85.0, "bytes": float64(len(res.JPEG)),
	}
	if diff := cmp.Diff(want, line.Photo); diff != "" {
		t.Errorf("logged photo (-want +got):\n%s", diff)
	}
	if bytes.Contains(buf.Bytes(), []byte("pretend")) {
		t.Errorf("the log line contains the photo bytes: %s", buf.String())
	}
}
