package imaging

import "log/slog"

// LogValue makes a Result log as the facts about the photo, for
// slog.Any("photo", res): never the photo's bytes, only their count.
func (r *Result) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("format", r.Format),
		slog.Int("sourceWidth", r.SourceWidth),
		slog.Int("sourceHeight", r.SourceHeight),
		slog.Int("orientation", r.Orientation),
		slog.String("crop", r.Crop.String()),
		slog.Bool("face", r.Face),
		slog.Int("faces", len(r.Faces)),
		slog.Int("width", r.Width),
		slog.Int("height", r.Height),
		slog.Int("quality", r.Quality),
		slog.Int("bytes", len(r.JPEG)),
	)
}
