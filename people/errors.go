package people

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
)

// Kind is the class of a failure. The set is closed; each kind is either
// permanent (retrying cannot help) or transient.
type Kind int

const (
	// InvalidContact: the contact reference is malformed. Permanent.
	InvalidContact Kind = iota + 1
	// ContactNotFound: no such contact in the account (404, or no email
	// match). Permanent.
	ContactNotFound
	// AmbiguousContact: an email address matches several contacts. Permanent.
	AmbiguousContact
	// InvalidPhoto: the API rejected the photo bytes (400). Permanent.
	InvalidPhoto
	// PermissionDenied: the API refused access (403), for example a token
	// without the contacts scope. Permanent.
	PermissionDenied
	// APIDisabled: the People API is not enabled in the OAuth client's
	// project (403 SERVICE_DISABLED). Permanent.
	APIDisabled
	// AuthRevoked: the account's credentials cannot be used: the refresh
	// token was revoked or expired (invalid_grant), the API rejected the
	// access token (401), or the token source failed permanently. Permanent.
	AuthRevoked
	// QuotaExhausted: the per-user write quota is used up (429), or the
	// client-side rate limit cannot grant a slot before the deadline.
	// Transient.
	QuotaExhausted
	// Unavailable: the API or the network failed (5xx, connection reset,
	// deadline) or the token source failed transiently. Transient.
	Unavailable
)

var kindNames = [...]string{
	InvalidContact:   "InvalidContact",
	ContactNotFound:  "ContactNotFound",
	AmbiguousContact: "AmbiguousContact",
	InvalidPhoto:     "InvalidPhoto",
	PermissionDenied: "PermissionDenied",
	APIDisabled:      "APIDisabled",
	AuthRevoked:      "AuthRevoked",
	QuotaExhausted:   "QuotaExhausted",
	Unavailable:      "Unavailable",
}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Permanent reports whether errors of this kind stay the same on retry.
func (k Kind) Permanent() bool {
	switch k {
	case QuotaExhausted, Unavailable:
		return false
	}
	return k != 0
}

// Error is the error returned by every method of this package.
type Error struct {
	Kind Kind
	// Op is the operation that failed, such as "update photo".
	Op string
	// Account is the account name; "" is the default account.
	Account string
	// Contact is the contact as the caller gave it: a resource name, an
	// email address, or the raw (possibly invalid) text.
	Contact string
	// Status is the HTTP status the API answered, or 0.
	Status int
	// Reason is the API's machine-readable reason (google.rpc.ErrorInfo), such
	// as "SERVICE_DISABLED" or "RATE_LIMIT_EXCEEDED", when there is one.
	Reason string
	// Candidates are the matching resource names of an AmbiguousContact.
	Candidates []string
	// Err is the underlying error, if any.
	Err error

	detail     string        // what happened and what to do, for the message
	retry      bool          // worth retrying within the same call
	retryAfter time.Duration // the server's Retry-After, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("people: ")
	b.WriteString(e.Op)
	if e.Contact != "" {
		b.WriteString(" ")
		if e.Kind == InvalidContact {
			b.WriteString(quoteShort(e.Contact))
		} else {
			b.WriteString(e.Contact)
		}
	}
	if e.Account != "" {
		fmt.Fprintf(&b, " (account %q)", e.Account)
	}
	b.WriteString(": ")
	switch {
	case e.detail != "":
		b.WriteString(e.detail)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString(e.Kind.String())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether retrying the same request cannot succeed, so the
// caller should acknowledge the event instead of asking for a redelivery.
func (e *Error) Permanent() bool { return e.Kind.Permanent() }

// consoleAPIURL is where a project enables the People API when the error
// carries no activation URL of its own.
const consoleAPIURL = "https://console.cloud.google.com/apis/library/people.googleapis.com"

// classify turns any error from a People API call or its token source into
// an *Error. It is the one place that decides kinds, messages and retries.
func classify(op, account, contact string, err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	e := &Error{Op: op, Account: account, Contact: contact, Err: err}
	var gerr *googleapi.Error
	var rerr *oauth2.RetrieveError
	// The token adapter's errors carry their own decision, and a message
	// that names the fix.
	var perm interface {
		error
		Permanent() bool
	}
	hasPerm := errors.As(err, &perm)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		e.Kind = Unavailable
		e.detail = "gave up before the People API answered: " + err.Error()
	case errors.As(err, &rerr) && rerr.ErrorCode == "invalid_grant":
		e.Kind = AuthRevoked
		e.detail = "the refresh token was revoked or has expired (invalid_grant): run `contactphoto authorize` to store a new one"
		if hasPerm {
			e.detail = "get an access token: " + perm.Error()
		}
	case errors.As(err, &gerr):
		classifyAPIError(e, gerr)
	case hasPerm:
		if perm.Permanent() {
			e.Kind = AuthRevoked
		} else {
			e.Kind = Unavailable
		}
		e.detail = "get an access token: " + perm.Error()
	case rerr != nil:
		e.Kind = Unavailable
		e.detail = "get an access token: " + rerr.Error()
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		e.Kind = Unavailable
		e.retry = true
		e.detail = "connection to the People API was reset: " + err.Error()
	default:
		e.Kind = Unavailable
		e.detail = err.Error()
	}
	return e
}

// classifyAPIError fills e from an HTTP error answer of the People API.
func classifyAPIError(e *Error, gerr *googleapi.Error) {
	e.Status = gerr.Code
	var info struct {
		reason   string
		metadata map[string]string
	}
	var helpURL string
	if ae, ok := errors.AsType[*apierror.APIError](gerr); ok {
		info.reason, info.metadata = ae.Reason(), ae.Metadata()
		if h := ae.Details().Help; h != nil && len(h.GetLinks()) > 0 {
			helpURL = h.GetLinks()[0].GetUrl()
		}
	}
	if info.reason == "" && len(gerr.Errors) > 0 {
		info.reason = gerr.Errors[0].Reason // legacy error shape
	}
	e.Reason = info.reason
	msg := gerr.Message
	if msg == "" {
		msg = http.StatusText(gerr.Code)
	}
	switch code := gerr.Code; {
	case code == http.StatusBadRequest && e.Op == opUpdate, code == http.StatusRequestEntityTooLarge:
		e.Kind = InvalidPhoto
		e.detail = "the People API rejected the photo (" + msg + "); upload a JPEG or PNG image"
	case code == http.StatusBadRequest:
		e.Kind = InvalidContact
		e.detail = "the People API rejected the request: " + msg
	case code == http.StatusUnauthorized:
		e.Kind = AuthRevoked
		e.detail = "the People API rejected the access token (" + msg + "): run `contactphoto authorize` to store new credentials for this account"
	case code == http.StatusForbidden && (info.reason == "SERVICE_DISABLED" || info.reason == "accessNotConfigured"):
		e.Kind = APIDisabled
		service := cmp.Or(info.metadata["service"], "people.googleapis.com")
		where := cmp.Or(info.metadata["activationUrl"], helpURL, consoleAPIURL)
		project := cmp.Or(info.metadata["consumer"], "the OAuth client's project")
		e.detail = fmt.Sprintf("the People API (%s) is not enabled in %s: enable it at %s, wait a few minutes, then upload the photo again", service, project, where)
	case code == http.StatusForbidden && (info.reason == "RATE_LIMIT_EXCEEDED" || info.reason == "rateLimitExceeded"):
		e.Kind = QuotaExhausted
		e.retry = true
		e.detail = quotaDetail(msg, info.metadata)
	case code == http.StatusForbidden:
		e.Kind = PermissionDenied
		e.detail = "the People API denied access (" + msg + "): authorize the account with the https://www.googleapis.com/auth/contacts scope and check that the contact belongs to it"
	case code == http.StatusNotFound:
		e.Kind = ContactNotFound
		e.detail = "no such contact in this account (deleted, or its resource name changed when it was merged or linked to a profile)"
	case code == http.StatusTooManyRequests:
		e.Kind = QuotaExhausted
		e.retry = true
		e.detail = quotaDetail(msg, info.metadata)
	case code == http.StatusInternalServerError, code == http.StatusBadGateway,
		code == http.StatusServiceUnavailable, code == http.StatusGatewayTimeout:
		e.Kind = Unavailable
		e.retry = true
		e.detail = fmt.Sprintf("the People API is unavailable (%d %s)", code, msg)
	default:
		e.Kind = Unavailable
		e.detail = fmt.Sprintf("unexpected People API answer (%d %s)", code, msg)
	}
	if e.retry {
		e.retryAfter = parseRetryAfter(gerr.Header.Get("Retry-After"), time.Now())
	}
}

func quotaDetail(msg string, metadata map[string]string) string {
	d := "the People API write quota for this user is exhausted (" + msg + ")"
	if m := metadata["quota_metric"]; m != "" {
		d += "; quota metric " + m
		if l := metadata["quota_limit"]; l != "" {
			d += ", limit " + l
		}
	}
	return d + "; lower PEOPLE_WRITES_PER_MINUTE or ask for more quota"
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
