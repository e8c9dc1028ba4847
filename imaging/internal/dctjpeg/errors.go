package dctjpeg

import (
	"errors"
	"fmt"
)

// A FormatError reports that the input is not a valid JPEG stream: it is
// truncated, or a header or the entropy-coded data is corrupt.
type FormatError struct{ Reason string }

func (e *FormatError) Error() string { return "invalid JPEG: " + e.Reason }

// An UnsupportedError reports a valid JPEG that this decoder does not
// handle, such as 12-bit samples or the lossless process; Feature names it.
type UnsupportedError struct{ Feature string }

func (e *UnsupportedError) Error() string { return "unsupported JPEG feature: " + e.Feature }

// ErrTooLarge reports an image whose header promises more pixels than
// Options.MaxPixels allows, or whose decode at the chosen scale needs more
// memory than Options.MaxBuffer. It is returned, wrapped with the
// dimensions and the figures of the bound it exceeds, before any pixel
// memory is allocated.
var ErrTooLarge = errors.New("JPEG too large")

func formatErr(format string, args ...any) error {
	return &FormatError{Reason: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &UnsupportedError{Feature: fmt.Sprintf(format, args...)}
}
