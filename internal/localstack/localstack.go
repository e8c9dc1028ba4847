// Package localstack starts every Google service the function talks to as a
// stand-in on 127.0.0.1 (Cloud Storage, Secret Manager, the OAuth token
// endpoint and the People API) and wires them together: a refresh token for
// each account lives in Secret Manager, and the People API accepts only the
// access tokens the token endpoint issued for it. The demo and the tests run
// the real client libraries against it.
package localstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/contactphoto/contactphoto/gcs/gcstest"
	"github.com/contactphoto/contactphoto/people/peopletest"
	"github.com/contactphoto/contactphoto/tokens/oauthtest"
	"github.com/contactphoto/contactphoto/tokens/secrettest"
)

// Names the stack uses.
const (
	Project      = "contactphoto-local"
	Bucket       = "contact-photos"
	ClientID     = "local-client.apps.googleusercontent.com"
	ClientSecret = "local-client-secret"
)

// Options configure a Stack.
type Options struct {
	// Accounts names the extra accounts, beyond the default one, each with
	// its own refresh token and secret.
	Accounts []string
	// People configures the People API stand-in; its Validate and Expired
	// are set by the stack.
	People peopletest.Options
}

// Stack is a running set of stand-ins.
type Stack struct {
	Storage *gcstest.Server
	Secrets *secrettest.Server
	OAuth   *oauthtest.Server
	People  *peopletest.Server

	// TokenSecret is the default account's secret version.
	TokenSecret string
	// AccountSecrets maps each extra account to its secret version.
	AccountSecrets map[string]string
	// RefreshTokens maps each account ("" for the default) to its refresh
	// token.
	RefreshTokens map[string]string
}

// Start starts the stand-ins. Close stops them.
func Start(opt *Options) (_ *Stack, err error) {
	if opt == nil {
		opt = &Options{}
	}
	s := &Stack{AccountSecrets: map[string]string{}, RefreshTokens: map[string]string{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.Storage, err = gcstest.NewServer(); err != nil {
		return nil, err
	}
	s.Storage.CreateBucket(Bucket)
	if s.Secrets, err = secrettest.NewServer(); err != nil {
		return nil, err
	}
	s.OAuth = oauthtest.NewServer()
	s.OAuth.AddClient(ClientID, ClientSecret)
	po := opt.People
	po.Validate = s.OAuth.Validate
	po.Expired = s.OAuth.Expired
	s.People = peopletest.NewServer(&po)

	if s.TokenSecret, err = s.addAccount("", "contactphoto-token"); err != nil {
		return nil, err
	}
	for _, a := range opt.Accounts {
		if a == "" {
			return nil, errors.New("localstack: account names must not be empty")
		}
		if s.AccountSecrets[a], err = s.addAccount(a, "contactphoto-token-"+a); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// addAccount issues a refresh token for account and stores it, as
// `contactphoto authorize` would, in a new secret.
func (s *Stack) addAccount(account, secret string) (string, error) {
	refresh := "1//local-refresh-token-" + secret
	s.OAuth.AddRefreshToken(ClientID, refresh, account)
	s.RefreshTokens[account] = refresh
	payload, err := json.Marshal(map[string]string{
		"type":          "authorized_user",
		"client_id":     ClientID,
		"client_secret": ClientSecret,
		"refresh_token": refresh,
		"token_uri":     s.OAuth.TokenURL(),
	})
	if err != nil {
		return "", err
	}
	if _, err := s.Secrets.AddVersion("projects/"+Project+"/secrets/"+secret, payload); err != nil {
		return "", fmt.Errorf("store the token of account %q: %w", account, err)
	}
	return "projects/" + Project + "/secrets/" + secret + "/versions/latest", nil
}

// Env returns the environment variables that point the function at the
// stack.
func (s *Stack) Env() map[string]string {
	env := map[string]string{
		"STORAGE_EMULATOR_HOST":        s.Storage.Host,
		"SECRET_MANAGER_EMULATOR_HOST": s.Secrets.Addr,
		"PEOPLE_API_ENDPOINT":          s.People.URL + "/",
		"TOKEN_SECRET":                 s.TokenSecret,
	}
	if len(s.AccountSecrets) > 0 {
		names := make([]string, 0, len(s.AccountSecrets))
		for a := range s.AccountSecrets {
			names = append(names, a)
		}
		sort.Strings(names)
		v := ""
		for i, a := range names {
			if i > 0 {
				v += ","
			}
			v += a + "=" + s.AccountSecrets[a]
		}
		env["ACCOUNTS"] = v
	}
	return env
}

// Close stops every stand-in that was started.
func (s *Stack) Close() {
	if s.People != nil {
		s.People.Close()
	}
	if s.OAuth != nil {
		s.OAuth.Close()
	}
	if s.Secrets != nil {
		s.Secrets.Close()
	}
	if s.Storage != nil {
		s.Storage.Close()
	}
}
