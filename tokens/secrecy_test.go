package tokens_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/tokens"
)

// TestNoSecretMaterial runs every path, good and bad, with debug logging
// in the Cloud Logging shape, logs each error the way the function does,
// and then looks for the client secret, refresh tokens and access tokens in
// everything that was written.
func TestNoSecretMaterial(t *testing.T) {
	e := newEnv(t)
	logs := &syncBuffer{}
	logger := cloudlog.New(logs, slog.LevelDebug)
	caller := e.oauth.AddServiceAccount(delegatingSA)
	e.oauth.AddDelegation(delegatingSA, subject, "alice")
	for _, rt := range []string{"1//good", "1//revoked", "1//old", "1//rotated"} {
		e.oauth.AddRefreshToken(clientID, rt, "me@example.com")
	}
	e.oauth.Revoke("1//revoked")

	accounts := map[string]string{
		"good":     e.addUser(t, "projects/p/secrets/good", "1//good"),
		"revoked":  e.addUser(t, "projects/p/secrets/revoked", "1//revoked"),
		"rotated":  e.addUser(t, "projects/p/secrets/rotated", "1//old"),
		"dwd":      e.addPayload(t, "projects/p/secrets/dwd", delegationPayload(delegatingSA, subject)),
		"garbled":  e.addPayload(t, "projects/p/secrets/garbled", []byte(`{"client_secret":"`+clientSecret+`","refresh_token":"1//good"`)),
		"corrupt":  e.addUser(t, "projects/p/secrets/corrupt", "1//good"),
		"badhost":  e.addPayload(t, "projects/p/secrets/badhost", userPayload("http://evil.example.com/token", "1//good")),
		"nosecret": "projects/p/secrets/missing/versions/latest",
	}
	if err := e.secrets.CorruptData(accounts["corrupt"]); err != nil {
		t.Fatal(err)
	}
	s, err := tokens.New(e.sm, tokens.Options{Accounts: accounts, Logger: logger, DelegationClient: e.callerClient(caller)})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := s.TokenSource(t.Context(), "rotated")
	if err != nil {
		t.Fatal(err)
	}
	e.oauth.Revoke("1//old")
	e.addUser(t, "projects/p/secrets/rotated", "1//rotated")
	if _, err := ts.Token(); err != nil {
		t.Fatal(err)
	}

	var issued []string
	var errs []error
	for _, account := range []string{"good", "revoked", "rotated", "dwd", "garbled", "corrupt", "badhost", "nosecret", "unknown"} {
		tok, err := token(t.Context(), s, account)
		if err != nil {
			errs = append(errs, err)
			logger.Error("token failed", "account", account, "err", err)
			continue
		}
		issued = append(issued, tok.AccessToken)
		logger.Info("token ok", "account", account)
	}
	e.oauth.FailNext(1, http.StatusServiceUnavailable)
	s2 := e.store(t, tokens.Options{DefaultSecret: accounts["good"]})
	if _, err := token(t.Context(), s2, ""); err != nil {
		errs = append(errs, err)
		logger.Error("token failed", "err", err)
	}
	if len(errs) != 7 || len(issued) != 3 {
		t.Fatalf("%d errors and %d tokens, want 7 and 3: %v", len(errs), len(issued), errs)
	}

	var text strings.Builder
	text.WriteString(logs.String())
	text.WriteString(e.logs.String())
	for _, err := range errs {
		fmt.Fprintf(&text, "%v\n%+v\n%#v\n", err, err, err.Error())
	}
	secrets := append([]string{clientSecret, "1//good", "1//revoked", "1//old", "1//rotated", caller, "ya29."}, issued...)
	checkNoSecrets(t, "logs and errors", text.String(), secrets...)
	if !strings.Contains(logs.String(), `"severity":"DEBUG"`) || !strings.Contains(logs.String(), "projects/p/secrets/rotated/versions/2") {
		t.Errorf("the store logged too little to be checked:\n%s", logs)
	}
}
