package people

import (
	"errors"
	"strings"
	"testing"
)

// FuzzContactRef checks the two ways a contact comes out of an uploaded
// object, its metadata value (ParseContactRef) and its file name
// (ContactRefFromFilename): whatever they accept is safe to put in a request
// path or a search query and parses back to itself; whatever they refuse is
// an InvalidContact *Error with a bounded message; neither panics.
func FuzzContactRef(f *testing.F) {
	for _, s := range []string{
		"people/c1", "c123", "alice@example.com", "people/../x", "people/c1?x", "people/c1:delete",
		"people/me", "contactGroups/all", "a@b.c\r\n", "c１", "people/с1", "c42.JPG", "dir/alice@example.com.png",
		"", strings.Repeat("9", 300),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseContactRef(s)
		checkContactRef(t, "ParseContactRef", s, ref, err)
		if err == nil {
			if again, err := ParseContactRef(ref.String()); err != nil || again != ref {
				t.Fatalf("ParseContactRef(%q) = %+v, but its String %q parses as %+v, %v", s, ref, ref.String(), again, err)
			}
		}
		ref, err = ContactRefFromFilename(s)
		checkContactRef(t, "ContactRefFromFilename", s, ref, err)
	})
}

// checkContactRef fails the test unless (ref, err) is a safe answer of fn
// for input s.
func checkContactRef(t *testing.T, fn, s string, ref ContactRef, err error) {
	t.Helper()
	if err != nil {
		if e, ok := errors.AsType[*Error](err); !ok || e.Kind != InvalidContact || !e.Permanent() {
			t.Fatalf("%s(%q) error %v is not a permanent InvalidContact", fn, s, err)
		}
		if n := len(err.Error()); n > 1024 {
			t.Fatalf("%s(%q) error message is %d bytes; hostile input must be cut", fn, s, n)
		}
		if ref != (ContactRef{}) {
			t.Fatalf("%s(%q) returned %+v with error %v", fn, s, ref, err)
		}
		return
	}
	switch {
	case ref.ResourceName != "" && ref.Email == "":
		digits, ok := strings.CutPrefix(ref.ResourceName, "people/c")
		if !ok || digits == "" || !allASCIIDigits(digits) || len(digits) > maxContactIDDigits {
			t.Fatalf("%s(%q) accepted resource name %q", fn, s, ref.ResourceName)
		}
	case ref.Email != "" && ref.ResourceName == "":
		at := strings.LastIndexByte(ref.Email, '@')
		if at <= 0 || len(ref.Email) > maxEmailLen || strings.ContainsAny(ref.Email, " \t\r\n") || strings.ContainsAny(ref.Email[at:], "/?#:[]\\%") {
			t.Fatalf("%s(%q) accepted email %q", fn, s, ref.Email)
		}
	default:
		t.Fatalf("%s(%q) = %+v; want exactly one field set", fn, s, ref)
	}
}
