package people

import (
	"fmt"
	"net/mail"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ContactRef names a contact the way a user wrote it: by resource name or by
// email address. Exactly one field is set.
type ContactRef struct {
	// ResourceName is always in the canonical form "people/c<digits>".
	ResourceName string
	// Email is an address to look up with Client.Resolve.
	Email string
}

// String returns the resource name or the email address.
func (r ContactRef) String() string {
	if r.ResourceName != "" {
		return r.ResourceName
	}
	return r.Email
}

const (
	// maxContactIDDigits bounds the numeric part of a contact id. Contact ids
	// are 64-bit numbers written in decimal (at most 20 digits); the slack
	// keeps room for longer ids without accepting arbitrary strings.
	maxContactIDDigits = 24
	// maxEmailLen is the longest address SMTP allows (RFC 5321, 4.5.3.1.3).
	maxEmailLen = 254
)

// ParseContactRef parses a contact as written in object metadata:
// "people/c1234567890", the bare id "c1234567890", or an email address.
// Anything else, such as "people/me", "contactGroups/all", a path with "..",
// a query string or a custom method suffix, is rejected with an *Error of
// kind InvalidContact, because the People API client would otherwise send it
// verbatim into the request path.
func ParseContactRef(s string) (ContactRef, error) {
	ref, reason := parseContactRef(s)
	if reason != "" {
		return ContactRef{}, &Error{Kind: InvalidContact, Op: "parse contact", Contact: s, Err: errorString(reason)}
	}
	return ref, nil
}

// parseContactRef returns the parsed reference or, for invalid input, the
// reason it was rejected.
func parseContactRef(s string) (ContactRef, string) {
	switch {
	case s == "":
		return ContactRef{}, "empty value; want people/c<digits>, c<digits> or an email address"
	case len(s) > maxEmailLen:
		return ContactRef{}, fmt.Sprintf("%d bytes is too long for a resource name or email address (at most %d)", len(s), maxEmailLen)
	case !utf8.ValidString(s):
		return ContactRef{}, "not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return ContactRef{}, "contains whitespace or control characters"
		}
	}
	if strings.Contains(s, "@") {
		return parseEmail(s)
	}
	// updateContactPhoto takes contacts only: "other contacts" and profiles
	// are answered 400 "not a valid contact person resource"
	// (https://developers.google.com/people/api/rest/v1/people/updateContactPhoto),
	// so they are refused here, before any call, saying what to do.
	if strings.HasPrefix(s, "otherContacts/") {
		return ContactRef{}, "an \"other contact\" (otherContacts/…), which the People API cannot give a photo: " +
			"add it to the contacts first (\"Add to contacts\" in Google Contacts, or otherContacts.copyOtherContactToMyContactsGroup) " +
			"and use the people/c… name of the new contact"
	}
	id := s
	if rest, ok := strings.CutPrefix(s, "people/"); ok {
		id = rest
	}
	if id == "me" {
		return ContactRef{}, "people/me is the signed-in user, not a contact; want people/c<digits>"
	}
	if id != s && id != "" && allASCIIDigits(id) {
		return ContactRef{}, "a Google profile (people/<digits>), not a contact: the People API sets photos of contacts (people/c<digits>) only; " +
			"a Google Workspace user's directory photo is set with the Admin SDK (users.photos.update), and a personal profile photo only by its owner"
	}
	digits, ok := strings.CutPrefix(id, "c")
	if !ok || digits == "" || !allASCIIDigits(digits) {
		return ContactRef{}, "not a contact resource name; want people/c<digits>, c<digits> or an email address"
	}
	if len(digits) > maxContactIDDigits {
		return ContactRef{}, fmt.Sprintf("contact id has %d digits, more than any contact id (at most %d)", len(digits), maxContactIDDigits)
	}
	return ContactRef{ResourceName: "people/c" + digits}, ""
}

// allASCIIDigits reports whether s is made of 0-9 only. unicode.IsDigit would
// let look-alikes such as Arabic-Indic or fullwidth digits through.
func allASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseEmail accepts a bare address (no display name, no angle brackets)
// whose domain has at least one dot.
func parseEmail(s string) (ContactRef, string) {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return ContactRef{}, "not a plain email address such as alice@example.com"
	}
	at := strings.LastIndexByte(s, '@')
	if s[:at] == "" || !isHostname(s[at+1:]) {
		return ContactRef{}, "not a plain email address such as alice@example.com"
	}
	return ContactRef{Email: s}, ""
}

// isHostname reports whether domain is a dotted host name: at least two
// labels of letters, digits and inner hyphens. Letters may be non-ASCII, for
// internationalized domains.
func isHostname(domain string) bool {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

// photoExtensions are the extensions ContactRefFromFilename strips. Only
// image extensions are stripped so that "alice@example.com" keeps its ".com".
// ".hif" is the HEIF extension of Canon and Fujifilm cameras.
var photoExtensions = []string{".jpg", ".jpeg", ".jpe", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".hif"}

// IsPhotoExtension reports whether ext (such as ".JPG") is the extension of
// a photo file, ignoring case: the extensions ContactRefFromFilename strips.
func IsPhotoExtension(ext string) bool {
	for _, e := range photoExtensions {
		if strings.EqualFold(ext, e) {
			return true
		}
	}
	return false
}

// ContactRefFromFilename takes the contact from an object name, following the
// naming convention of bulk contact-photo tools: the base name without its
// image extension is a contact id or an email address, as in
// "photos/c1234567890.jpg" or "alice@example.com.png". Errors are *Error of
// kind InvalidContact.
func ContactRefFromFilename(name string) (ContactRef, error) {
	base := path.Base(name)
	if name == "" || strings.HasSuffix(name, "/") {
		base = ""
	}
	if ext := path.Ext(base); IsPhotoExtension(ext) {
		base = strings.TrimSuffix(base, ext)
	}
	ref, reason := parseContactRef(base)
	if reason != "" {
		return ContactRef{}, &Error{
			Kind:    InvalidContact,
			Op:      "contact from file name",
			Contact: name,
			Err:     errorString(reason + `; name photos like "c1234567890.jpg" or "alice@example.com.jpg"`),
		}
	}
	return ref, nil
}

// quoteShort quotes s for a message, cutting it so that hostile or huge
// metadata values can't flood the logs.
func quoteShort(s string) string {
	const max = 80
	if len(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}

// errorString is a plain error whose text is a reason.
type errorString string

func (e errorString) Error() string { return string(e) }
