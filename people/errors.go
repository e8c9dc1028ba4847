package people

import (
	"cmp"
	"context"
	"encoding/json"
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

	"github.com/contactphoto/contactphoto/internal/redact"
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
	// token was revoked or expired (invalid_grant), or the token source
	// failed permanently. Permanent.
	AuthRevoked
	// QuotaExhausted: the per-user write quota is used up (429), or the
	// client-side rate limit cannot grant a slot before the deadline.
	// Transient.
	QuotaExhausted
	// Unavailable: the API or the network failed (5xx, connection reset,
	// deadline), a write collided with another for the same user
	// (FAILED_PRECONDITION, ABORTED) and kept colliding, or the token source
	// failed transiently. Transient.
	Unavailable
	// Unauthenticated: the API refused a freshly fetched access token
	// (401) although the token endpoint issued it. Permanent.
	Unauthenticated
	// Misconfigured: the answer did not come from the People API (an HTML
	// or empty error page, as from a wrong PEOPLE_API_ENDPOINT). Permanent.
	Misconfigured
	// Rejected: the API refused the request for a reason this package does
	// not know; the message carries the API's own words. Permanent.
	Rejected
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
	Unauthenticated:  "Unauthenticated",
	Misconfigured:    "Misconfigured",
	Rejected:         "Rejected",
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
	// Code is the canonical error code of the answer ("status" in Google's
	// error JSON), such as "FAILED_PRECONDITION", when there is one.
	Code string
	// Message is the API's own message, when it answered with one.
	Message string
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
	renew      bool          // 401: worth one retry with a new access token
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
		e.detail = "get an access token: " + redact.RetrieveError(rerr)
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

// apiStatus is the part of Google's error JSON that the generated client
// does not keep: the canonical code name.
type apiStatus struct {
	Error *struct {
		Code   int    `json:"code"`
		Status string `json:"status"`
	} `json:"error"`
}

// canonicalCode is Google's HTTP mapping read backwards, for answers
// without a "status": the most common code behind each HTTP status
// (https://cloud.google.com/apis/design/errors#handling_errors).
var canonicalCode = map[int]string{
	http.StatusBadRequest:          "INVALID_ARGUMENT",
	http.StatusUnauthorized:        "UNAUTHENTICATED",
	http.StatusForbidden:           "PERMISSION_DENIED",
	http.StatusNotFound:            "NOT_FOUND",
	http.StatusConflict:            "ABORTED",
	http.StatusTooManyRequests:     "RESOURCE_EXHAUSTED",
	499:                            "CANCELLED",
	http.StatusInternalServerError: "INTERNAL",
	http.StatusNotImplemented:      "UNIMPLEMENTED",
	http.StatusServiceUnavailable:  "UNAVAILABLE",
	http.StatusGatewayTimeout:      "DEADLINE_EXCEEDED",
}

// classifyAPIError fills e from an HTTP error answer of the People API.
//
// Google's error model maps several canonical codes onto one HTTP status
// (FAILED_PRECONDITION and OUT_OF_RANGE are 400 like INVALID_ARGUMENT;
// ABORTED is 409), so the decision rests on the error's "status" and its
// google.rpc.ErrorInfo reason, and the HTTP code only fills in when they
// are missing: https://cloud.google.com/apis/design/errors#handling_errors
// and https://cloud.google.com/apis/design/errors#error_info.
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
	var st apiStatus
	fromAPI := json.Unmarshal([]byte(gerr.Body), &st) == nil && st.Error != nil
	if fromAPI {
		e.Code = st.Error.Status
	}
	code := cmp.Or(e.Code, canonicalCode[gerr.Code])
	e.Message = gerr.Message
	msg := cmp.Or(gerr.Message, http.StatusText(gerr.Code))
	switch {
	// Google's front end answers 502 and 503 with HTML pages, and those
	// are worth a retry; a 4xx page that is not the API's error JSON (an
	// HTML 404 "The requested URL was not found on this server") means the
	// request went somewhere other than the People API.
	case !fromAPI && gerr.Code >= 400 && gerr.Code < 500 && gerr.Code != http.StatusTooManyRequests:
		e.Kind = Misconfigured
		e.detail = fmt.Sprintf("the answer (%d %s, %s) is not from the People API, which answers errors in JSON: check PEOPLE_API_ENDPOINT (unset it for Google's endpoint)",
			gerr.Code, http.StatusText(gerr.Code), cmp.Or(gerr.Header.Get("Content-Type"), "no content type"))
	case code == "FAILED_PRECONDITION" || code == "ABORTED":
		// "Mutate requests for the same user should be sent sequentially
		// to avoid increased latency and failures": a write that raced
		// another for the user, here or in another instance, fails this
		// way and succeeds once the other is done.
		// https://developers.google.com/people/api/rest/v1/people/updateContactPhoto
		e.Kind = Unavailable
		e.retry = true
		e.detail = fmt.Sprintf("the People API refused a write that overlapped another for this user (%s: %s)", code, msg)
	case code == "INVALID_ARGUMENT" && strings.Contains(strings.ToLower(msg), "not a valid contact person resource"):
		e.Kind = InvalidContact
		e.detail = "the People API sets photos of contacts (people/c…) only (" + msg + ")"
	case code == "INVALID_ARGUMENT" && e.Op == opUpdate && strings.Contains(strings.ToLower(msg), "photo"),
		gerr.Code == http.StatusRequestEntityTooLarge:
		e.Kind = InvalidPhoto
		e.detail = "the People API rejected the photo (" + msg + "); upload a JPEG or PNG image"
	case code == "UNAUTHENTICATED":
		// An access token can expire early or be refused while the refresh
		// token is still good; only invalid_grant from the token endpoint
		// means the grant is gone. retry drops the token and tries once
		// more with a new one.
		e.Kind = Unauthenticated
		e.renew = true
		e.detail = fmt.Sprintf("the People API refused an access token the token endpoint had just issued (%s, reason %s): the OAuth client's project or the token's scope does not fit this API; run `contactphoto authorize` to store new credentials",
			msg, cmp.Or(info.reason, "none"))
	case code == "PERMISSION_DENIED" && (info.reason == "SERVICE_DISABLED" || info.reason == "accessNotConfigured"):
		e.Kind = APIDisabled
		service := cmp.Or(info.metadata["service"], "people.googleapis.com")
		where := cmp.Or(info.metadata["activationUrl"], helpURL, consoleAPIURL)
		project := cmp.Or(info.metadata["consumer"], "the OAuth client's project")
		e.detail = fmt.Sprintf("the People API (%s) is not enabled in %s: enable it at %s, wait a few minutes, then upload the photo again", service, project, where)
	case code == "RESOURCE_EXHAUSTED", info.reason == "RATE_LIMIT_EXCEEDED" || info.reason == "rateLimitExceeded":
		e.Kind = QuotaExhausted
		e.retry = true
		e.detail = quotaDetail(e.Op, msg, info.metadata)
	case code == "PERMISSION_DENIED":
		e.Kind = PermissionDenied
		e.detail = "the People API denied access (" + msg + "): authorize the account with the https://www.googleapis.com/auth/contacts scope and check that the contact belongs to it"
	case code == "NOT_FOUND":
		e.Kind = ContactNotFound
		e.detail = "no such contact in this account (deleted, or its resource name changed when it was merged or linked to a profile)"
	case code == "UNAVAILABLE", code == "INTERNAL", code == "UNKNOWN", code == "DEADLINE_EXCEEDED",
		gerr.Code == http.StatusBadGateway, gerr.Code >= 500 && !fromAPI:
		e.Kind = Unavailable
		e.retry = true
		e.detail = fmt.Sprintf("the People API is unavailable (%d %s)", gerr.Code, msg)
	case gerr.Code >= 400 && gerr.Code < 500:
		e.Kind = Rejected
		e.detail = fmt.Sprintf("the People API refused the request (%d %s: %s)", gerr.Code, cmp.Or(e.Code, "no status"), msg)
	default:
		e.Kind = Unavailable
		e.detail = fmt.Sprintf("unexpected People API answer (%d %s)", gerr.Code, msg)
	}
	if e.retry {
		e.retryAfter = parseRetryAfter(gerr.Header.Get("Retry-After"), time.Now())
	}
}

// readQuotaName is the People API quota that reads spend: get,
// searchContacts, and the read-back of a mutation with personFields
// (the quota usage listed per method on
// https://developers.google.com/people/v1/contacts).
const readQuotaName = "Critical read requests (Contact and Profile Reads)"

// quotaDetail says which quota ran out and what to do: the read quota and
// the write quota are separate, and lowering the write pace does nothing
// for reads.
func quotaDetail(op, msg string, metadata map[string]string) string {
	metric := metadata["quota_metric"]
	read := strings.Contains(metric, "read") || strings.Contains(strings.ToLower(msg), "read requests") ||
		metric == "" && op == opResolve
	var d string
	if read {
		d = "the People API read quota for this user (" + readQuotaName + " per minute) is exhausted (" + msg + ")"
	} else {
		d = "the People API write quota for this user is exhausted (" + msg + ")"
	}
	if metric != "" {
		d += "; quota metric " + metric
		if l := metadata["quota_limit"]; l != "" {
			d += ", limit " + l
		}
	}
	if read {
		return d + "; reads are email lookups (searchContacts) and the read-back PEOPLE_PERSON_FIELDS asks for: name contacts by resource name, unset PEOPLE_PERSON_FIELDS, or ask for more quota"
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
