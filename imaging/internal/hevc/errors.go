package hevc

import "fmt"

// A FormatError reports that the input is not a valid HEVC stream: a
// parameter set, slice header or the entropy-coded data is corrupt,
// truncated or out of range.
type FormatError struct{ Reason string }

func (e *FormatError) Error() string { return "invalid HEVC stream: " + e.Reason }

// An UnsupportedError reports a valid HEVC stream that this decoder does not
// handle, such as inter-coded slices, 4:2:2 chroma or 12-bit samples. Feature
// names what was seen.
type UnsupportedError struct{ Feature string }

func (e *UnsupportedError) Error() string { return "unsupported HEVC feature: " + e.Feature }

func formatErr(format string, args ...any) error {
	return &FormatError{Reason: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &UnsupportedError{Feature: fmt.Sprintf(format, args...)}
}
