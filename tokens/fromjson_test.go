package tokens_test

import (
	"strings"
	"testing"

	"github.com/contactphoto/contactphoto/tokens"
)

func TestNewFromJSON(t *testing.T) {
	e := newEnv(t)
	e.oauth.AddRefreshToken(clientID, "1//file", "me@example.com")
	s, err := tokens.NewFromJSON("token.json", userPayload(e.oauth.TokenURL(), "1//file"), tokens.Options{Logger: e.log})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := token(t.Context(), s, "")
	if err != nil {
		t.Fatal(err)
	}
	if account, _ := e.oauth.Validate(tok.AccessToken); account != "me@example.com" {
		t.Errorf("token belongs to %q", account)
	}
	if _, err := s.TokenSource(t.Context(), "alice"); kindOf(t, err) != tokens.UnknownAccount {
		t.Errorf("other account: %v, want UnknownAccount", err)
	}

	// A revoked token names the file to write again; there is no secret
	// to re-read.
	e.oauth.Revoke("1//file")
	e.oauth.SetTokenLifetime(0)
	s, err = tokens.NewFromJSON("token.json", userPayload(e.oauth.TokenURL(), "1//file"), tokens.Options{Logger: e.log})
	if err != nil {
		t.Fatal(err)
	}
	_, err = token(t.Context(), s, "")
	if kindOf(t, err) != tokens.AuthRevoked {
		t.Fatalf("revoked: %v, want AuthRevoked", err)
	}
	if want := "contactphoto authorize --client-secret client_secret.json --out token.json"; !strings.Contains(err.Error(), want) {
		t.Errorf("error does not say %q:\n%v", want, err)
	}
	if got := e.secrets.Calls("AccessSecretVersion"); got != 0 {
		t.Errorf("Secret Manager was called %d times", got)
	}

	_, err = tokens.NewFromJSON("token.json", []byte(`{"type":"authorized_user","client_secret":"`+clientSecret+`"}`), tokens.Options{})
	if kindOf(t, err) != tokens.InvalidSecret || !strings.Contains(err.Error(), "token.json") {
		t.Errorf("invalid payload: %v, want InvalidSecret naming token.json", err)
	}
	checkNoSecrets(t, "error", err.Error(), clientSecret)
}
