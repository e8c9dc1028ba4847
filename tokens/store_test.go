package tokens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"

	"github.com/contactphoto/contactphoto/tokens"
	"github.com/contactphoto/contactphoto/tokens/oauthtest"
	"github.com/contactphoto/contactphoto/tokens/secrettest"
)

const (
	clientID     = "123-abc.apps.googleusercontent.com"
	clientSecret = "GOCSPX-client-secret-value"
)

// env is Secret Manager and Google's OAuth endpoints on 127.0.0.1, with a
// log that records everything the Store says.
type env struct {
	secrets *secrettest.Server
	oauth   *oauthtest.Server
	sm      *secretmanager.Client
	logs    *syncBuffer
	log     *slog.Logger
}

func newEnv(t *testing.T) *env {
	t.Helper()
	secrets, err := secrettest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(secrets.Close)
	oauth := oauthtest.NewServer()
	t.Cleanup(oauth.Close)
	oauth.AddClient(clientID, clientSecret)
	sm, err := tokens.NewSecretClient(context.Background(), secrets.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close() })
	logs := &syncBuffer{}
	return &env{
		secrets: secrets,
		oauth:   oauth,
		sm:      sm,
		logs:    logs,
		log:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// addUser stores authorized_user credentials for refreshToken in secret
// and returns the version name.
func (e *env) addUser(t *testing.T, secret, refreshToken string) string {
	t.Helper()
	return e.addPayload(t, secret, userPayload(e.oauth.TokenURL(), refreshToken))
}

func (e *env) addPayload(t *testing.T, secret string, payload []byte) string {
	t.Helper()
	v, err := e.secrets.AddVersion(secret, payload)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func userPayload(tokenURI, refreshToken string) []byte {
	b, err := json.Marshal(tokens.AuthorizedUser{
		Type: tokens.TypeAuthorizedUser, ClientID: clientID, ClientSecret: clientSecret,
		RefreshToken: refreshToken, TokenURI: tokenURI,
	})
	if err != nil {
		panic(err)
	}
	return b
}

func (e *env) store(t *testing.T, opt tokens.Options) *tokens.Store {
	t.Helper()
	opt.Logger = e.log
	s, err := tokens.New(e.sm, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// token gets account's token source from s and a token from it.
func token(ctx context.Context, s *tokens.Store, account string) (*oauth2.Token, error) {
	ts, err := s.TokenSource(ctx, account)
	if err != nil {
		return nil, err
	}
	return ts.Token()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// checkNoSecrets fails if text contains any of the secrets.
func checkNoSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains secret material %q:\n%s", what, s, text)
		}
	}
}

func kindOf(t *testing.T, err error) tokens.Kind {
	t.Helper()
	var te *tokens.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) is not a *tokens.Error", err, err)
	}
	return te.Kind
}

func TestAuthorizedUser(t *testing.T) {
	e := newEnv(t)
	e.oauth.AddRefreshToken(clientID, "1//refresh-default", "me@example.com")
	version := e.addUser(t, "projects/p/secrets/contacts", "1//refresh-default")
	s := e.store(t, tokens.Options{DefaultSecret: version})

	tok, err := token(t.Context(), s, "")
	if err != nil {
		t.Fatal(err)
	}
	if account, ok := e.oauth.Validate(tok.AccessToken); !ok || account != "me@example.com" {
		t.Errorf("Validate(token) = %q, %v; want me@example.com, true", account, ok)
	}
	if until := time.Until(tok.Expiry); until < 50*time.Minute || until > time.Hour {
		t.Errorf("token expires in %v, want about an hour", until)
	}
	checkNoSecrets(t, "log", e.logs.String(), clientSecret, "1//refresh-default", tok.AccessToken)
}

func TestTokenReuse(t *testing.T) {
	e := newEnv(t)
	e.oauth.AddRefreshToken(clientID, "1//refresh", "me@example.com")
	s := e.store(t, tokens.Options{DefaultSecret: e.addUser(t, "projects/p/secrets/contacts", "1//refresh")})

	// 100 invocations, each asking the store for the account's source and
	// a token, as the function does.
	const invocations = 100
	seen := make(map[string]bool)
	for range invocations {
		tok, err := token(t.Context(), s, "")
		if err != nil {
			t.Fatal(err)
		}
		seen[tok.AccessToken] = true
	}
	t.Logf("token requests for %d invocations: %d; secret reads: %d", invocations, e.oauth.TokenRequests(), e.secrets.Calls("AccessSecretVersion"))
	if got := e.oauth.TokenRequests(); got != 1 {
		t.Errorf("token requests for %d invocations = %d, want 1", invocations, got)
	}
	if got := e.secrets.Calls("AccessSecretVersion"); got != 1 {
		t.Errorf("secret reads for %d invocations = %d, want 1", invocations, got)
	}
	if len(seen) != 1 {
		t.Errorf("%d distinct access tokens, want 1", len(seen))
	}
}

func TestTokenReuseConcurrent(t *testing.T) {
	e := newEnv(t)
	e.oauth.AddRefreshToken(clientID, "1//refresh", "me@example.com")
	s := e.store(t, tokens.Options{DefaultSecret: e.addUser(t, "projects/p/secrets/contacts", "1//refresh")})

	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			if _, err := token(t.Context(), s, ""); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.oauth.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
	if got := e.secrets.Calls("AccessSecretVersion"); got != 1 {
		t.Errorf("secret reads = %d, want 1", got)
	}
}

func TestTokenRefreshedAfterExpiry(t *testing.T) {
	e := newEnv(t)
	e.oauth.AddRefreshToken(clientID, "1//refresh", "me@example.com")
	// oauth2 treats a token as expired 10 s early: this one is good for
	// about one second.
	e.oauth.SetTokenLifetime(11 * time.Second)
	s := e.store(t, tokens.Options{DefaultSecret: e.addUser(t, "projects/p/secrets/contacts", "1//refresh")})

	first, err := token(t.Context(), s, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := token(t.Context(), s, ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.oauth.TokenRequests(); got != 1 {
		t.Fatalf("token requests before expiry = %d, want 1", got)
	}
	time.Sleep(time.Until(first.Expiry.Add(-10*time.Second)) + 50*time.Millisecond)
	second, err := token(t.Context(), s, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.oauth.TokenRequests(); got != 2 {
		t.Errorf("token requests after expiry = %d, want 2", got)
	}
	if second.AccessToken == first.AccessToken {
		t.Error("the expired access token was returned again")
	}
}

func TestSeveralAccounts(t *testing.T) {
	e := newEnv(t)
	e.oauth.AddRefreshToken(clientID, "1//default", "office@example.com")
	e.oauth.AddRefreshToken(clientID, "1//alice", "alice@example.com")
	e.oauth.AddRefreshToken(clientID, "1//bob", "bob@example.com")
	accounts, err := tokens.ParseAccounts("alice=" + e.addUser(t, "projects/p/secrets/alice", "1//alice") +
		", bob=projects/p/secrets/bob")
	if err != nil {
		t.Fatal(err)
	}
	e.addUser(t, "projects/p/secrets/bob", "1//bob")
	s := e.store(t, tokens.Options{
		DefaultSecret: e.addUser(t, "projects/p/secrets/office", "1//default"),
		Accounts:      accounts,
	})

	for _, tc := range []struct{ account, want string }{
		{"", "office@example.com"},
		{"alice", "alice@example.com"},
		{"bob", "bob@example.com"},
	} {
		t.Run("account="+tc.account, func(t *testing.T) {
			tok, err := token(t.Context(), s, tc.account)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := e.oauth.Validate(tok.AccessToken); got != tc.want {
				t.Errorf("token belongs to %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUnknownAccount(t *testing.T) {
	e := newEnv(t)
	withDefault := e.store(t, tokens.Options{
		DefaultSecret: "projects/p/secrets/office/versions/latest",
		Accounts:      map[string]string{"alice": "projects/p/secrets/alice/versions/1"},
	})
	onlyAccounts := e.store(t, tokens.Options{Accounts: map[string]string{"alice": "projects/p/secrets/alice/versions/1"}})

	for _, tc := range []struct {
		name    string
		store   *tokens.Store
		account string
		want    string
	}{
		{"not in ACCOUNTS", withDefault, "carol", `account "carol"`},
		{"no default account", onlyAccounts, "", "TOKEN_SECRET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.store.TokenSource(t.Context(), tc.account)
			if kindOf(t, err) != tokens.UnknownAccount {
				t.Errorf("kind = %v, want UnknownAccount (%v)", kindOf(t, err), err)
			}
			var p interface{ Permanent() bool }
			if !errors.As(err, &p) || !p.Permanent() {
				t.Errorf("error %v is not permanent", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	if got := e.secrets.Calls("AccessSecretVersion"); got != 0 {
		t.Errorf("an unknown account read %d secrets", got)
	}
}

func TestNewRejectsBadNames(t *testing.T) {
	e := newEnv(t)
	for _, opt := range []tokens.Options{
		{DefaultSecret: "contacts"},
		{DefaultSecret: "projects/p/secrets/s/versions/"},
		{DefaultSecret: "projects/p/secrets/../versions/1"},
		{Accounts: map[string]string{"alice": "projects/p/secrets/a b"}},
		{Accounts: map[string]string{"a=b": "projects/p/secrets/s"}},
		{Accounts: map[string]string{"": "projects/p/secrets/s"}},
	} {
		if _, err := tokens.New(e.sm, opt); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", opt)
		}
	}
	for _, s := range []string{"alice", "alice=", "=projects/p/secrets/s", "a=projects/p/secrets/s,a=projects/p/secrets/t"} {
		if _, err := tokens.ParseAccounts(s); err == nil {
			t.Errorf("ParseAccounts(%q) succeeded, want an error", s)
		}
	}
}

func TestParseAccounts(t *testing.T) {
	got, err := tokens.ParseAccounts("alice=projects/p/secrets/alice/versions/latest, bob=projects/p/secrets/bob,carol=projects/123/secrets/c/versions/7")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"alice": "projects/p/secrets/alice/versions/latest",
		"bob":   "projects/p/secrets/bob/versions/latest",
		"carol": "projects/123/secrets/c/versions/7",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseAccounts (-want +got):\n%s", diff)
	}
	empty, err := tokens.ParseAccounts(" ")
	if err != nil || len(empty) != 0 {
		t.Errorf(`ParseAccounts(" ") = %v, %v; want empty`, empty, err)
	}
}

func TestInvalidSecret(t *testing.T) {
	const refresh = "1//the-refresh-token"
	for _, tc := range []struct {
		name    string
		payload string
		want    string // in the error
	}{
		{"empty", ``, "empty"},
		{"not JSON", `client_secret=` + clientSecret, "not valid JSON"},
		{"truncated JSON", `{"client_id":"` + clientID + `","client_secret":"` + clientSecret, "not valid JSON"},
		{"array", `["` + clientSecret + `"]`, "not a JSON object"},
		{"number field", `{"type":"authorized_user","client_id":5,"client_secret":"` + clientSecret + `"}`, `"client_id"`},
		{"no refresh token", `{"type":"authorized_user","client_id":"` + clientID + `","client_secret":"` + clientSecret + `"}`, "refresh_token"},
		{"no client", `{"type":"authorized_user","refresh_token":"` + refresh + `"}`, "client_id, client_secret"},
		{"service account key", `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----` + clientSecret + `"}`, "service account key"},
		{"unknown type", `{"type":"` + clientSecret + `"}`, "type is not supported"},
		{"plain http token_uri", string(userPayload("http://oauth.example.com/token", refresh)), "token_uri must be an https URL"},
		{"delegation without subject", `{"type":"impersonated_user","service_account":"sa@p.iam.gserviceaccount.com"}`, `"subject"`},
		{"delegation to a user", `{"type":"impersonated_user","service_account":"me@example.com","subject":"me@example.com"}`, "not a service account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			version := e.addPayload(t, "projects/p/secrets/contacts", []byte(tc.payload))
			s := e.store(t, tokens.Options{DefaultSecret: version})
			_, err := s.TokenSource(t.Context(), "")
			if err == nil {
				t.Fatal("TokenSource succeeded, want an error")
			}
			if kindOf(t, err) != tokens.InvalidSecret {
				t.Errorf("kind = %v, want InvalidSecret (%v)", kindOf(t, err), err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "projects/p/secrets/contacts/versions/1") {
				t.Errorf("error %q does not name the secret and %q", err, tc.want)
			}
			checkNoSecrets(t, "error", err.Error(), clientSecret, refresh, "BEGIN PRIVATE KEY")
			checkNoSecrets(t, "log", e.logs.String(), clientSecret, refresh, "BEGIN PRIVATE KEY")
		})
	}
}

func TestSecretFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(t *testing.T, e *env) string // returns the version to configure
		kind      tokens.Kind
		permanent bool
		want      string
	}{
		{
			name: "wrong checksum",
			setup: func(t *testing.T, e *env) string {
				v := e.addUser(t, "projects/p/secrets/contacts", "1//r")
				if err := e.secrets.CorruptData(v); err != nil {
					t.Fatal(err)
				}
				return "projects/p/secrets/contacts/versions/latest"
			},
			kind: tokens.InvalidSecret, permanent: true, want: "CRC32C",
		},
		{
			name:  "missing secret",
			setup: func(t *testing.T, e *env) string { return "projects/p/secrets/nothing/versions/latest" },
			kind:  tokens.SecretNotFound, permanent: true,
			want: "contactphoto authorize --client-secret client_secret.json --secret projects/p/secrets/nothing",
		},
		{
			name: "missing version",
			setup: func(t *testing.T, e *env) string {
				e.addUser(t, "projects/p/secrets/contacts", "1//r")
				return "projects/p/secrets/contacts/versions/2"
			},
			kind: tokens.SecretNotFound, permanent: true, want: "not found",
		},
		{
			name: "disabled version",
			setup: func(t *testing.T, e *env) string {
				v := e.addUser(t, "projects/p/secrets/contacts", "1//r")
				if _, err := e.sm.DisableSecretVersion(t.Context(), &secretmanagerpb.DisableSecretVersionRequest{Name: v}); err != nil {
					t.Fatal(err)
				}
				return v
			},
			kind: tokens.SecretNotFound, permanent: true, want: "DISABLED",
		},
		{
			name: "Secret Manager unavailable",
			setup: func(t *testing.T, e *env) string {
				e.addUser(t, "projects/p/secrets/contacts", "1//r")
				e.secrets.FailNext(100, codes.Unavailable)
				return "projects/p/secrets/contacts/versions/latest"
			},
			kind: tokens.Unavailable, permanent: false, want: "Unavailable",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.store(t, tokens.Options{DefaultSecret: tc.setup(t, e)})
			_, err := s.TokenSource(t.Context(), "")
			if err == nil {
				t.Fatal("TokenSource succeeded, want an error")
			}
			var te *tokens.Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v is not a *tokens.Error", err)
			}
			if te.Kind != tc.kind || te.Permanent() != tc.permanent {
				t.Errorf("kind, permanent = %v, %v; want %v, %v (%v)", te.Kind, te.Permanent(), tc.kind, tc.permanent, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestSecretManagerRetryIsBounded(t *testing.T) {
	e := newEnv(t)
	e.oauth.AddRefreshToken(clientID, "1//r", "me@example.com")
	version := e.addUser(t, "projects/p/secrets/contacts", "1//r")

	// One blip is ridden out.
	e.secrets.FailNext(1, codes.Unavailable)
	if _, err := token(t.Context(), e.store(t, tokens.Options{DefaultSecret: version}), ""); err != nil {
		t.Fatalf("after one Unavailable: %v", err)
	}
	// A longer outage is reported after two retries rather than retried
	// for a minute.
	before := e.secrets.Calls("AccessSecretVersion")
	e.secrets.FailNext(100, codes.Unavailable)
	_, err := e.store(t, tokens.Options{DefaultSecret: version}).TokenSource(t.Context(), "")
	if kindOf(t, err) != tokens.Unavailable {
		t.Errorf("kind = %v, want Unavailable", kindOf(t, err))
	}
	if got := e.secrets.Calls("AccessSecretVersion") - before; got != 3 {
		t.Errorf("attempts during an outage = %d, want 3", got)
	}
}

func TestFailedReadIsNotCached(t *testing.T) {
	e := newEnv(t)
	e.oauth.AddRefreshToken(clientID, "1//r", "me@example.com")
	s := e.store(t, tokens.Options{DefaultSecret: "projects/p/secrets/contacts"})
	if _, err := s.TokenSource(t.Context(), ""); kindOf(t, err) != tokens.SecretNotFound {
		t.Fatalf("before the secret exists: %v", err)
	}
	e.addUser(t, "projects/p/secrets/contacts", "1//r")
	if _, err := token(t.Context(), s, ""); err != nil {
		t.Fatalf("after adding the secret: %v", err)
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(e *env) []byte
		kind      tokens.Kind
		permanent bool
	}{
		{
			name: "503",
			setup: func(e *env) []byte {
				e.oauth.AddRefreshToken(clientID, "1//r", "me@example.com")
				e.oauth.FailNext(1, http.StatusServiceUnavailable)
				return userPayload(e.oauth.TokenURL(), "1//r")
			},
			kind: tokens.Unavailable,
		},
		{
			name: "unreachable",
			setup: func(e *env) []byte {
				return userPayload("http://127.0.0.1:1/token", "1//r")
			},
			kind: tokens.Unavailable,
		},
		{
			name: "unknown client",
			setup: func(e *env) []byte {
				b, _ := json.Marshal(tokens.AuthorizedUser{Type: "authorized_user", ClientID: "deleted.apps.googleusercontent.com",
					ClientSecret: clientSecret, RefreshToken: "1//r", TokenURI: e.oauth.TokenURL()})
				return b
			},
			kind: tokens.ClientRejected, permanent: true,
		},
		{
			name: "wrong client secret",
			setup: func(e *env) []byte {
				e.oauth.AddClient(clientID, "GOCSPX-reset")
				e.oauth.AddRefreshToken(clientID, "1//r", "me@example.com")
				return userPayload(e.oauth.TokenURL(), "1//r")
			},
			kind: tokens.ClientRejected, permanent: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := e.store(t, tokens.Options{DefaultSecret: e.addPayload(t, "projects/p/secrets/contacts", tc.setup(e))})
			_, err := token(t.Context(), s, "")
			var te *tokens.Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v is not a *tokens.Error", err)
			}
			if te.Kind != tc.kind || te.Permanent() != tc.permanent {
				t.Errorf("kind, permanent = %v, %v; want %v, %v (%v)", te.Kind, te.Permanent(), tc.kind, tc.permanent, err)
			}
			checkNoSecrets(t, "error", err.Error(), clientSecret, "1//r")
		})
	}
}
