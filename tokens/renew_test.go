package tokens_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/tokens"
	"github.com/contactphoto/contactphoto/tokens/oauthtest"
)

// TestInvalidateToken: an access token the API refused is dropped and the
// next Token fetches a new one with the same refresh token; a token that
// was already replaced is left alone.
func TestInvalidateToken(t *testing.T) {
	e := newEnv(t)
	e.oauth.AddRefreshToken(clientID, "1//refresh", "me@example.com")
	s := e.store(t, tokens.Options{DefaultSecret: e.addUser(t, "projects/p/secrets/contacts", "1//refresh")})
	ts, err := s.TokenSource(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	first, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	inv, ok := ts.(interface{ InvalidateToken(string) })
	if !ok {
		t.Fatalf("the store's token source %T cannot drop a refused token", ts)
	}
	// The server ends the token early; the client still thinks it good.
	e.oauth.ExpireAccessTokens()
	if again, _ := ts.Token(); again.AccessToken != first.AccessToken {
		t.Fatal("the token changed before anyone refused it")
	}
	inv.InvalidateToken(first.AccessToken)
	second, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if second.AccessToken == first.AccessToken {
		t.Fatal("Token after InvalidateToken returned the refused token")
	}
	if _, ok := e.oauth.Validate(second.AccessToken); !ok {
		t.Error("the new token is not valid at the token endpoint")
	}
	// A second request refused with the old token must not throw away the
	// new one.
	inv.InvalidateToken(first.AccessToken)
	if third, _ := ts.Token(); third.AccessToken != second.AccessToken {
		t.Error("a stale refusal dropped the renewed token")
	}
	if got := e.oauth.TokenRequests(); got != 2 {
		t.Errorf("%d token requests, want 2", got)
	}
	if got := e.secrets.Calls("AccessSecretVersion"); got != 1 {
		t.Errorf("%d secret reads, want 1: renewing the access token needs no re-read", got)
	}
}

// TestEchoingTokenEndpointRedacted: what such an endpoint sends back never
// reaches an error message or a log line; the OAuth error code and a
// cleaned description do.
func TestEchoingTokenEndpointRedacted(t *testing.T) {
	e := newEnv(t)
	echo := oauthtest.NewEchoingTokenEndpoint()
	t.Cleanup(echo.Close)
	logs := &syncBuffer{}
	logger := cloudlog.New(logs, slog.LevelDebug)
	tests := []struct {
		refresh string
		want    []string
	}{
		{"1//echo-Plain", []string{"400", "without an OAuth error code"}},
		{"1//echo-json", []string{"400 invalid_request", "description withheld"}},
	}
	for _, tt := range tests {
		s := e.store(t, tokens.Options{DefaultSecret: e.addPayload(t, "projects/p/secrets/echo"+strings.ToLower(strings.TrimPrefix(tt.refresh, "1//echo")), userPayload(echo.URL, tt.refresh))})
		_, err := token(t.Context(), s, "")
		if err == nil {
			t.Fatalf("%s: got a token from an endpoint that only fails", tt.refresh)
		}
		logger.Error("token failed: "+err.Error(), "err", err)
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", tt.refresh, err, w)
			}
		}
		checkNoSecrets(t, "error of "+tt.refresh, err.Error(), clientSecret, tt.refresh, "refresh_token=", "client_secret=")
	}
	checkNoSecrets(t, "logs", logs.String()+e.logs.String(), clientSecret, "1//echo", "refresh_token=", "client_secret=")
}
