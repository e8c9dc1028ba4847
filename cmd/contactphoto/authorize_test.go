package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/oauth2"

	"github.com/contactphoto/contactphoto/tokens"
	"github.com/contactphoto/contactphoto/tokens/oauthtest"
	"github.com/contactphoto/contactphoto/tokens/secrettest"
)

const (
	testClientID     = "123-desktop.apps.googleusercontent.com"
	testClientSecret = "GOCSPX-desktop-secret"
)

// authorizeEnv is Google's OAuth endpoints and Secret Manager on 127.0.0.1
// and a client_secret.json that points at them.
type authorizeEnv struct {
	oauth        *oauthtest.Server
	secrets      *secrettest.Server
	sm           *secretmanager.Client
	clientSecret string // path
}

func newAuthorizeEnv(t *testing.T) *authorizeEnv {
	t.Helper()
	oauth := oauthtest.NewServer()
	t.Cleanup(oauth.Close)
	oauth.AddClient(testClientID, testClientSecret)
	oauth.ConsentAs("me@example.com")
	secrets, err := secrettest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(secrets.Close)
	t.Setenv("SECRET_MANAGER_EMULATOR_HOST", secrets.Addr)
	sm, err := tokens.NewSecretClient(context.Background(), secrets.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close() })

	// The shape the console downloads for a Desktop app client.
	file := filepath.Join(t.TempDir(), "client_secret.json")
	writeJSON(t, file, map[string]any{"installed": map[string]any{
		"client_id":                   testClientID,
		"project_id":                  "my-project",
		"auth_uri":                    oauth.AuthURL(),
		"token_uri":                   oauth.TokenURL(),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_secret":               testClientSecret,
		"redirect_uris":               []string{"http://localhost"},
	}})
	return &authorizeEnv{oauth: oauth, secrets: secrets, sm: sm, clientSecret: file}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// browser plays the user: it reads the command's output, and follows the
// authorization URL when it is printed, handing it to visit.
type browser struct {
	w     *io.PipeWriter
	mu    sync.Mutex
	out   strings.Builder
	found chan string
}

func newBrowser() *browser {
	r, w := io.Pipe()
	b := &browser{w: w, found: make(chan string, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			b.mu.Lock()
			b.out.WriteString(line + "\n")
			b.mu.Unlock()
			if u, ok := strings.CutPrefix(line, "  "); ok && strings.Contains(u, "/o/oauth2/auth?") {
				select {
				case b.found <- u:
				default:
				}
			}
		}
	}()
	return b
}

func (b *browser) Write(p []byte) (int, error) { return b.w.Write(p) }

func (b *browser) output() string {
	b.w.Close()
	// Let the scanner drain what was written.
	time.Sleep(10 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// runWithBrowser runs authorize with args while visit acts on the printed
// URL, and returns the command's output and error.
func runWithBrowser(t *testing.T, args []string, visit func(authURL string)) (string, error) {
	t.Helper()
	b := newBrowser()
	var stderr strings.Builder
	done := make(chan error, 1)
	go func() { done <- runAuthorize(t.Context(), args, b, &stderr) }()
	select {
	case u := <-b.found:
		if visit != nil {
			visit(u)
		}
	case err := <-done:
		return b.output() + stderr.String(), err
	case <-time.After(10 * time.Second):
		t.Fatal("authorize printed no URL")
	}
	select {
	case err := <-done:
		return b.output() + stderr.String(), err
	case <-time.After(10 * time.Second):
		t.Fatal("authorize did not finish after the browser came back")
	}
	return "", nil
}

// follow opens authURL like a browser and returns the final page.
func follow(t *testing.T, authURL string) (int, string) {
	t.Helper()
	resp, err := http.Get(authURL)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestAuthorizeToSecret(t *testing.T) {
	e := newAuthorizeEnv(t)
	const secret = "projects/my-project/secrets/contacts-token"
	var authURL string
	for i, wantVersion := range []string{secret + "/versions/1", secret + "/versions/2"} {
		out, err := runWithBrowser(t, []string{"--client-secret", e.clientSecret, "--secret", secret, "--no-browser"}, func(u string) {
			authURL = u
			status, page := follow(t, u)
			if status != http.StatusOK || !strings.Contains(page, "contactphoto is authorized") {
				t.Errorf("browser landed on %d %q", status, page)
			}
		})
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, out)
		}
		if created := strings.Contains(out, "Created secret "+secret); created != (i == 0) {
			t.Errorf("run %d: output says created=%v:\n%s", i, created, out)
		}
		for _, want := range []string{
			"Stored the credentials as " + wantVersion,
			"contactphoto set --secret " + secret,
			"TOKEN_SECRET=" + secret + "/versions/latest",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("run %d: output lacks %q:\n%s", i, want, out)
			}
		}
		checkNoSecretMaterial(t, out, e)
		t.Logf("run %d output:\n%s", i, out)
	}

	// The URL asked for what the function needs.
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, want := range map[string]string{
		"access_type": "offline", "prompt": "consent", "scope": tokens.Scope,
		"code_challenge_method": "S256", "response_type": "code", "client_id": testClientID,
	} {
		if q.Get(k) != want {
			t.Errorf("authorization URL has %s=%q, want %q", k, q.Get(k), want)
		}
	}
	if !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") || q.Get("state") == "" || q.Get("code_challenge") == "" {
		t.Errorf("authorization URL lacks a loopback redirect, state or challenge: %s", authURL)
	}

	// The function can use what was stored.
	s, err := tokens.New(e.sm, tokens.Options{DefaultSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := s.TokenSource(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if account, ok := e.oauth.Validate(tok.AccessToken); !ok || account != "me@example.com" {
		t.Errorf("the stored credentials give a token for %q, %v; want me@example.com", account, ok)
	}
}

func TestAuthorizeToFile(t *testing.T) {
	e := newAuthorizeEnv(t)
	out := filepath.Join(t.TempDir(), "token.json")
	output, err := runWithBrowser(t, []string{"--client-secret", e.clientSecret, "--out", out, "--no-browser"}, func(u string) { follow(t, u) })
	if err != nil {
		t.Fatalf("%v\n%s", err, output)
	}
	if !strings.Contains(output, "contactphoto set --token-file "+out) {
		t.Errorf("output does not say how to check the file:\n%s", output)
	}
	checkNoSecretMaterial(t, output, e)
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got tokens.AuthorizedUser
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := tokens.AuthorizedUser{Type: "authorized_user", ClientID: testClientID, ClientSecret: testClientSecret, TokenURI: e.oauth.TokenURL()}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(tokens.AuthorizedUser{}, "RefreshToken")); diff != "" {
		t.Errorf("credentials file (-want +got):\n%s", diff)
	}
	conf := &oauth2.Config{ClientID: got.ClientID, ClientSecret: got.ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: got.TokenURI, AuthStyle: oauth2.AuthStyleInParams}}
	tok, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: got.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("the written refresh token does not work: %v", err)
	}
	if account, _ := e.oauth.Validate(tok.AccessToken); account != "me@example.com" {
		t.Errorf("token belongs to %q", account)
	}
}

func TestAuthorizeFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(e *authorizeEnv)
		visit func(t *testing.T, authURL string)
		want  string
	}{
		{
			name:  "consent denied",
			setup: func(e *authorizeEnv) { e.oauth.ConsentAs("") },
			visit: func(t *testing.T, u string) { follow(t, u) },
			want:  "access_denied",
		},
		{
			name: "wrong state",
			visit: func(t *testing.T, u string) {
				// A page elsewhere sends the browser to the loopback
				// address with a code of its own.
				au, _ := url.Parse(u)
				cb := au.Query().Get("redirect_uri") + "?state=forged&code=4/0Aforged"
				if status, _ := follow(t, cb); status != http.StatusBadRequest {
					t.Errorf("forged redirect answered %d, want 400", status)
				}
			},
			want: "wrong state",
		},
		{
			name:  "client secret reset in the console",
			setup: func(e *authorizeEnv) { e.oauth.AddClient(testClientID, "GOCSPX-new") },
			visit: func(t *testing.T, u string) { follow(t, u) },
			want:  "invalid_client",
		},
		{
			name: "browser never returns",
			want: "did not return within 200ms",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAuthorizeEnv(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			var visit func(string)
			if tc.visit != nil {
				visit = func(u string) { tc.visit(t, u) }
			}
			out, err := runWithBrowser(t, []string{"--client-secret", e.clientSecret, "--secret", "projects/p/secrets/s",
				"--no-browser", "--timeout", "200ms"}, visit)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q\n%s", err, tc.want, out)
			}
			var ue *usageError
			if errors.As(err, &ue) {
				t.Errorf("a failure was reported as a usage error: %v", err)
			}
			if got := e.secrets.Calls("AddSecretVersion"); got != 0 {
				t.Errorf("a failed authorization stored %d versions", got)
			}
		})
	}
}

func TestAuthorizeUsage(t *testing.T) {
	dir := t.TempDir()
	web := filepath.Join(dir, "web.json")
	writeJSON(t, web, map[string]any{"web": map[string]any{"client_id": "x", "client_secret": "y", "redirect_uris": []string{"https://example.com/cb"}}})
	garbage := filepath.Join(dir, "garbage.json")
	if err := os.WriteFile(garbage, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no flags", nil, true, "--client-secret is required"},
		{"neither destination", []string{"--client-secret", web}, true, "exactly one of --secret and --out"},
		{"both destinations", []string{"--client-secret", web, "--secret", "projects/p/secrets/s", "--out", "x.json"}, true, "exactly one"},
		{"secret version", []string{"--client-secret", web, "--secret", "projects/p/secrets/s/versions/3"}, true, "is a secret version"},
		{"bad secret", []string{"--client-secret", web, "--secret", "contacts"}, true, "not a secret name"},
		{"extra argument", []string{"--client-secret", web, "--out", "x.json", "extra"}, true, "unexpected argument"},
		{"unknown flag", []string{"--client", web}, true, "flag provided but not defined"},
		{"web client", []string{"--client-secret", web, "--out", filepath.Join(dir, "o.json")}, false, "Desktop app"},
		{"not JSON", []string{"--client-secret", garbage, "--out", filepath.Join(dir, "o.json")}, false, "not an OAuth client JSON"},
		{"missing file", []string{"--client-secret", filepath.Join(dir, "none.json"), "--out", filepath.Join(dir, "o.json")}, false, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := runAuthorize(t.Context(), tc.args, &stdout, &stderr)
			var ue *usageError
			if err == nil || errors.As(err, &ue) != tc.usage || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v (usage %v), want usage=%v saying %q", err, errors.As(err, &ue), tc.usage, tc.want)
			}
		})
	}
	// Through the dispatcher: exit code 2 for usage, 1 for failure.
	var stdout, stderr strings.Builder
	if code := run(t.Context(), []string{"authorize"}, &stdout, &stderr); code != 2 {
		t.Errorf("exit code for a usage error = %d, want 2", code)
	}
	if code := run(t.Context(), []string{"authorize", "--client-secret", web, "--out", filepath.Join(dir, "o.json")}, &stdout, &stderr); code != 1 {
		t.Errorf("exit code for a failure = %d, want 1", code)
	}
}

// checkNoSecretMaterial fails if output shows the client secret or a
// refresh or access token the stand-in issued.
func checkNoSecretMaterial(t *testing.T, output string, e *authorizeEnv) {
	t.Helper()
	for _, marker := range []string{testClientSecret, "1//", "ya29."} {
		if strings.Contains(output, marker) {
			t.Errorf("output contains secret material (%q):\n%s", marker, output)
		}
	}
}
