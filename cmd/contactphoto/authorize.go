package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/contactphoto/contactphoto/internal/redact"
	"github.com/contactphoto/contactphoto/tokens"
)

const authorizeUsage = "--client-secret client_secret.json (--secret projects/P/secrets/S | --out file.json)"

// runAuthorize runs the OAuth installed-app flow for the contacts scope and
// stores the resulting refresh token as authorized_user credentials: a new
// version of a Secret Manager secret, or a file.
func runAuthorize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("authorize", authorizeUsage,
		"contactphoto authorize --client-secret client_secret.json --secret projects/my-project/secrets/contacts-token", stdout)
	clientSecret := fs.String("client-secret", "", "the OAuth client's `file`, downloaded from the console (a Desktop app client)")
	secret := fs.String("secret", "", "store the credentials as a new version of this `secret`, projects/P/secrets/S, creating it if missing")
	out := fs.String("out", "", "write the credentials to this `file` (mode 0600) instead")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for the browser to come back")
	port := fs.Int("port", 0, "loopback `port` for the redirect; 0 picks a free one")
	noBrowser := fs.Bool("no-browser", false, "only print the URL; don't try to open a browser")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected argument %q", fs.Arg(0))
	case *clientSecret == "":
		return usagef("--client-secret is required")
	case (*secret == "") == (*out == ""):
		return usagef("give exactly one of --secret and --out")
	case *timeout <= 0:
		return usagef("--timeout must be positive")
	case *port < 0 || *port > 65535:
		return usagef("--port must be between 0 and 65535")
	}
	if *secret != "" {
		if _, err := tokens.ParseSecretName(*secret); err != nil {
			return usagef("--secret: %v", err)
		}
	}
	conf, err := loadClientSecret(*clientSecret)
	if err != nil {
		return err
	}

	// Connect before the browser dance, so that a configuration problem
	// does not waste the user's consent.
	var store func(ctx context.Context, payload []byte) error
	if *secret != "" {
		sm, err := tokens.NewSecretClient(ctx, os.Getenv("SECRET_MANAGER_EMULATOR_HOST"))
		if err != nil {
			return fmt.Errorf("%w (sign in for Secret Manager with: gcloud auth application-default login)", err)
		}
		defer sm.Close()
		store = func(ctx context.Context, payload []byte) error {
			version, created, err := tokens.AddSecretVersion(ctx, sm, *secret, payload)
			if created {
				fmt.Fprintf(stdout, "Created secret %s.\n", *secret)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Stored the credentials as %s.\n", version)
			return nil
		}
	} else {
		store = func(_ context.Context, payload []byte) error {
			if err := writePrivateFile(*out, payload); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Wrote the credentials to %s (readable only by you).\n", *out)
			return nil
		}
	}

	tok, err := authorizeInBrowser(ctx, conf, *port, *timeout, !*noBrowser, stdout)
	if err != nil {
		return err
	}
	payload, err := json.MarshalIndent(tokens.AuthorizedUser{
		Type:         tokens.TypeAuthorizedUser,
		ClientID:     conf.ClientID,
		ClientSecret: conf.ClientSecret,
		RefreshToken: tok.RefreshToken,
		TokenURI:     conf.Endpoint.TokenURL,
	}, "", "  ")
	if err != nil {
		return err
	}
	if err := store(ctx, append(payload, '\n')); err != nil {
		return err
	}

	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "Check it by setting one contact's photo:")
	if *secret != "" {
		fmt.Fprintf(stdout, "  contactphoto set --secret %s people/c1234567890 photo.jpg\n", *secret)
		fmt.Fprintln(stdout, "Then point the function at it:")
		fmt.Fprintf(stdout, "  TOKEN_SECRET=%s/versions/latest\n", *secret)
		fmt.Fprintln(stdout, "  (or add NAME="+*secret+"/versions/latest to ACCOUNTS for a further account)")
	} else {
		fmt.Fprintf(stdout, "  contactphoto set --token-file %s people/c1234567890 photo.jpg\n", *out)
	}
	return nil
}

// loadClientSecret reads the client_secret.json of a Desktop app OAuth
// client. Its auth_uri and token_uri are used as given, which also lets
// tests point the flow at local stand-ins.
func loadClientSecret(path string) (*oauth2.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the OAuth client: %w", err)
	}
	var kind struct {
		Installed, Web json.RawMessage
	}
	if err := json.Unmarshal(data, &kind); err != nil {
		return nil, fmt.Errorf("%s is not an OAuth client JSON file as the console downloads it", path)
	}
	switch {
	case kind.Installed == nil && kind.Web != nil:
		return nil, fmt.Errorf("%s is a Web application client; create an OAuth client of type Desktop app, which may redirect to 127.0.0.1", path)
	case kind.Installed == nil:
		return nil, fmt.Errorf(`%s has no "installed" client; download the JSON of a Desktop app OAuth client from the console`, path)
	}
	conf, err := google.ConfigFromJSON(data, tokens.Scope)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if conf.ClientID == "" || conf.ClientSecret == "" {
		return nil, fmt.Errorf("%s lacks client_id or client_secret", path)
	}
	if conf.Endpoint.AuthURL == "" {
		conf.Endpoint.AuthURL = google.Endpoint.AuthURL
	}
	if conf.Endpoint.TokenURL == "" {
		conf.Endpoint.TokenURL = google.Endpoint.TokenURL
	}
	// The default style probes the endpoint twice on a 4xx.
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	return conf, nil
}

// authorizeInBrowser runs the installed-app flow with PKCE and a loopback
// redirect, and returns a token that carries a refresh token.
func authorizeInBrowser(ctx context.Context, conf *oauth2.Config, port int, timeout time.Duration, openBrowser bool, stdout io.Writer) (*oauth2.Token, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen for the browser's redirect: %w", err)
	}
	defer l.Close()
	c := *conf
	c.RedirectURL = "http://" + l.Addr().String() + "/"

	state, err := randomState()
	if err != nil {
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()
	authURL := c.AuthCodeURL(state,
		oauth2.AccessTypeOffline, // a refresh token,
		oauth2.ApprovalForce,     // every time, not only on the first consent
		oauth2.S256ChallengeOption(verifier))

	codes := make(chan callbackResult, 1)
	srv := &http.Server{Handler: callbackHandler(state, codes), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	defer srv.Close()

	fmt.Fprintf(stdout, "Open this URL in a browser, sign in as the user whose contacts to change, and allow access:\n\n  %s\n\n", authURL)
	if openBrowser && startBrowser(authURL) {
		fmt.Fprintln(stdout, "(A browser window should have opened.)")
	}
	fmt.Fprintf(stdout, "Waiting up to %v for the browser to return to %s ...\n", timeout, c.RedirectURL)

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var res callbackResult
	select {
	case res = <-codes:
	case <-timer.C:
		return nil, fmt.Errorf("the browser did not return within %v; run the command again (or raise --timeout)", timeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if res.err != nil {
		return nil, res.err
	}
	tok, err := c.Exchange(ctx, res.code, oauth2.VerifierOption(verifier))
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		// Not err itself: it holds the endpoint's raw answer, which an
		// echoing endpoint or proxy fills with the client secret and code.
		return nil, fmt.Errorf("exchange the authorization code: %s", redact.RetrieveError(re))
	}
	if err != nil {
		return nil, fmt.Errorf("exchange the authorization code: %w", err)
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("no refresh token came back from Google; remove the app's access at https://myaccount.google.com/permissions and run the command again")
	}
	return tok, nil
}

type callbackResult struct {
	code string
	err  error
}

// callbackHandler receives the authorization server's redirect. The first
// redirect decides; a wrong state ends the flow, since it means the request
// did not come from the URL this run printed.
func callbackHandler(state string, results chan<- callbackResult) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		var res callbackResult
		switch {
		case q.Get("state") != state:
			res.err = errors.New("the browser returned with the wrong state parameter; the redirect did not come from this authorization request, so it was refused")
		case q.Get("error") == "access_denied":
			res.err = errors.New("access was denied on the consent screen (error=access_denied)")
		case q.Get("error") != "":
			res.err = fmt.Errorf("the authorization server answered error=%s %s", q.Get("error"), q.Get("error_description"))
		case q.Get("code") == "":
			res.err = errors.New("the browser returned without an authorization code")
		default:
			res.code = q.Get("code")
		}
		select {
		case results <- res:
		default:
			http.Error(w, "This authorization request is already finished.", http.StatusConflict)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if res.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<!doctype html><title>contactphoto</title><p>Authorization failed: %s</p>", html.EscapeString(res.err.Error()))
			return
		}
		fmt.Fprint(w, "<!doctype html><title>contactphoto</title><p>contactphoto is authorized. You can close this tab and return to the terminal.</p>")
	})
}

func randomState() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// startBrowser opens url in the desktop's browser when there is a desktop,
// and reports whether it tried.
func startBrowser(url string) bool {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return false
		}
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return false
	}
	go cmd.Wait()
	return true
}

// writePrivateFile replaces path with data, readable only by the owner.
// The temporary file is created with mode 0600, so the credentials are
// never readable by others, not even briefly.
func writePrivateFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".contactphoto-credentials-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
