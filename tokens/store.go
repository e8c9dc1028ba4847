package tokens

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"golang.org/x/oauth2"
)

// DefaultHTTPTimeout bounds each request to the token endpoint and the IAM
// Credentials API when Options.HTTPClient is nil. Token requests cannot
// use a request's context, because the token they fetch outlives it.
const DefaultHTTPTimeout = 20 * time.Second

// rotationTimeout bounds the re-read of a secret after invalid_grant.
const rotationTimeout = 15 * time.Second

// Options configures a Store.
type Options struct {
	// DefaultSecret is the secret version of the default account (""),
	// TOKEN_SECRET: "projects/P/secrets/S/versions/latest". A secret name
	// without a version means its latest version. Empty means there is no
	// default account.
	DefaultSecret string
	// Accounts maps account names to secret versions, ACCOUNTS.
	Accounts map[string]string
	// Logger receives debug and info lines about secret reads and
	// rotations; nil means slog.Default(). Nothing secret is ever logged.
	Logger *slog.Logger
	// HTTPClient carries token endpoint requests for authorized_user
	// credentials; nil means a client with DefaultHTTPTimeout.
	HTTPClient *http.Client
	// DelegationClient carries the IAM Credentials signJwt and token
	// exchange requests of impersonated_user credentials. It must
	// authenticate as the function's service account; nil means a client
	// built from Application Default Credentials on first use.
	DelegationClient *http.Client
}

// Store hands out one cached token source per account. It is safe for
// concurrent use.
type Store struct {
	sm       *secretmanager.Client // nil for NewFromJSON
	versions map[string]string     // account name -> secret version, or a payload's source
	payload  []byte                // NewFromJSON's credentials
	log      *slog.Logger
	// ctx outlives every request: token sources keep it for refreshes.
	ctx context.Context

	delegationClient func() (*http.Client, error)

	mu       sync.Mutex
	accounts map[string]*cachedSource
}

// cachedSource is one account's token source, built once. sem serialises
// the build so that concurrent first requests read the secret once, and is
// a channel so that waiting honours the caller's context.
type cachedSource struct {
	sem chan struct{}
	ts  oauth2.TokenSource
}

// New returns a Store that reads credentials through sm. It validates the
// secret version names and account names but reads nothing yet.
func New(sm *secretmanager.Client, opt Options) (*Store, error) {
	if sm == nil {
		return nil, errors.New("tokens: New needs a Secret Manager client")
	}
	versions := make(map[string]string, len(opt.Accounts)+1)
	if opt.DefaultSecret != "" {
		v, err := ParseVersionName(opt.DefaultSecret)
		if err != nil {
			return nil, fmt.Errorf("tokens: default secret: %w", err)
		}
		versions[""] = v
	}
	for name, secret := range opt.Accounts {
		if err := checkAccountName(name); err != nil {
			return nil, err
		}
		v, err := ParseVersionName(secret)
		if err != nil {
			return nil, fmt.Errorf("tokens: account %q: %w", name, err)
		}
		versions[name] = v
	}
	return newStore(sm, versions, opt), nil
}

// NewFromJSON returns a Store whose default account uses payload, an
// authorized_user or impersonated_user JSON such as the file `contactphoto
// authorize --out` writes; source names it in errors and logs. Such a
// Store has no other accounts and cannot rotate credentials.
// opt.DefaultSecret and opt.Accounts are ignored. An invalid payload is an
// *Error of kind InvalidSecret.
func NewFromJSON(source string, payload []byte, opt Options) (*Store, error) {
	if _, err := parseCredentials(payload); err != nil {
		return nil, &Error{Kind: InvalidSecret, Secret: source, Hint: err.Error()}
	}
	s := newStore(nil, map[string]string{"": source}, opt)
	s.payload = payload
	return s, nil
}

func newStore(sm *secretmanager.Client, versions map[string]string, opt Options) *Store {
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	httpClient := opt.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	s := &Store{
		sm:       sm,
		versions: versions,
		log:      log,
		ctx:      context.WithValue(context.Background(), oauth2.HTTPClient, httpClient),
		accounts: make(map[string]*cachedSource),
	}
	if opt.DelegationClient != nil {
		s.delegationClient = func() (*http.Client, error) { return opt.DelegationClient, nil }
	} else {
		s.delegationClient = sync.OnceValues(func() (*http.Client, error) { return defaultDelegationClient(s.ctx) })
	}
	return s
}

// checkAccountName accepts the names ParseAccounts can produce.
func checkAccountName(name string) error {
	if name == "" || strings.ContainsAny(name, ",= \t\r\n") || len(name) > 128 {
		return fmt.Errorf("tokens: account name %q must be 1 to 128 characters without spaces, commas or =", name)
	}
	return nil
}

// ParseAccounts parses ACCOUNTS, a comma-separated list of
// name=secret-version pairs such as
// "alice=projects/p/secrets/alice/versions/latest,bob=projects/p/secrets/bob".
func ParseAccounts(s string) (map[string]string, error) {
	accounts := make(map[string]string)
	if strings.TrimSpace(s) == "" {
		return accounts, nil
	}
	for pair := range strings.SplitSeq(s, ",") {
		name, version, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			return nil, fmt.Errorf("tokens: %q is not name=projects/P/secrets/S/versions/V", strings.TrimSpace(pair))
		}
		if err := checkAccountName(name); err != nil {
			return nil, err
		}
		if _, dup := accounts[name]; dup {
			return nil, fmt.Errorf("tokens: account %q is listed twice", name)
		}
		v, err := ParseVersionName(version)
		if err != nil {
			return nil, fmt.Errorf("tokens: account %q: %w", name, err)
		}
		accounts[name] = v
	}
	return accounts, nil
}

// TokenSource returns the token source of account ("" is the default
// account). The first call for an account reads its secret with ctx; the
// source is then kept for the life of the Store, so access tokens are
// reused until they expire. Failed reads are not cached: a fixed secret
// works on the next call.
//
// Errors are *Error; see the package documentation for their kinds.
func (s *Store) TokenSource(ctx context.Context, account string) (oauth2.TokenSource, error) {
	version, ok := s.versions[account]
	if !ok {
		return nil, s.unknownAccount(account)
	}
	s.mu.Lock()
	c := s.accounts[account]
	if c == nil {
		c = &cachedSource{sem: make(chan struct{}, 1)}
		s.accounts[account] = c
	}
	s.mu.Unlock()

	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, failure(account, version, ctx.Err())
	}
	defer func() { <-c.sem }()
	if c.ts != nil {
		return c.ts, nil
	}
	a := &accountSource{store: s, name: account, version: version}
	if err := a.load(ctx, version); err != nil {
		return nil, err
	}
	c.ts = &reusedSource{src: a}
	return c.ts, nil
}

func (s *Store) unknownAccount(account string) *Error {
	names := make([]string, 0, len(s.versions))
	for n := range s.versions {
		if n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	e := &Error{Kind: UnknownAccount, Account: account}
	switch {
	case account == "":
		e.Hint = "there is no default account: set TOKEN_SECRET, or name an account in the object's account metadata"
	case len(names) == 0:
		e.Hint = "ACCOUNTS is empty; add name=projects/P/secrets/S/versions/latest for it"
	default:
		e.Hint = "it is not in ACCOUNTS (" + strings.Join(names, ", ") + ")"
	}
	return e
}

// reusedSource is oauth2.ReuseTokenSource that can also forget a token:
// it hands out the cached access token until it expires, and
// InvalidateToken drops it when the People API refuses it (401) although
// it has not expired by the local clock. The next Token then fetches a new
// one with the same, still good, refresh token.
type reusedSource struct {
	mu  sync.Mutex // serialises Token, as ReuseTokenSource does
	src *accountSource
	tok *oauth2.Token
}

func (r *reusedSource) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tok.Valid() {
		return r.tok, nil
	}
	tok, err := r.src.Token()
	if err != nil {
		return nil, err
	}
	r.tok = tok
	return tok, nil
}

// InvalidateToken drops accessToken if it is the cached one, so that a
// token refused by the API is not sent again. A token that was already
// replaced is left alone: concurrent requests refused with the same old
// token renew it once.
func (r *reusedSource) InvalidateToken(accessToken string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tok == nil || r.tok.AccessToken != accessToken {
		return
	}
	r.tok = nil
	r.src.renew()
	r.src.store.log.Info("access token refused by the API before its expiry; fetching a new one", "account", r.src.name)
}

// accountSource fetches fresh tokens for one account and, when the refresh
// token turns out revoked, re-reads the secret's latest version once in
// case a new one was added. reusedSource wraps it, caching the token and
// serialising calls to Token.
type accountSource struct {
	store   *Store
	name    string
	version string // configured secret version

	resolved string   // version the current credentials came from
	sum      [32]byte // of the payload, to tell whether a re-read found anything new
	creds    *credentials
	src      oauth2.TokenSource // nil: build from creds on the next Token
}

// renew makes the next Token fetch a new access token: the source built
// from the credentials caches one of its own.
func (a *accountSource) renew() { a.src = nil }

// load reads version and makes its credentials current.
func (a *accountSource) load(ctx context.Context, version string) error {
	if a.store.sm == nil {
		return a.use(a.store.payload, version)
	}
	data, resolved, err := AccessSecret(ctx, a.store.sm, version)
	if err != nil {
		return failure(a.name, version, err)
	}
	return a.use(data, resolved)
}

func (a *accountSource) use(data []byte, resolved string) error {
	creds, err := parseCredentials(data)
	if err != nil {
		return &Error{Kind: InvalidSecret, Account: a.name, Secret: resolved, Hint: err.Error()}
	}
	src, err := a.store.newSource(creds)
	if err != nil {
		return failure(a.name, resolved, err)
	}
	a.src, a.creds, a.sum, a.resolved = src, creds, sha256.Sum256(data), resolved
	a.store.log.Debug("token secret read", "account", a.name, "secret_version", resolved, "type", creds.kind())
	return nil
}

func (a *accountSource) Token() (*oauth2.Token, error) {
	if a.src == nil {
		src, err := a.store.newSource(a.creds)
		if err != nil {
			return nil, failure(a.name, a.resolved, err)
		}
		a.src = src
	}
	tok, err := a.src.Token()
	if err == nil {
		return tok, nil
	}
	if classify(err) != AuthRevoked {
		return nil, failure(a.name, a.resolved, err)
	}
	revoked := failure(a.name, a.resolved, err)
	if a.store.sm == nil {
		return nil, revoked
	}

	ctx, cancel := context.WithTimeout(a.store.ctx, rotationTimeout)
	defer cancel()
	latest := latestOf(a.version)
	data, resolved, rerr := AccessSecret(ctx, a.store.sm, latest)
	if rerr != nil {
		// The token is revoked either way; a transient read failure is
		// worth a retry, anything else leaves the revocation to report.
		if classify(rerr) == Unavailable {
			return nil, failure(a.name, latest, rerr)
		}
		return nil, revoked
	}
	if sha256.Sum256(data) == a.sum {
		return nil, revoked
	}
	if err := a.use(data, resolved); err != nil {
		return nil, err
	}
	a.store.log.Info("token secret changed after the refresh token was refused; using the new version",
		"account", a.name, "secret_version", resolved)
	tok, err = a.src.Token()
	if err != nil {
		return nil, failure(a.name, a.resolved, err)
	}
	return tok, nil
}

// newSource returns a token source for credentials c, holding s.ctx for
// its refreshes.
func (s *Store) newSource(c *credentials) (oauth2.TokenSource, error) {
	if c.delegation != nil {
		return s.delegatedSource(c.delegation)
	}
	conf := &oauth2.Config{
		ClientID:     c.user.ClientID,
		ClientSecret: c.user.ClientSecret,
		Endpoint: oauth2.Endpoint{
			TokenURL: c.user.tokenURL(),
			// The default style probes the endpoint twice on a 4xx.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		Scopes: []string{Scope},
	}
	return conf.TokenSource(s.ctx, &oauth2.Token{RefreshToken: c.user.RefreshToken}), nil
}

func (c *credentials) kind() string {
	if c.delegation != nil {
		return TypeImpersonatedUser
	}
	return TypeAuthorizedUser
}
