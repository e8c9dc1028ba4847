// Package oauthtest runs a stand-in for Google's OAuth 2.0 endpoints and the
// IAM Credentials signJwt method on 127.0.0.1, strict the way Google is.
//
// It serves:
//
//   - the authorization endpoint (AuthURL), which plays a user who signs in
//     and consents (ConsentAs), redirecting to a loopback redirect URI with a
//     code, or with error=access_denied;
//   - the token endpoint (TokenURL) with the authorization_code grant (PKCE
//     S256 or plain), the refresh_token grant, and the JWT bearer grant
//     (both the RFC 7523 and the legacy assertion form) that domain-wide
//     delegation uses;
//   - the revocation endpoint (RevokeURL);
//   - POST /v1/projects/-/serviceAccounts/EMAIL:signJwt, as
//     iamcredentials.googleapis.com does.
//
// Answers use Google's JSON shapes: {"error":"invalid_grant",
// "error_description":"..."} from the token endpoint and
// {"error":{"code":403,"message":"...","status":"PERMISSION_DENIED"}} from
// IAM. Client returns an HTTP client that sends requests for Google's hosts
// here, for code such as google.golang.org/api/impersonate whose endpoints
// are fixed.
package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultTokenLifetime is how long Google's access tokens live.
const DefaultTokenLifetime = 3599 * time.Second

// Google's hosts that Client sends here.
var googleHosts = []string{"oauth2.googleapis.com", "iamcredentials.googleapis.com", "accounts.google.com"}

// Audiences Google accepts in a JWT bearer assertion.
var jwtAudiences = []string{"https://oauth2.googleapis.com/token", "https://accounts.google.com/o/oauth2/token"}

// Server is a running stand-in.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT.
	URL string

	srv *httptest.Server

	mu            sync.Mutex
	clients       map[string]string          // client ID -> client secret
	refresh       map[string]*grant          // refresh token -> grant
	access        map[string]*accessToken    // access token -> holder
	codes         map[string]*authCode       // authorization code -> request
	consented     map[[2]string]bool         // {client ID, account} that consented before
	serviceAccts  map[string]*serviceAccount // email -> service account
	consentAs     string
	lifetime      time.Duration
	tokenRequests int
	failN         int
	failStatus    int
	key           *rsa.PrivateKey
	keyID         string
}

type grant struct {
	clientID, account string
	scopes            []string
	revoked           bool
}

type accessToken struct {
	account string
	scopes  []string
	expiry  time.Time
	refresh string // refresh token it came from, if any
}

type authCode struct {
	clientID, account, redirectURI string
	scopes                         []string
	challenge, method              string
	offline, forceConsent          bool
	expiry                         time.Time
}

type serviceAccount struct {
	callers  map[string]bool   // caller access tokens allowed to sign as it
	subjects map[string]string // delegated subject -> account
}

// NewServer starts a stand-in on a free port of 127.0.0.1.
func NewServer() *Server {
	s := &Server{
		clients:      make(map[string]string),
		refresh:      make(map[string]*grant),
		access:       make(map[string]*accessToken),
		codes:        make(map[string]*authCode),
		consented:    make(map[[2]string]bool),
		serviceAccts: make(map[string]*serviceAccount),
		lifetime:     DefaultTokenLifetime,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", s.token)
	mux.HandleFunc("/o/oauth2/auth", s.authorize)
	mux.HandleFunc("/revoke", s.revoke)
	mux.HandleFunc("/v1/projects/-/serviceAccounts/", s.signJWT)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// TokenURL is the token endpoint, the token_uri of credentials.
func (s *Server) TokenURL() string { return s.URL + "/token" }

// AuthURL is the authorization endpoint, the auth_uri of a client_secret.json.
func (s *Server) AuthURL() string { return s.URL + "/o/oauth2/auth" }

// RevokeURL is the revocation endpoint.
func (s *Server) RevokeURL() string { return s.URL + "/revoke" }

// Client returns an HTTP client that sends requests for
// oauth2.googleapis.com, iamcredentials.googleapis.com and
// accounts.google.com to this server, and other requests on as usual.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: &redirectGoogle{to: s.srv.Listener.Addr().String(), next: s.srv.Client().Transport}}
}

// AddClient registers an OAuth client (a Desktop app client).
func (s *Server) AddClient(clientID, clientSecret string) {
	s.mu.Lock()
	s.clients[clientID] = clientSecret
	s.mu.Unlock()
}

// AddRefreshToken makes refreshToken valid for clientID, with the contacts
// scope; the tokens it yields belong to account.
func (s *Server) AddRefreshToken(clientID, refreshToken, account string) {
	s.mu.Lock()
	s.refresh[refreshToken] = &grant{clientID: clientID, account: account, scopes: []string{contactsScope}}
	s.mu.Unlock()
}

const contactsScope = "https://www.googleapis.com/auth/contacts"

// Revoke revokes a refresh token and the access tokens it yielded, or a
// single access token, as a user removing the app's access would.
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeLocked(token)
}

func (s *Server) revokeLocked(token string) bool {
	if g := s.refresh[token]; g != nil {
		g.revoked = true
		for a, at := range s.access {
			if at.refresh == token {
				delete(s.access, a)
			}
		}
		return true
	}
	if _, ok := s.access[token]; ok {
		delete(s.access, token)
		return true
	}
	return false
}

// ConsentAs makes the authorization endpoint act as account signing in and
// consenting. With "" (the default) the user denies consent.
func (s *Server) ConsentAs(account string) {
	s.mu.Lock()
	s.consentAs = account
	s.mu.Unlock()
}

// SetTokenLifetime sets expires_in of the access tokens issued from now on.
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.mu.Lock()
	s.lifetime = d
	s.mu.Unlock()
}

// FailNext makes the next n token endpoint requests fail with HTTP status
// code (such as 503) before they are looked at.
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	s.failN, s.failStatus = n, code
	s.mu.Unlock()
}

// TokenRequests returns how many requests reached the token endpoint.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// Validate reports the account an unexpired access token belongs to.
func (s *Server) Validate(accessToken string) (account string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.access[accessToken]
	if at == nil || !time.Now().Before(at.expiry) {
		return "", false
	}
	return at.account, true
}

// Expired reports whether accessToken was issued here and has expired, for
// a People API stand-in to answer 401 with the reason ACCESS_TOKEN_EXPIRED.
func (s *Server) Expired(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.access[accessToken]
	return at != nil && !time.Now().Before(at.expiry)
}

// ExpireAccessTokens ends the life of every access token issued so far,
// while their holders still believe them valid: what a client sees when its
// clock runs behind, or when Google ends a token early. Refresh tokens stay
// good, so a client that fetches a new access token carries on.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, at := range s.access {
		if at.expiry.After(now) {
			at.expiry = now
		}
	}
}

// AddServiceAccount creates a service account and returns an access token
// of a caller that holds roles/iam.serviceAccountTokenCreator on it: the
// function's own identity, which signs JWTs as the service account.
func (s *Server) AddServiceAccount(email string) (callerToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	callerToken = "ya29.caller-" + randomString(24)
	s.serviceAccountLocked(email).callers[callerToken] = true
	return callerToken
}

// serviceAccountLocked returns the service account email, creating it.
func (s *Server) serviceAccountLocked(email string) *serviceAccount {
	sa := s.serviceAccts[email]
	if sa == nil {
		sa = &serviceAccount{callers: make(map[string]bool), subjects: make(map[string]string)}
		s.serviceAccts[email] = sa
	}
	return sa
}

// AddDelegation grants serviceAccount domain-wide delegation of the
// contacts scope for subject, as a Workspace admin does in the Admin
// console; tokens for subject belong to account.
func (s *Server) AddDelegation(serviceAccountEmail, subject, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serviceAccountLocked(serviceAccountEmail).subjects[subject] = account
}

// redirectGoogle sends requests for Google's hosts to the stand-in.
type redirectGoogle struct {
	to   string
	next http.RoundTripper
}

func (r *redirectGoogle) RoundTrip(req *http.Request) (*http.Response, error) {
	if !slices.Contains(googleHosts, req.URL.Hostname()) {
		return r.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = "http", r.to, ""
	return r.next.RoundTrip(out)
}

// oauthError writes the token endpoint's error shape.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

// apiError writes the shape Google APIs such as IAM Credentials use.
func apiError(w http.ResponseWriter, status int, apiStatus, message string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": message, "status": apiStatus}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	json.NewEncoder(w).Encode(v)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenRequests++
	if s.failN > 0 {
		s.failN--
		oauthError(w, s.failStatus, "internal_failure", "Backend Error")
		return
	}
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "Only POST is allowed.")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Malformed request body.")
		return
	}
	form := r.PostForm
	switch gt := form.Get("grant_type"); gt {
	case "refresh_token":
		s.refreshGrant(w, r, form)
	case "authorization_code":
		s.codeGrant(w, r, form)
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		s.jwtGrant(w, form.Get("assertion"))
	case "assertion":
		if form.Get("assertion_type") != "http://oauth.net/grant_type/jwt/1.0/bearer" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid assertion_type.")
			return
		}
		s.jwtGrant(w, form.Get("assertion"))
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type")
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+gt)
	}
}

// authenticateClient checks the client's credentials, from the form or
// HTTP Basic as Google allows. It writes the error itself.
func (s *Server) authenticateClient(w http.ResponseWriter, r *http.Request, form url.Values) (string, bool) {
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if bid, bsecret, ok := r.BasicAuth(); ok {
		if id != "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "Client credentials must be sent either in the body or in the Authorization header, not both.")
			return "", false
		}
		id, _ = url.QueryUnescape(bid)
		secret, _ = url.QueryUnescape(bsecret)
	}
	if id == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: client_id")
		return "", false
	}
	want, ok := s.clients[id]
	if !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized")
		return "", false
	}
	return id, true
}

func (s *Server) refreshGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	clientID, ok := s.authenticateClient(w, r, form)
	if !ok {
		return
	}
	rt := form.Get("refresh_token")
	if rt == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: refresh_token")
		return
	}
	g := s.refresh[rt]
	if g == nil || g.revoked {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
		return
	}
	if g.clientID != clientID {
		oauthError(w, http.StatusUnauthorized, "unauthorized_client", "Unauthorized")
		return
	}
	scopes := g.scopes
	if sc := form.Get("scope"); sc != "" {
		scopes = strings.Fields(sc)
		for _, sc := range scopes {
			if !slices.Contains(g.scopes, sc) {
				oauthError(w, http.StatusBadRequest, "invalid_scope", "Bad Request")
				return
			}
		}
	}
	writeJSON(w, s.issue(g.account, scopes, rt, ""))
}

// issue mints an access token and returns the token response.
func (s *Server) issue(account string, scopes []string, fromRefresh, newRefresh string) map[string]any {
	at := "ya29." + randomString(48)
	s.access[at] = &accessToken{account: account, scopes: scopes, expiry: time.Now().Add(s.lifetime), refresh: fromRefresh}
	resp := map[string]any{
		"access_token": at,
		"expires_in":   int(s.lifetime / time.Second),
		"scope":        strings.Join(scopes, " "),
		"token_type":   "Bearer",
	}
	if newRefresh != "" {
		resp["refresh_token"] = newRefresh
	}
	return resp
}

func (s *Server) codeGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	clientID, ok := s.authenticateClient(w, r, form)
	if !ok {
		return
	}
	code := form.Get("code")
	if code == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: code")
		return
	}
	c := s.codes[code]
	if c == nil || !time.Now().Before(c.expiry) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
		return
	}
	// A code is good for one exchange, whatever its outcome.
	delete(s.codes, code)
	if c.clientID != clientID {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Bad Request")
		return
	}
	if form.Get("redirect_uri") != c.redirectURI {
		oauthError(w, http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
		return
	}
	if c.challenge != "" {
		verifier := form.Get("code_verifier")
		if verifier == "" {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Missing code verifier.")
			return
		}
		got := verifier
		if c.method == "S256" {
			sum := sha256.Sum256([]byte(verifier))
			got = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(c.challenge)) != 1 {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid code verifier.")
			return
		}
	}
	// Like Google, a refresh token comes only with offline access, and
	// only on the first consent unless the user was prompted again.
	var rt string
	key := [2]string{clientID, c.account}
	if c.offline && (c.forceConsent || !s.consented[key]) {
		rt = "1//" + randomString(64)
		s.refresh[rt] = &grant{clientID: clientID, account: c.account, scopes: c.scopes}
	}
	s.consented[key] = true
	writeJSON(w, s.issue(c.account, c.scopes, rt, rt))
}

// authorize plays the consent screen: it checks the request as Google does
// and redirects back at once with a code or an error.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	clientID := q.Get("client_id")
	if _, ok := s.clients[clientID]; !ok {
		http.Error(w, "Error 401: invalid_client\nThe OAuth client was not found.", http.StatusUnauthorized)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !loopbackRedirect(redirect) {
		// Desktop clients may only redirect to a loopback address.
		http.Error(w, "Error 400: redirect_uri_mismatch\nYou can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy.", http.StatusBadRequest)
		return
	}
	back := func(params url.Values) {
		if st := q.Get("state"); st != "" {
			params.Set("state", st)
		}
		u := *redirect
		u.RawQuery = params.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		back(url.Values{"error": {"unsupported_response_type"}})
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		back(url.Values{"error": {"invalid_scope"}, "error_description": {"Missing required parameter: scope"}})
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"Missing required parameter: code_challenge"}})
		return
	case challenge != "" && method == "":
		method = "plain"
	case challenge != "" && method != "S256" && method != "plain":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"Invalid code_challenge_method"}})
		return
	}
	if at := q.Get("access_type"); at != "" && at != "online" && at != "offline" {
		back(url.Values{"error": {"invalid_request"}, "error_description": {"Invalid access_type: " + at}})
		return
	}
	if s.consentAs == "" {
		back(url.Values{"error": {"access_denied"}})
		return
	}
	code := "4/0A" + randomString(40)
	s.codes[code] = &authCode{
		clientID:     clientID,
		account:      s.consentAs,
		redirectURI:  q.Get("redirect_uri"),
		scopes:       scopes,
		challenge:    challenge,
		method:       method,
		offline:      q.Get("access_type") == "offline",
		forceConsent: slices.Contains(strings.Fields(q.Get("prompt")), "consent"),
		expiry:       time.Now().Add(10 * time.Minute),
	}
	back(url.Values{"code": {code}, "scope": {strings.Join(scopes, " ")}})
}

// loopbackRedirect accepts the redirect URIs Google allows for Desktop
// clients: http to a loopback IP or localhost, any port.
func loopbackRedirect(u *url.URL) bool {
	if u.Scheme != "http" || u.User != nil || u.Fragment != "" {
		return false
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "Only POST is allowed.")
		return
	}
	if err := r.ParseForm(); err != nil || r.Form.Get("token") == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: token")
		return
	}
	if !s.revokeLocked(r.Form.Get("token")) {
		oauthError(w, http.StatusBadRequest, "invalid_token", "Token expired or revoked")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// signJWT serves iamcredentials' projects.serviceAccounts.signJwt.
func (s *Server) signJWT(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	email, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v1/projects/-/serviceAccounts/"), ":signJwt")
	if !ok || r.Method != http.MethodPost {
		apiError(w, http.StatusNotFound, "NOT_FOUND", "The requested URL was not found on this server.")
		return
	}
	caller, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || caller == "" {
		apiError(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return
	}
	sa := s.serviceAccts[email]
	if sa == nil || !sa.callers[caller] {
		apiError(w, http.StatusForbidden, "PERMISSION_DENIED",
			"Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist).")
		return
	}
	var req struct {
		Payload   string   `json:"payload"`
		Delegates []string `json:"delegates"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	var claims struct {
		Exp *int64 `json:"exp"`
	}
	if err := json.Unmarshal([]byte(req.Payload), &claims); err != nil {
		apiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid payload: the payload must be a JSON object.")
		return
	}
	if claims.Exp == nil || time.Unix(*claims.Exp, 0).After(time.Now().Add(12*time.Hour)) {
		apiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid payload: exp must be set and at most 12 hours in the future.")
		return
	}
	if err := s.ensureKey(); err != nil {
		apiError(w, http.StatusInternalServerError, "INTERNAL", err.Error())
		return
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": s.keyID, "typ": "JWT"})
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString([]byte(req.Payload))
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		apiError(w, http.StatusInternalServerError, "INTERNAL", err.Error())
		return
	}
	writeJSON(w, map[string]string{"keyId": s.keyID, "signedJwt": signing + "." + base64.RawURLEncoding.EncodeToString(sig)})
}

// ensureKey makes the service accounts' signing key on first use: key
// generation is too slow to pay in every NewServer.
func (s *Server) ensureKey() error {
	if s.key != nil {
		return nil
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	s.key, s.keyID = k, randomString(20)
	return nil
}

// jwtGrant exchanges a signed JWT for an access token, checking it as
// Google does for service accounts and domain-wide delegation.
func (s *Server) jwtGrant(w http.ResponseWriter, assertion string) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 || s.key == nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	var header struct{ Alg, Kid string }
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || header.Alg != "RS256" || header.Kid != s.keyID {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	var c struct {
		Iss, Scope, Sub, Aud string
		Iat, Exp             int64
	}
	if json.Unmarshal(pb, &c) != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: the claims are not a JSON object.")
		return
	}
	now := time.Now()
	if !slices.Contains(jwtAudiences, c.Aud) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: aud is not the token endpoint.")
		return
	}
	if c.Exp <= now.Unix() || c.Iat > now.Add(5*time.Minute).Unix() || c.Exp-c.Iat > 3600 {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
		return
	}
	sa := s.serviceAccts[c.Iss]
	if sa == nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	scopes := strings.Fields(c.Scope)
	if len(scopes) == 0 {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "Empty or missing scope not allowed.")
		return
	}
	account := c.Iss
	if c.Sub != "" && c.Sub != c.Iss {
		if len(sa.subjects) == 0 || slices.ContainsFunc(scopes, func(sc string) bool { return sc != contactsScope }) {
			oauthError(w, http.StatusUnauthorized, "unauthorized_client",
				"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
			return
		}
		acc, ok := sa.subjects[c.Sub]
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid email or User ID")
			return
		}
		account = acc
	}
	writeJSON(w, s.issue(account, scopes, "", ""))
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
