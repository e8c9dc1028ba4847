package tokens

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/oauth2"
	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"
	htransport "google.golang.org/api/transport/http"
)

// cloudPlatformScope is what the function's own credentials need to call
// the IAM Credentials API.
const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// defaultDelegationClient authenticates as the function's service account
// through Application Default Credentials.
func defaultDelegationClient(ctx context.Context) (*http.Client, error) {
	rt, err := htransport.NewTransport(ctx, http.DefaultTransport, option.WithScopes(cloudPlatformScope))
	if err != nil {
		return nil, fmt.Errorf("tokens: credentials for domain-wide delegation: %w", err)
	}
	return &http.Client{Transport: rt, Timeout: DefaultHTTPTimeout}, nil
}

// delegatedSource returns a token source for user d through keyless
// domain-wide delegation: impersonate signs a JWT as d.ServiceAccount with
// subject d.Subject and exchanges it at Google's token endpoint.
func (s *Store) delegatedSource(d *ImpersonatedUser) (oauth2.TokenSource, error) {
	base, err := s.delegationClient()
	if err != nil {
		return nil, err
	}
	rec := &statusRecorder{next: base.Transport, user: d}
	if rec.next == nil {
		rec.next = http.DefaultTransport
	}
	client := &http.Client{Transport: rec, Timeout: base.Timeout, CheckRedirect: base.CheckRedirect, Jar: base.Jar}
	ts, err := impersonate.CredentialsTokenSource(s.ctx, impersonate.CredentialsConfig{
		TargetPrincipal: d.ServiceAccount,
		Subject:         d.Subject,
		Scopes:          []string{Scope},
	}, option.WithHTTPClient(client))
	if err != nil {
		return nil, fmt.Errorf("tokens: domain-wide delegation for %s: %w", d.Subject, err)
	}
	return &delegatedSource{ts: ts, rec: rec}, nil
}

// delegatedSource turns impersonate's untyped errors into a
// *delegationError carrying the status and error code of the failed call,
// which statusRecorder saw on the wire.
type delegatedSource struct {
	mu  sync.Mutex // one Token at a time, so the recorder's last failure is ours
	ts  oauth2.TokenSource
	rec *statusRecorder
}

func (d *delegatedSource) Token() (*oauth2.Token, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rec.reset()
	tok, err := d.ts.Token()
	if err == nil {
		return tok, nil
	}
	if f := d.rec.failed(); f != nil {
		f.err = err
		return nil, f
	}
	return nil, err
}

// delegationError is a refused signJwt or token exchange request.
type delegationError struct {
	user          *ImpersonatedUser
	tokenEndpoint bool   // the token exchange failed, not signJwt
	status        int    // HTTP status
	code          string // OAuth error code or Google API status
	err           error
}

func (e *delegationError) Error() string {
	step := "IAM Credentials signJwt"
	if e.tokenEndpoint {
		step = "token exchange"
	}
	return fmt.Sprintf("domain-wide delegation: %s answered %d %s: %v", step, e.status, e.code, e.err)
}

func (e *delegationError) Unwrap() error { return e.err }

// hint says what a person has to do about a refusal.
func (e *delegationError) hint() string {
	switch {
	case !e.tokenEndpoint:
		return "the function's service account needs roles/iam.serviceAccountTokenCreator on " + e.user.ServiceAccount
	case e.code == "invalid_grant":
		return "Google does not accept " + e.user.Subject + " as a user of the Workspace domain that delegated to " + e.user.ServiceAccount
	}
	return "a Workspace super admin must add the client ID of " + e.user.ServiceAccount + " with the scope " + Scope +
		" in the Admin console, under Security > Access and data control > API controls > Domain-wide delegation"
}

// statusRecorder remembers the last non-2xx response that passes through.
// impersonate formats such failures with %v, losing their type.
type statusRecorder struct {
	next http.RoundTripper
	user *ImpersonatedUser
	mu   sync.Mutex
	last *delegationError
}

func (r *statusRecorder) reset() {
	r.mu.Lock()
	r.last = nil
	r.mu.Unlock()
}

func (r *statusRecorder) failed() *delegationError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

func (r *statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil || resp.StatusCode/100 == 2 {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, nil
	}
	f := &delegationError{user: r.user, tokenEndpoint: !strings.HasSuffix(req.URL.Path, ":signJwt"), status: resp.StatusCode}
	// The token endpoint answers {"error":"code"}, Google APIs
	// {"error":{"status":"CODE"}}.
	var oauthErr struct {
		Error string `json:"error"`
	}
	var apiErr struct {
		Error struct {
			Status string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &oauthErr) == nil {
		f.code = oauthErr.Error
	} else if json.Unmarshal(body, &apiErr) == nil {
		f.code = apiErr.Error.Status
	}
	r.mu.Lock()
	r.last = f
	r.mu.Unlock()
	return resp, nil
}
