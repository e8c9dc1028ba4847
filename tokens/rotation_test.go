package tokens_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/contactphoto/contactphoto/tokens"
)

func TestRotationOnInvalidGrant(t *testing.T) {
	const secret = "projects/p/secrets/contacts"
	for _, tc := range []struct {
		name string
		// rotate runs after the store read version 1 and its refresh token
		// was revoked.
		rotate        func(t *testing.T, e *env)
		wantAccount   string // "" when the token stays revoked
		wantReads     int    // AccessSecretVersion calls in all
		wantRequests  int    // token endpoint requests in all
		wantInMessage []string
	}{
		{
			name: "new version added",
			rotate: func(t *testing.T, e *env) {
				e.oauth.AddRefreshToken(clientID, "1//new", "me@example.com")
				e.addUser(t, secret, "1//new")
			},
			wantAccount: "me@example.com", wantReads: 2, wantRequests: 2,
		},
		{
			name:      "no new version",
			rotate:    func(t *testing.T, e *env) {},
			wantReads: 2, wantRequests: 1,
			wantInMessage: []string{
				"contactphoto authorize --client-secret client_secret.json --secret " + secret,
				"Testing status", "7 days", "invalid_grant",
			},
		},
		{
			name: "new version revoked too",
			rotate: func(t *testing.T, e *env) {
				e.oauth.AddRefreshToken(clientID, "1//new", "me@example.com")
				e.addUser(t, secret, "1//new")
				e.oauth.Revoke("1//new")
			},
			wantReads: 2, wantRequests: 2,
			wantInMessage: []string{"contactphoto authorize --client-secret client_secret.json --secret " + secret, "versions/2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.oauth.AddRefreshToken(clientID, "1//old", "me@example.com")
			version := e.addUser(t, secret, "1//old")
			s := e.store(t, tokens.Options{DefaultSecret: version})
			ts, err := s.TokenSource(t.Context(), "")
			if err != nil {
				t.Fatal(err)
			}
			e.oauth.Revoke("1//old")
			tc.rotate(t, e)

			tok, err := ts.Token()
			if got := e.secrets.Calls("AccessSecretVersion"); got != tc.wantReads {
				t.Errorf("secret reads = %d, want %d", got, tc.wantReads)
			}
			if got := e.oauth.TokenRequests(); got != tc.wantRequests {
				t.Errorf("token requests = %d, want %d", got, tc.wantRequests)
			}
			if tc.wantAccount != "" {
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := e.oauth.Validate(tok.AccessToken); got != tc.wantAccount {
					t.Errorf("token belongs to %q, want %q", got, tc.wantAccount)
				}
				// The new credentials stay in use.
				if _, err := ts.Token(); err != nil {
					t.Errorf("second Token after rotation: %v", err)
				}
				return
			}
			if kindOf(t, err) != tokens.AuthRevoked {
				t.Fatalf("kind = %v, want AuthRevoked (%v)", kindOf(t, err), err)
			}
			var p interface{ Permanent() bool }
			if !errors.As(err, &p) || !p.Permanent() {
				t.Errorf("error is not permanent")
			}
			t.Logf("error: %v", err)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Errorf("error does not wrap the invalid_grant *oauth2.RetrieveError: %v", err)
			}
			for _, want := range tc.wantInMessage {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
			checkNoSecrets(t, "error", err.Error(), clientSecret, "1//old", "1//new")
			checkNoSecrets(t, "log", e.logs.String(), clientSecret, "1//old", "1//new")
		})
	}
}

// Each failing invocation re-reads the secret once, so a version added
// later is picked up without a redeploy.
func TestRotationLater(t *testing.T) {
	const secret = "projects/p/secrets/contacts"
	e := newEnv(t)
	e.oauth.AddRefreshToken(clientID, "1//old", "me@example.com")
	s := e.store(t, tokens.Options{DefaultSecret: e.addUser(t, secret, "1//old")})
	e.oauth.Revoke("1//old")
	for i := range 3 {
		if _, err := token(t.Context(), s, ""); kindOf(t, err) != tokens.AuthRevoked {
			t.Fatalf("invocation %d: %v, want AuthRevoked", i, err)
		}
	}
	e.oauth.AddRefreshToken(clientID, "1//new", "me@example.com")
	e.addUser(t, secret, "1//new")
	if _, err := token(t.Context(), s, ""); err != nil {
		t.Fatalf("after adding a version: %v", err)
	}
	if !strings.Contains(e.logs.String(), secret+"/versions/2") {
		t.Errorf("the switch to version 2 was not logged:\n%s", e.logs)
	}
}
