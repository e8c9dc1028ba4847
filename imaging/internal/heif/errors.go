package heif

import "fmt"

// A FormatError reports that the input is not a valid HEIF file.
type FormatError struct{ Reason string }

func (e *FormatError) Error() string { return "invalid HEIF: " + e.Reason }

// An UnsupportedError reports a valid HEIF file whose primary image this
// package does not handle; Feature names what it uses.
type UnsupportedError struct{ Feature string }

func (e *UnsupportedError) Error() string { return "unsupported HEIF feature: " + e.Feature }

func formatErr(format string, args ...any) error {
	return &FormatError{Reason: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &UnsupportedError{Feature: fmt.Sprintf(format, args...)}
}
