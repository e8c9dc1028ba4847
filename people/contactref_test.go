package people

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseContactRef(t *testing.T) {
	tests := []struct {
		in      string
		want    ContactRef
		wantErr string // substring of the message; "" means success
	}{
		{in: "people/c1234567890", want: ContactRef{ResourceName: "people/c1234567890"}},
		{in: "c1234567890", want: ContactRef{ResourceName: "people/c1234567890"}},
		{in: "people/c0", want: ContactRef{ResourceName: "people/c0"}},
		{in: "alice@example.com", want: ContactRef{Email: "alice@example.com"}},
		{in: "Alice.Smith+photos@Mail.Example.co.uk", want: ContactRef{Email: "Alice.Smith+photos@Mail.Example.co.uk"}},
		{in: "", wantErr: "empty value"},
		{in: "people/../x", wantErr: "not a contact resource name"},
		{in: "people/c1?x", wantErr: "not a contact resource name"},
		{in: "people/c1:delete", wantErr: "not a contact resource name"},
		{in: "people/c1/photos", wantErr: "not a contact resource name"},
		{in: "people/c1#x", wantErr: "not a contact resource name"},
		{in: "people/c%31", wantErr: "not a contact resource name"},
		{in: "people/me", wantErr: "people/me is the signed-in user"},
		{in: "me", wantErr: "people/me is the signed-in user"},
		{in: "people/c", wantErr: "not a contact resource name"},
		{in: "people/123", wantErr: "Admin SDK"},
		{in: "123", wantErr: "not a contact resource name"},
		{in: "people/C123", wantErr: "not a contact resource name"},
		{in: "otherContacts/c123", wantErr: "add it to the contacts first"},
		{in: "contactGroups/all", wantErr: "not a contact resource name"},
		{in: "people/people/c1", wantErr: "not a contact resource name"},
		{in: "c12\u0663", wantErr: "not a contact resource name"},                 // Arabic-Indic three
		{in: "c\uff11\uff12", wantErr: "not a contact resource name"},             // fullwidth digits
		{in: "people/c123 ", wantErr: "whitespace or control"},                    // trailing space
		{in: "people/c123\n", wantErr: "whitespace or control"},                   // trailing newline
		{in: "alice@example.com\r\nBcc: x@y.z", wantErr: "whitespace or control"}, // header injection
		{in: "people/c" + strings.Repeat("1", 25), wantErr: "digits"},
		{in: strings.Repeat("a", 250) + "@b.com", wantErr: "too long"},
		{in: "Alice <alice@example.com>", wantErr: "whitespace"},
		{in: "<alice@example.com>", wantErr: "not a plain email address"},
		{in: "alice@localhost", wantErr: "not a plain email address"},
		{in: "@example.com", wantErr: "not a plain email address"},
		{in: "alice@@example.com", wantErr: "not a plain email address"},
		{in: "alice@example.com.", wantErr: "not a plain email address"},
		{in: "alice@exa#mple.com", wantErr: "not a plain email address"},
		{in: "alice@-example.com", wantErr: "not a plain email address"},
		{in: "jörg@bücher.example", want: ContactRef{Email: "jörg@bücher.example"}},
		{in: "\xff\xfe@x.com", wantErr: "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseContactRef(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseContactRef(%q) = %v", tt.in, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("ParseContactRef(%q) mismatch (-want +got):\n%s", tt.in, diff)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != InvalidContact || !e.Permanent() {
				t.Fatalf("ParseContactRef(%q) = %v, %v; want a permanent InvalidContact *Error", tt.in, got, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseContactRef(%q) error %q does not mention %q", tt.in, err, tt.wantErr)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error message is %d bytes long; hostile input must be cut", len(err.Error()))
			}
		})
	}
}

func TestContactRefFromFilename(t *testing.T) {
	tests := []struct {
		name    string
		want    ContactRef
		wantErr bool
	}{
		{name: "c1234567890.jpg", want: ContactRef{ResourceName: "people/c1234567890"}},
		{name: "uploads/2024/c1234567890.JPEG", want: ContactRef{ResourceName: "people/c1234567890"}},
		{name: "alice@example.com.jpg", want: ContactRef{Email: "alice@example.com"}},
		{name: "team/alice@example.com.png", want: ContactRef{Email: "alice@example.com"}},
		{name: "alice@example.com", want: ContactRef{Email: "alice@example.com"}},
		{name: "c42.webp", want: ContactRef{ResourceName: "people/c42"}},
		{name: "c42.HIF", want: ContactRef{ResourceName: "people/c42"}},
		{name: "bob@example.com.heic", want: ContactRef{Email: "bob@example.com"}},
		{name: "c42", want: ContactRef{ResourceName: "people/c42"}},
		{name: "IMG_1234.jpg", wantErr: true},
		{name: "c42.jpg.txt", wantErr: true},
		{name: "people/me.jpg", wantErr: true},
		{name: "dir/", wantErr: true},
		{name: "", wantErr: true},
		{name: ".jpg", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ContactRefFromFilename(tt.name)
			if tt.wantErr {
				var e *Error
				if !errors.As(err, &e) || e.Kind != InvalidContact {
					t.Fatalf("ContactRefFromFilename(%q) = %v, %v; want InvalidContact", tt.name, got, err)
				}
				if !strings.Contains(err.Error(), "c1234567890.jpg") {
					t.Errorf("error %q does not show the naming convention", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ContactRefFromFilename(%q) = %v", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ContactRefFromFilename(%q) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}
