package redact

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestRetrieveError(t *testing.T) {
	tests := []struct {
		name    string
		re      *oauth2.RetrieveError
		want    string
		secrets []string
	}{
		{"google's invalid_grant",
			&oauth2.RetrieveError{Response: &http.Response{StatusCode: 400}, ErrorCode: "invalid_grant", ErrorDescription: "Token has been expired or revoked."},
			"token endpoint answered 400 invalid_grant: Token has been expired or revoked.", nil},
		{"echoed form body without a code",
			&oauth2.RetrieveError{Response: &http.Response{StatusCode: 400},
				Body: []byte("client_id=x&client_secret=GOCSPX-abcdefghijklmnopqrstuvwxyz&grant_type=refresh_token&refresh_token=1%2F%2F0gabcdefghijklmnop")},
			"token endpoint answered 400 without an OAuth error code", []string{"GOCSPX", "1%2F%2F0g"}},
		{"echo in the description",
			&oauth2.RetrieveError{Response: &http.Response{StatusCode: 400}, ErrorCode: "invalid_request",
				ErrorDescription: `bad body {"refresh_token":"1//0gabc","client_secret":"s3cr3t"}`},
			"token endpoint answered 400 invalid_request: [description withheld: it repeats credentials]", []string{"1//0gabc", "s3cr3t"}},
		{"long token in the description",
			&oauth2.RetrieveError{ErrorCode: "invalid_client", ErrorDescription: "client ya29.a0AfB_byC1234567890abcdefghij unknown"},
			"token endpoint answered invalid_client: [description withheld: it repeats credentials]", []string{"ya29."}},
		{"multi-line description is cut",
			&oauth2.RetrieveError{ErrorCode: "invalid_scope", ErrorDescription: "line one\nline two " + strings.Repeat("x ", 200)},
			"token endpoint answered invalid_scope: line one line two x x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RetrieveError(tt.re)
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("RetrieveError = %q, want %q", got, tt.want)
			}
			if len(got) > 300 {
				t.Errorf("RetrieveError is %d bytes long", len(got))
			}
			for _, s := range tt.secrets {
				if strings.Contains(got, s) {
					t.Errorf("RetrieveError %q holds %q", got, s)
				}
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"Authorization: Bearer ya29.abc":                              "Authorization: Bearer [redacted]",
		"code=4/0AbCd&state=x":                                        "code=[redacted]&state=x",
		`{"access_token": "abc", "token_type": "Bearer"}`:             `{"access_token": "[redacted]", "token_type": "Bearer"}`,
		"error_code=invalid_grant":                                    "error_code=invalid_grant",
		"see https://developers.google.com/identity/protocols/oauth2": "see https://developers.google.com/identity/protocols/oauth2",
	} {
		if got := Secrets(in); got != want {
			t.Errorf("Secrets(%q) = %q, want %q", in, got, want)
		}
	}
}
