package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactphoto/contactphoto/internal/localstack"
	"github.com/contactphoto/contactphoto/tokens"
	"github.com/contactphoto/contactphoto/tokens/oauthtest"
)

// A token endpoint that echoes the request back puts the client secret and
// the refresh token (or the authorization code and its PKCE verifier) into
// its error. The commands report the failure without any of it.

func TestSetEchoingTokenEndpoint(t *testing.T) {
	echo := oauthtest.NewEchoingTokenEndpoint()
	t.Cleanup(echo.Close)
	const refresh = "1//0gEchoedRefreshTokenForSet0123456789"
	for _, rt := range []string{refresh, refresh + "Plain"} {
		stack := startStack(t, nil)
		stack.People.AddContact("", "people/c101")
		dir := t.TempDir()
		payload, err := json.Marshal(tokens.AuthorizedUser{
			Type: tokens.TypeAuthorizedUser, ClientID: localstack.ClientID, ClientSecret: localstack.ClientSecret,
			RefreshToken: rt, TokenURI: echo.URL,
		})
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "token.json")
		if err := os.WriteFile(file, payload, 0o600); err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(dir, "portrait.jpg")
		writeFile(t, in, testPhoto(t, 1))
		code, out, errOut := runCLI(context.Background(), "set", "--token-file", file, "c101", in)
		if code == 0 {
			t.Fatalf("set succeeded against a token endpoint that only fails:\n%s", out)
		}
		all := out + errOut
		if !strings.Contains(all, "token endpoint answered 400") {
			t.Errorf("the output does not say what the token endpoint answered:\n%s", all)
		}
		for _, secret := range []string{localstack.ClientSecret, refresh, "client_secret=", "refresh_token="} {
			if strings.Contains(all, secret) {
				t.Errorf("the output holds %q:\n%s", secret, all)
			}
		}
	}
}

func TestAuthorizeEchoingTokenEndpoint(t *testing.T) {
	e := newAuthorizeEnv(t)
	echo := oauthtest.NewEchoingTokenEndpoint()
	t.Cleanup(echo.Close)
	writeJSON(t, e.clientSecret, map[string]any{"installed": map[string]any{
		"client_id":     testClientID,
		"auth_uri":      e.oauth.AuthURL(),
		"token_uri":     echo.URL,
		"client_secret": testClientSecret,
		"redirect_uris": []string{"http://localhost"},
	}})
	out, err := runWithBrowser(t, []string{"--client-secret", e.clientSecret, "--secret", "projects/p/secrets/s", "--no-browser"},
		func(u string) { follow(t, u) })
	if err == nil {
		t.Fatalf("authorize succeeded against a token endpoint that only fails:\n%s", out)
	}
	all := out + err.Error()
	if !strings.Contains(all, "token endpoint answered 400 invalid_request") {
		t.Errorf("the error does not say what the token endpoint answered: %v", err)
	}
	checkNoSecretMaterial(t, all, e)
	for _, echoed := range []string{"code_verifier=", "code=", "client_secret="} {
		if strings.Contains(all, echoed) {
			t.Errorf("the output holds %q:\n%s", echoed, all)
		}
	}
}
