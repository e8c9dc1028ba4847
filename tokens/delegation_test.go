package tokens_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/contactphoto/contactphoto/tokens"
)

const (
	delegatingSA = "contacts-dwd@p.iam.gserviceaccount.com"
	subject      = "alice@example.com"
)

// callerClient authenticates as the function's own service account with
// callerToken and sends Google's OAuth and IAM hosts to the stand-in.
func (e *env) callerClient(callerToken string) *http.Client {
	return &http.Client{Transport: &oauth2.Transport{
		Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: callerToken}),
		Base:   e.oauth.Client().Transport,
	}}
}

func delegationPayload(sa, subject string) []byte {
	b, err := json.Marshal(tokens.ImpersonatedUser{Type: tokens.TypeImpersonatedUser, ServiceAccount: sa, Subject: subject})
	if err != nil {
		panic(err)
	}
	return b
}

func TestDomainWideDelegation(t *testing.T) {
	e := newEnv(t)
	caller := e.oauth.AddServiceAccount(delegatingSA)
	e.oauth.AddDelegation(delegatingSA, subject, "alice")
	s := e.store(t, tokens.Options{
		DefaultSecret:    e.addPayload(t, "projects/p/secrets/dwd", delegationPayload(delegatingSA, subject)),
		DelegationClient: e.callerClient(caller),
	})

	var first string
	for i := range 100 {
		tok, err := token(t.Context(), s, "")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = tok.AccessToken
		}
		if tok.AccessToken != first {
			t.Fatalf("invocation %d got a new access token", i)
		}
	}
	if account, ok := e.oauth.Validate(first); !ok || account != "alice" {
		t.Errorf("Validate(token) = %q, %v; want alice, true", account, ok)
	}
	if got := e.oauth.TokenRequests(); got != 1 {
		t.Errorf("token requests for 100 invocations = %d, want 1", got)
	}
	checkNoSecrets(t, "log", e.logs.String(), first, caller)
}

func TestDomainWideDelegationFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(e *env) (payload []byte, callerToken string)
		kind      tokens.Kind
		permanent bool
		want      string
	}{
		{
			name: "caller may not sign",
			setup: func(e *env) ([]byte, string) {
				e.oauth.AddServiceAccount(delegatingSA)
				e.oauth.AddDelegation(delegatingSA, subject, "alice")
				other := e.oauth.AddServiceAccount("other@p.iam.gserviceaccount.com")
				return delegationPayload(delegatingSA, subject), other
			},
			kind: tokens.DelegationDenied, permanent: true,
			want: "roles/iam.serviceAccountTokenCreator on " + delegatingSA,
		},
		{
			name: "no delegation in the Admin console",
			setup: func(e *env) ([]byte, string) {
				return delegationPayload(delegatingSA, subject), e.oauth.AddServiceAccount(delegatingSA)
			},
			kind: tokens.DelegationDenied, permanent: true,
			want: "Domain-wide delegation",
		},
		{
			name: "subject not in the domain",
			setup: func(e *env) ([]byte, string) {
				caller := e.oauth.AddServiceAccount(delegatingSA)
				e.oauth.AddDelegation(delegatingSA, subject, "alice")
				return delegationPayload(delegatingSA, "mallory@example.org"), caller
			},
			kind: tokens.DelegationDenied, permanent: true,
			want: "mallory@example.org",
		},
		{
			name: "token endpoint down",
			setup: func(e *env) ([]byte, string) {
				caller := e.oauth.AddServiceAccount(delegatingSA)
				e.oauth.AddDelegation(delegatingSA, subject, "alice")
				e.oauth.FailNext(1, http.StatusServiceUnavailable)
				return delegationPayload(delegatingSA, subject), caller
			},
			kind: tokens.Unavailable, want: "503",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			payload, caller := tc.setup(e)
			s := e.store(t, tokens.Options{
				DefaultSecret:    e.addPayload(t, "projects/p/secrets/dwd", payload),
				DelegationClient: e.callerClient(caller),
			})
			_, err := token(t.Context(), s, "")
			var te *tokens.Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v is not a *tokens.Error", err)
			}
			if te.Kind != tc.kind || te.Permanent() != tc.permanent {
				t.Errorf("kind, permanent = %v, %v; want %v, %v (%v)", te.Kind, te.Permanent(), tc.kind, tc.permanent, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error does not say %q:\n%v", tc.want, err)
			}
			checkNoSecrets(t, "error", err.Error(), caller)
		})
	}
}
