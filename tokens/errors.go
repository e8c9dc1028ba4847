package tokens

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/contactphoto/contactphoto/internal/redact"
)

// Kind is the closed set of ways getting a token can fail.
type Kind int

const (
	// Unavailable: Secret Manager, the token endpoint or the IAM Credentials
	// API did not answer, answered 429/5xx, or the deadline passed. Transient.
	Unavailable Kind = iota
	// UnknownAccount: the account is neither the default account nor in
	// ACCOUNTS, or there is no default account. Permanent.
	UnknownAccount
	// SecretNotFound: the secret or its version does not exist, or is
	// disabled or destroyed. Permanent.
	SecretNotFound
	// SecretPermissionDenied: the caller may not access the secret. Permanent.
	SecretPermissionDenied
	// InvalidSecret: the payload is not usable credentials, or fails its
	// CRC32C checksum. Permanent.
	InvalidSecret
	// AuthRevoked: the refresh token was revoked or expired (invalid_grant),
	// also after re-reading the secret's latest version. Permanent.
	AuthRevoked
	// ClientRejected: the token endpoint refused the OAuth client
	// (invalid_client, unauthorized_client) or the request. Permanent.
	ClientRejected
	// DelegationDenied: the function's service account may not sign JWTs for
	// the delegating service account, or domain-wide delegation is not granted
	// for the subject and scope. Permanent.
	DelegationDenied
)

var kindNames = [...]string{
	Unavailable:            "unavailable",
	UnknownAccount:         "unknown account",
	SecretNotFound:         "secret not found",
	SecretPermissionDenied: "secret permission denied",
	InvalidSecret:          "invalid secret",
	AuthRevoked:            "authorization revoked",
	ClientRejected:         "OAuth client rejected",
	DelegationDenied:       "delegation denied",
}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Error is the error every Store method returns. Its message never contains
// secret material: neither the payload nor any token.
type Error struct {
	Kind    Kind
	Account string // account name; "" is the default account
	Secret  string // secret version name, when one is involved
	// Hint tells the user what to do; it is part of Error().
	Hint string
	Err  error // the underlying error, if any
}

func (e *Error) Error() string {
	msg := "tokens: "
	if e.Account == "" {
		msg += "default account"
	} else {
		msg += fmt.Sprintf("account %q", e.Account)
	}
	if e.Secret != "" {
		msg += ", secret " + e.Secret
	}
	msg += ": " + e.Kind.String()
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	var re *oauth2.RetrieveError
	switch {
	case errors.As(e.Err, &re):
		// Not re.Error(): it holds the endpoint's raw answer, which an
		// echoing endpoint or proxy fills with the request's secrets.
		msg += ": " + redact.RetrieveError(re)
	case e.Err != nil:
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether retrying cannot help: everything but
// Unavailable is fixed only by a person.
func (e *Error) Permanent() bool { return e.Kind != Unavailable }

// failure wraps err as an *Error for account and secret (a version name),
// with the hint that fits its kind.
func failure(account, secret string, err error) *Error {
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	e := &Error{Kind: classify(err), Account: account, Secret: secret, Err: err}
	name := secretName(secret)
	if name == "" {
		name = secret // a payload's source, such as a file
	}
	switch e.Kind {
	case SecretNotFound:
		e.Hint = "the secret or version does not exist or is disabled; check TOKEN_SECRET and ACCOUNTS, or create it with " + authorizeCommand(name)
	case SecretPermissionDenied:
		e.Hint = "grant the function's service account roles/secretmanager.secretAccessor on " + name
	case AuthRevoked:
		e.Hint = "the refresh token has expired or was revoked, also in the secret's latest version. " +
			"Apps whose OAuth consent screen is in Testing status get refresh tokens that expire after 7 days " +
			"(publish the app In production), and tokens unused for 6 months are revoked. Authorize again with: " +
			authorizeCommand(name)
	case ClientRejected:
		e.Hint = "the token endpoint refused the OAuth client in the secret (deleted, disabled or its client secret reset); " +
			"download a current client_secret.json and run " + authorizeCommand(name)
	case DelegationDenied:
		var de *delegationError
		if errors.As(err, &de) {
			e.Hint = de.hint()
		}
	}
	return e
}

// authorizeCommand is the command that writes a fresh refresh token to
// target: a secret name without version, or a file.
func authorizeCommand(target string) string {
	switch {
	case target == "":
		target = "--secret projects/PROJECT/secrets/SECRET"
	case secretNameRE.MatchString(target):
		target = "--secret " + target
	default:
		target = "--out " + target
	}
	return "contactphoto authorize --client-secret client_secret.json " + target
}

// classify maps an error from Secret Manager, the token endpoint or the IAM
// Credentials API onto a Kind. It is the one place that decides which
// failures are worth a retry; errors it does not recognise are transient.
func classify(err error) Kind {
	var te *Error
	if errors.As(err, &te) {
		return te.Kind
	}
	if errors.Is(err, ErrChecksum) {
		return InvalidSecret
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Unavailable
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch re.ErrorCode {
		case "invalid_grant":
			return AuthRevoked
		case "invalid_client", "unauthorized_client":
			return ClientRejected
		}
		if re.Response != nil && !retryableHTTPStatus(re.Response.StatusCode) {
			return ClientRejected
		}
		return Unavailable
	}
	var de *delegationError
	if errors.As(err, &de) {
		if retryableHTTPStatus(de.status) {
			return Unavailable
		}
		return DelegationDenied
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.NotFound, codes.FailedPrecondition:
			return SecretNotFound
		case codes.PermissionDenied:
			return SecretPermissionDenied
		case codes.InvalidArgument:
			return InvalidSecret
		}
	}
	return Unavailable
}

// retryableHTTPStatus reports whether an HTTP status may succeed on retry.
func retryableHTTPStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}
