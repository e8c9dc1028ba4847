// Package redact keeps secrets out of error messages about OAuth token
// requests.
//
// golang.org/x/oauth2's RetrieveError prints the token endpoint's raw
// answer when it carries no error code, and its error_description
// otherwise. An endpoint or proxy that echoes the request back puts the
// client_secret and the refresh_token (or an authorization code and its
// PKCE verifier) into that text, and from there into logs. RetrieveError
// describes such an error by its status, error code and a cleaned
// description only.
package redact

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/oauth2"
)

// maxDescription bounds the description kept from a token endpoint.
const maxDescription = 200

var (
	// secretParam is a name=value or "name":"value" pair of a parameter
	// that carries a credential, in a form body, a query or JSON.
	secretParam = regexp.MustCompile(`(?i)((?:^|[^a-z0-9_])"?(?:client_secret|refresh_token|access_token|id_token|code_verifier|code|assertion|subject_token|password|token)"?\s*[=:]\s*"?)[^"&\s,}]+`)
	// tokenLike is a run of token characters long enough to be a secret,
	// with letters and digits: Google's access tokens (ya29.…), refresh
	// tokens (1//…), JWTs, client secrets (GOCSPX-…) and the like. Words
	// of a sentence are shorter; URLs are matched whole so as to be kept.
	tokenLike = regexp.MustCompile(`https?://\S+|[A-Za-z0-9._~+/=-]{20,}`)
	// bearer is an Authorization header value.
	bearer = regexp.MustCompile(`(?i)((?:bearer|basic)\s+)\S+`)
)

// Secrets replaces what looks like a credential in s with "[redacted]".
func Secrets(s string) string {
	s = secretParam.ReplaceAllString(s, "${1}[redacted]")
	s = bearer.ReplaceAllString(s, "${1}[redacted]")
	return tokenLike.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "http") || !strings.ContainsAny(m, "0123456789") ||
			!strings.ContainsAny(strings.ToLower(m), "abcdefghijklmnopqrstuvwxyz") {
			return m
		}
		return "[redacted]"
	})
}

// RetrieveError describes a failed token request without the raw answer:
// the HTTP status, the OAuth error code and the error description, with
// anything token-like in them redacted.
func RetrieveError(re *oauth2.RetrieveError) string {
	var b strings.Builder
	b.WriteString("token endpoint answered")
	if re.Response != nil {
		fmt.Fprintf(&b, " %d", re.Response.StatusCode)
	}
	if re.ErrorCode != "" {
		fmt.Fprintf(&b, " %s", Secrets(oneLine(re.ErrorCode, 64)))
	}
	if re.ErrorDescription != "" {
		// A description that holds anything token-like is most likely the
		// request echoed back: none of it is kept.
		d := oneLine(re.ErrorDescription, maxDescription)
		if Secrets(d) != d {
			d = "[description withheld: it repeats credentials]"
		}
		fmt.Fprintf(&b, ": %s", d)
	}
	if re.ErrorCode == "" && re.ErrorDescription == "" {
		b.WriteString(" without an OAuth error code")
	}
	return b.String()
}

// oneLine cuts s to n bytes and joins its lines.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
