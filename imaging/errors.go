package imaging

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupportedFormat is matched (with errors.Is) by errors for input that
// is not an image in a format Process reads. The error message names what was
// seen, such as "AVIF is not supported yet; export as JPEG".
var ErrUnsupportedFormat = errors.New("unsupported image format")

// ErrTooLarge is matched (with errors.Is) by errors for input over one of the
// limits that keep a hostile file from exhausting memory or time: the pixel
// budget (Options.MaxPixels), the Exif size bound (MaxExifBytes) or the
// bound on progressive JPEG scans. It also matches when the photo cannot be
// made to fit Options.MaxBytes.
var ErrTooLarge = errors.New("image too large")

// A FormatError reports that the input claims to be in a supported format but
// its data is corrupt or truncated.
type FormatError struct {
	Format string // "jpeg", "png", "gif", "webp", "bmp", "tiff", "heic"; "" when not known
	Err    error  // the decoder's own error
}

func (e *FormatError) Error() string {
	if e.Format == "" {
		return "corrupt image: " + e.Err.Error()
	}
	return fmt.Sprintf("corrupt %s image: %v", strings.ToUpper(e.Format), e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Permanent reports true: corrupt data stays corrupt however often it is read.
func (e *FormatError) Permanent() bool { return true }

// kindError carries a specific message for ErrUnsupportedFormat or
// ErrTooLarge while still matching the sentinel with errors.Is.
type kindError struct {
	kind   error
	detail string
}

func (e *kindError) Error() string { return e.kind.Error() + ": " + e.detail }

func (e *kindError) Unwrap() error { return e.kind }

// Permanent reports true: the same bytes will meet the same limit again.
func (e *kindError) Permanent() bool { return true }

func unsupportedf(format string, args ...any) error {
	return &kindError{kind: ErrUnsupportedFormat, detail: fmt.Sprintf(format, args...)}
}

func tooLargef(format string, args ...any) error {
	return &kindError{kind: ErrTooLarge, detail: fmt.Sprintf(format, args...)}
}
