package oauthtest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/contactphoto/contactphoto/tokens/oauthtest"
)

const (
	clientID     = "123-abc.apps.googleusercontent.com"
	clientSecret = "GOCSPX-secret"
	contacts     = "https://www.googleapis.com/auth/contacts"
)

func newServer(t *testing.T) *oauthtest.Server {
	t.Helper()
	s := oauthtest.NewServer()
	t.Cleanup(s.Close)
	s.AddClient(clientID, clientSecret)
	return s
}

// post sends a form to the token endpoint and decodes the JSON answer.
func post(t *testing.T, s *oauthtest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(s.TokenURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("token endpoint answered %s with a body that is not JSON: %v", resp.Status, err)
	}
	return resp.StatusCode, body
}

func TestRefreshGrant(t *testing.T) {
	s := newServer(t)
	s.AddRefreshToken(clientID, "1//good", "me@example.com")
	s.AddRefreshToken(clientID, "1//revoked", "me@example.com")
	s.Revoke("1//revoked")
	refresh := func(id, secret, rt string) url.Values {
		return url.Values{"grant_type": {"refresh_token"}, "client_id": {id}, "client_secret": {secret}, "refresh_token": {rt}}
	}
	for _, tc := range []struct {
		name       string
		form       url.Values
		wantStatus int
		wantError  string
	}{
		{"good", refresh(clientID, clientSecret, "1//good"), 200, ""},
		{"unknown refresh token", refresh(clientID, clientSecret, "1//unknown"), 400, "invalid_grant"},
		{"revoked refresh token", refresh(clientID, clientSecret, "1//revoked"), 400, "invalid_grant"},
		{"unknown client", refresh("x.apps.googleusercontent.com", clientSecret, "1//good"), 401, "invalid_client"},
		{"wrong client secret", refresh(clientID, "nope", "1//good"), 401, "invalid_client"},
		{"no refresh token", refresh(clientID, clientSecret, ""), 400, "invalid_request"},
		{"no grant type", url.Values{"client_id": {clientID}}, 400, "invalid_request"},
		{"unknown grant type", url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, s, tc.form)
			if status != tc.wantStatus {
				t.Errorf("status %d, want %d (%v)", status, tc.wantStatus, body)
			}
			if tc.wantError != "" {
				if body["error"] != tc.wantError || body["error_description"] == "" {
					t.Errorf("body %v, want error %q with a description", body, tc.wantError)
				}
				return
			}
			at, _ := body["access_token"].(string)
			if account, ok := s.Validate(at); !ok || account != "me@example.com" {
				t.Errorf("Validate(%q) = %q, %v", at, account, ok)
			}
			want := map[string]any{"access_token": at, "expires_in": 3599.0, "scope": contacts, "token_type": "Bearer"}
			if diff := cmp.Diff(want, body); diff != "" {
				t.Errorf("token response (-want +got):\n%s", diff)
			}
		})
	}
	if got := s.TokenRequests(); got != 8 {
		t.Errorf("TokenRequests() = %d, want 8", got)
	}
}

func TestValidate(t *testing.T) {
	s := newServer(t)
	s.AddRefreshToken(clientID, "1//r", "me@example.com")
	conf := &oauth2.Config{ClientID: clientID, ClientSecret: clientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: s.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	tok, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: "1//r"}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Validate(tok.AccessToken); !ok {
		t.Fatal("a fresh token is not valid")
	}
	if _, ok := s.Validate("ya29.made-up"); ok {
		t.Error("a made-up token is valid")
	}
	s.Revoke("1//r")
	if _, ok := s.Validate(tok.AccessToken); ok {
		t.Error("revoking the refresh token left its access token valid")
	}
	_, err = conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: "1//r"}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh after revocation: %v, want invalid_grant", err)
	}
}

// authorize follows the authorization URL as a browser would and returns
// the redirect's query.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorization endpoint answered %s, want a redirect", resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), "http://127.0.0.1:5555/cb?") {
		t.Fatalf("redirected to %s", loc)
	}
	return loc.Query()
}

func TestAuthorizationCodeFlow(t *testing.T) {
	s := newServer(t)
	s.ConsentAs("me@example.com")
	conf := &oauth2.Config{
		ClientID: clientID, ClientSecret: clientSecret, Scopes: []string{contacts},
		RedirectURL: "http://127.0.0.1:5555/cb",
		Endpoint:    oauth2.Endpoint{AuthURL: s.AuthURL(), TokenURL: s.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
	}
	verifier := oauth2.GenerateVerifier()

	q := authorize(t, conf.AuthCodeURL("st4te", oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier)))
	if q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	// A wrong verifier fails, and burns the code.
	if _, err := conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier())); !isOAuthError(err, "invalid_grant") {
		t.Errorf("exchange with a wrong verifier: %v, want invalid_grant", err)
	}
	if _, err := conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); !isOAuthError(err, "invalid_grant") {
		t.Errorf("second exchange of a code: %v, want invalid_grant", err)
	}

	q = authorize(t, conf.AuthCodeURL("s2", oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Error("first offline consent gave no refresh token")
	}
	if account, ok := s.Validate(tok.AccessToken); !ok || account != "me@example.com" {
		t.Errorf("Validate = %q, %v", account, ok)
	}

	// Like Google: consenting again gives a refresh token only when the
	// consent screen is forced.
	q = authorize(t, conf.AuthCodeURL("s3", oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier)))
	if tok, err := conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil || tok.RefreshToken != "" {
		t.Errorf("repeated consent without prompt=consent: refresh token %q, %v; want none", tok.RefreshToken, err)
	}
	q = authorize(t, conf.AuthCodeURL("s4", oauth2.AccessTypeOffline, oauth2.ApprovalForce, oauth2.S256ChallengeOption(verifier)))
	if tok, err := conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil || tok.RefreshToken == "" {
		t.Errorf("prompt=consent: refresh token %q, %v; want one", tok.RefreshToken, err)
	}

	s.ConsentAs("")
	if q := authorize(t, conf.AuthCodeURL("s5")); q.Get("error") != "access_denied" || q.Get("state") != "s5" {
		t.Errorf("denied consent redirected with %v", q)
	}
}

func TestAuthorizationEndpointRefusals(t *testing.T) {
	s := newServer(t)
	s.ConsentAs("me@example.com")
	for _, tc := range []struct {
		name, clientID, redirect string
		want                     int
	}{
		{"unknown client", "x.apps.googleusercontent.com", "http://127.0.0.1:5555/cb", http.StatusUnauthorized},
		{"non-loopback redirect", clientID, "http://example.com/cb", http.StatusBadRequest},
		{"https redirect", clientID, "https://127.0.0.1:5555/cb", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := s.AuthURL() + "?" + url.Values{"client_id": {tc.clientID}, "redirect_uri": {tc.redirect},
				"response_type": {"code"}, "scope": {contacts}}.Encode()
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %s, want %d", resp.Status, tc.want)
			}
		})
	}
}

func TestSignJWTRefusals(t *testing.T) {
	s := newServer(t)
	caller := s.AddServiceAccount("sa@p.iam.gserviceaccount.com")
	other := s.AddServiceAccount("other@p.iam.gserviceaccount.com")
	for _, tc := range []struct {
		name, sa, bearer, body string
		wantStatus             int
		wantAPIStatus          string
	}{
		{"no credentials", "sa@p.iam.gserviceaccount.com", "", `{"payload":"{\"exp\":1}"}`, 401, "UNAUTHENTICATED"},
		{"not a token creator", "sa@p.iam.gserviceaccount.com", other, `{"payload":"{\"exp\":1}"}`, 403, "PERMISSION_DENIED"},
		{"unknown service account", "nobody@p.iam.gserviceaccount.com", caller, `{"payload":"{\"exp\":1}"}`, 403, "PERMISSION_DENIED"},
		{"payload not JSON", "sa@p.iam.gserviceaccount.com", caller, `{"payload":"nope"}`, 400, "INVALID_ARGUMENT"},
		{"no exp", "sa@p.iam.gserviceaccount.com", caller, `{"payload":"{}"}`, 400, "INVALID_ARGUMENT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"+tc.sa+":signJwt", strings.NewReader(tc.body))
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct {
					Code    int
					Message string
					Status  string
				}
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus || body.Error.Code != tc.wantStatus || body.Error.Status != tc.wantAPIStatus || body.Error.Message == "" {
				t.Errorf("got %d %+v, want %d %s", resp.StatusCode, body.Error, tc.wantStatus, tc.wantAPIStatus)
			}
		})
	}
}

func isOAuthError(err error, code string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == code
}
