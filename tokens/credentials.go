package tokens

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
)

// Scope is the OAuth scope the People API needs to change contact photos.
const Scope = "https://www.googleapis.com/auth/contacts"

// GoogleTokenURL is Google's OAuth 2.0 token endpoint, used when an
// authorized_user payload has no token_uri.
const GoogleTokenURL = "https://oauth2.googleapis.com/token"

// Payload types a token secret may hold.
const (
	TypeAuthorizedUser   = "authorized_user"
	TypeImpersonatedUser = "impersonated_user"
)

// AuthorizedUser is the authorized_user credentials JSON, the format gcloud
// writes for Application Default Credentials and `contactphoto authorize`
// stores: an OAuth client and a refresh token one user granted it.
type AuthorizedUser struct {
	Type         string `json:"type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
	TokenURI     string `json:"token_uri,omitempty"`
}

// ImpersonatedUser is the payload for Google Workspace domain-wide
// delegation without keys: the function's own identity asks the IAM
// Credentials API to sign a JWT as ServiceAccount on behalf of Subject.
type ImpersonatedUser struct {
	Type           string `json:"type"`
	ServiceAccount string `json:"service_account"`
	Subject        string `json:"subject"`
}

// credentials is a validated payload: exactly one field is set.
type credentials struct {
	user       *AuthorizedUser
	delegation *ImpersonatedUser
}

// maxPayload bounds what is parsed; Secret Manager itself caps payloads at
// 64 KiB.
const maxPayload = 64 << 10

// parseCredentials validates a secret payload. Its errors describe what is
// wrong in terms of fields and never quote the payload.
func parseCredentials(data []byte) (*credentials, error) {
	if len(data) == 0 {
		return nil, errors.New("the payload is empty")
	}
	if len(data) > maxPayload {
		return nil, fmt.Errorf("the payload is %d bytes, more than credentials JSON ever needs", len(data))
	}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(err)
	}
	switch probe.Type {
	case TypeAuthorizedUser, "":
		var u AuthorizedUser
		if err := decode(data, &u); err != nil {
			return nil, err
		}
		if err := u.validate(); err != nil {
			return nil, err
		}
		return &credentials{user: &u}, nil
	case TypeImpersonatedUser:
		var d ImpersonatedUser
		if err := decode(data, &d); err != nil {
			return nil, err
		}
		if err := d.validate(); err != nil {
			return nil, err
		}
		return &credentials{delegation: &d}, nil
	case "service_account":
		return nil, errors.New(`the payload is a service account key, which is not accepted: for Workspace use keyless ` +
			`domain-wide delegation, {"type":"impersonated_user","service_account":"SA_EMAIL","subject":"USER_EMAIL"}`)
	case "external_account", "impersonated_service_account", "external_account_authorized_user", "gdch_service_account":
		return nil, fmt.Errorf("credentials of type %q are not supported; use %q or %q", probe.Type, TypeAuthorizedUser, TypeImpersonatedUser)
	}
	return nil, fmt.Errorf("the payload's type is not supported; use %q or %q", TypeAuthorizedUser, TypeImpersonatedUser)
}

// decode decodes a JSON object into v.
func decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError describes a JSON decoding error by position and field only:
// encoding/json's own messages quote the offending input.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("the payload is not valid JSON (syntax error at byte %d)", se.Offset)
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("the payload's field %q must be a %s", te.Field, te.Type)
	case errors.As(err, &te):
		return errors.New("the payload is not a JSON object")
	}
	return errors.New("the payload is not valid JSON")
}

func (u *AuthorizedUser) validate() error {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"client_id", u.ClientID}, {"client_secret", u.ClientSecret}, {"refresh_token", u.RefreshToken},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("authorized_user credentials lack %s", strings.Join(missing, ", "))
	}
	if u.TokenURI != "" {
		if err := checkEndpoint(u.TokenURI); err != nil {
			return fmt.Errorf("token_uri %w", err)
		}
	}
	return nil
}

func (u *AuthorizedUser) tokenURL() string {
	if u.TokenURI == "" {
		return GoogleTokenURL
	}
	return u.TokenURI
}

// checkEndpoint accepts https URLs, and plain http only to a loopback host,
// where local stand-ins run.
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("is not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return errors.New("must be an https URL")
}

func (d *ImpersonatedUser) validate() error {
	if d.ServiceAccount == "" || d.Subject == "" {
		return errors.New(`impersonated_user credentials need "service_account" and "subject"`)
	}
	if !strings.HasSuffix(d.ServiceAccount, ".gserviceaccount.com") || !validEmail(d.ServiceAccount) {
		return fmt.Errorf("service_account %q is not a service account email (NAME@PROJECT.iam.gserviceaccount.com)", d.ServiceAccount)
	}
	if !validEmail(d.Subject) {
		return fmt.Errorf("subject %q is not an email address", d.Subject)
	}
	return nil
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}
