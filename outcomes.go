package contactphoto

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/imaging"
	"github.com/contactphoto/contactphoto/people"
	"github.com/contactphoto/contactphoto/tokens"
)

// Outcome is one row of the table of failures: a kind of error an adapter
// reports, or one this package finds, with everything each way out says
// about it. The status metadata, the log, the webhook's answer, the
// command-line tools and the troubleshooting page all read it from here.
type Outcome struct {
	// Reason is stable: it is recorded on the object as "failed: " and the
	// reason, and logged as "reason".
	Reason string
	// Code and HTTPStatus are the webhook's answer: Code is stable, for
	// programs.
	Code       string
	HTTPStatus int
	// RetryAfter is the webhook's Retry-After for a transient failure.
	RetryAfter time.Duration
	// Retry says that trying again later can succeed without anyone doing
	// anything: the event is delivered again instead of being acknowledged.
	Retry bool
	// Actor is who must act for the photo to be set.
	Actor Actor
	// Cause says what happened, and Fix what to do about it.
	Cause, Fix string

	kind any // the adapter's kind, or an ownKind
	// perPhoto marks an operator's failure that need not repeat for the
	// next photo, so that a bulk run goes on.
	perPhoto bool
}

// Halts reports whether the failure would repeat for every photo of a run,
// because the deployment rather than the photo is at fault, so that a bulk
// run should stop instead of failing photo after photo.
func (o *Outcome) Halts() bool { return o.Actor == Operator && !o.Retry && !o.perPhoto }

// Actor is who can mend a failure.
type Actor string

const (
	// Sender is whoever uploaded the photo or sent the request: the photo,
	// its metadata or the contact it names must change.
	Sender Actor = "sender"
	// Operator is whoever runs the deployment: its credentials, APIs or
	// permissions must change.
	Operator Actor = "operator"
	// Nobody: the failure passes by itself, and the event is retried.
	Nobody Actor = "nobody"
)

// ownKind names the failures this package finds itself.
type ownKind string

// imageKind names the failures of package imaging, which are matched by
// error type or sentinel rather than by a kind.
type imageKind string

// The webhook's retry hints: the People API's write quota is per minute;
// outages are usually brief.
const (
	retryAfterQuota       = 60 * time.Second
	retryAfterUnavailable = 10 * time.Second
)

// outcomes is the table, in the order the troubleshooting page lists it.
// Every kind of every adapter has a row; a test checks that.
var outcomes = []Outcome{
	// The object and its metadata.
	{kind: ownKind("no contact"), Reason: "no contact", Code: "unusable_object", HTTPStatus: http.StatusUnprocessableEntity, Actor: Sender,
		Cause: "The object has no metadata naming the contact (resourceName by default, CONTACT_METADATA_KEY), and CONTACT_FROM_FILENAME is off.",
		Fix:   "Set the metadata on the object: `gcloud storage objects update gs://BUCKET/OBJECT --update-custom-metadata=resourceName=people/c1234567890`. The function runs again by itself when the contact or account metadata of a failed object changes."},
	{kind: ownKind("conflicting metadata"), Reason: "conflicting metadata", Code: "unusable_object", HTTPStatus: http.StatusUnprocessableEntity, Actor: Sender,
		Cause: "The object's metadata has the same key twice in different cases (resourceName and ResourceName) with different values.",
		Fix:   "Remove one of them: `gcloud storage objects update gs://BUCKET/OBJECT --remove-custom-metadata=ResourceName`. The function runs again by itself."},
	{kind: ownKind("object too large"), Reason: "object too large", Code: "unusable_object", HTTPStatus: http.StatusUnprocessableEntity, Actor: Sender,
		Cause: "The object is larger than MAX_OBJECT_BYTES (40 MiB by default), so it is not downloaded.",
		Fix:   "Upload a smaller photo (any phone photo fits), or raise MAX_OBJECT_BYTES."},
	{kind: ownKind("bad event"), Reason: "bad event", Code: "invalid_request", HTTPStatus: http.StatusBadRequest, Actor: Operator,
		Cause: "The event is not a Cloud Storage object event: it has no bucket, object name or generation.",
		Fix:   "Point only Cloud Storage object finalized and metadataUpdated events at UpdateContactPhoto."},

	// The photo.
	{kind: imageKind("corrupt"), Reason: "corrupt image", Code: "unusable_image", HTTPStatus: http.StatusUnprocessableEntity, Actor: Sender,
		Cause: "The file claims to be a JPEG, HEIC, PNG, GIF, WebP, BMP or TIFF, but its data is corrupt or truncated (often an upload cut short).",
		Fix:   "Upload the photo again, or export it again from the photo app."},
	{kind: imageKind("unsupported"), Reason: "unsupported image format", Code: "unusable_image", HTTPStatus: http.StatusUnprocessableEntity, Actor: Sender,
		Cause: "The file is not an image in a format the function reads (JPEG, HEIC, PNG, GIF, WebP, BMP, TIFF): for example AVIF, JPEG XL, PSD, PDF or text. The log names what it is.",
		Fix:   "Export the photo as JPEG and upload it again."},
	{kind: imageKind("too large"), Reason: "image too large", Code: "unusable_image", HTTPStatus: http.StatusUnprocessableEntity, Actor: Sender,
		Cause: "The image has more pixels than MAX_PIXELS allows, an oversized Exif block, too many progressive scans, needs more memory to decode than the instance can ever lend it (the message says how much), or cannot be made to fit MAX_PHOTO_BYTES.",
		Fix:   "Scale the photo down and upload it again."},

	{kind: ownKind("too large for memory"), Reason: "too large for memory", Code: "too_large", HTTPStatus: http.StatusRequestEntityTooLarge, Actor: Sender,
		Cause: "Decoding the photo would need more memory than the instance has, even with no other photo in flight.",
		Fix:   "Scale the photo down and upload it again, or give the function more memory."},

	// The contact and the People API.
	{kind: people.InvalidContact, Reason: "invalid contact", Code: "invalid_contact", HTTPStatus: http.StatusBadRequest, Actor: Sender,
		Cause: "The contact named is not a resource name (people/c1234567890) or an email address, or a file name is neither.",
		Fix:   "Correct the metadata (or rename the file to c1234567890.jpg or alice@example.com.jpg). Find a contact's resource name in the address of its page on contacts.google.com: /person/c1234567890."},
	{kind: people.ContactNotFound, Reason: "contact not found", Code: "contact_not_found", HTTPStatus: http.StatusNotFound, Actor: Sender,
		Cause: "No contact of the account has that resource name or email address: it was deleted, merged, or belongs to another account.",
		Fix:   "Correct the contact metadata, or add the email address to the contact; a folder backfill checks the contact again on its next run."},
	{kind: people.AmbiguousContact, Reason: "ambiguous contact", Code: "ambiguous_contact", HTTPStatus: http.StatusConflict, Actor: Sender,
		Cause: "The email address belongs to more than one contact; the log lists them.",
		Fix:   "Name the contact by its resource name instead, or merge the duplicates in Google Contacts."},
	{kind: people.InvalidPhoto, Reason: "invalid photo", Code: "unusable_image", HTTPStatus: http.StatusUnprocessableEntity, Actor: Sender,
		Cause: "The People API refused the photo the function made.",
		Fix:   "Try another photo; if every photo fails, report it with the function's log."},
	{kind: people.PermissionDenied, Reason: "permission denied", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "The People API denied access: the token lacks the contacts scope, or the contact is not the account's (a directory profile or another user's).",
		Fix:   "Authorize the account again with `contactphoto authorize`, which asks for the contacts scope; name only the account's own contacts."},
	{kind: people.APIDisabled, Reason: "api disabled", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "The People API is not enabled in the OAuth client's project.",
		Fix:   "Enable it (the log has the link), wait a few minutes, then re-run the failed objects with `contactphoto backfill --retry-failed`."},
	{kind: people.AuthRevoked, Reason: "auth revoked", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "The People API rejected the account's credentials: the refresh token was revoked or expired.",
		Fix:   "Authorize again with `contactphoto authorize`, then `contactphoto backfill --retry-failed gs://BUCKET`."},
	{kind: people.Unauthenticated, Reason: "unauthenticated", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "The People API refused an access token that Google's token endpoint had just issued: the credentials are not for the People API (another OAuth client's project, or a token endpoint that is not Google's).",
		Fix:   "Check TOKEN_SECRET and ACCOUNTS, authorize again with `contactphoto authorize`, then re-run the failed objects."},
	{kind: people.Misconfigured, Reason: "misconfigured", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "The answer did not come from the People API (an HTML or empty page): PEOPLE_API_ENDPOINT points somewhere else, or a proxy answered.",
		Fix:   "Unset PEOPLE_API_ENDPOINT (it is for stand-ins only) or correct it, then re-run the failed objects."},
	{kind: people.Rejected, Reason: "rejected by the People API", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator, perPhoto: true,
		Cause: "The People API refused the request for a reason the function does not know; the recorded reason ends with the API's own words.",
		Fix:   "Read the API's words in the reason or the log; if the photo or contact is at fault, fix it and upload again, otherwise report it with the log."},
	{kind: people.QuotaExhausted, Reason: "quota exhausted", Code: "quota_exhausted", HTTPStatus: http.StatusServiceUnavailable, RetryAfter: retryAfterQuota, Retry: true, Actor: Nobody,
		Cause: "The People API's per-user write quota is used up for now.",
		Fix:   "Nothing: the event is retried. If it happens often, lower PEOPLE_WRITES_PER_MINUTE."},
	{kind: people.Unavailable, Reason: "unavailable", Code: "unavailable", HTTPStatus: http.StatusServiceUnavailable, RetryAfter: retryAfterUnavailable, Retry: true, Actor: Nobody,
		Cause: "The People API or the network failed, or the event's deadline passed.",
		Fix:   "Nothing: the event is retried."},

	// The account's credentials.
	{kind: tokens.UnknownAccount, Reason: "unknown account", Code: "unknown_account", HTTPStatus: http.StatusBadRequest, Actor: Sender,
		Cause: "The object's account metadata names an account that is not in ACCOUNTS.",
		Fix:   "Correct the account metadata (the function runs again by itself), or add the account to ACCOUNTS."},
	{kind: tokens.SecretNotFound, Reason: "secret not found", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "The account's secret (TOKEN_SECRET or ACCOUNTS) or its version does not exist, or is disabled or destroyed.",
		Fix:   "Store a token with `contactphoto authorize --secret projects/P/secrets/S`, then `contactphoto backfill --retry-failed gs://BUCKET`."},
	{kind: tokens.SecretPermissionDenied, Reason: "secret permission denied", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "The function's service account may not read the secret.",
		Fix:   "Grant it roles/secretmanager.secretAccessor on the secret, then re-run the failed objects."},
	{kind: tokens.InvalidSecret, Reason: "invalid secret", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "The secret's payload is not usable credentials (an authorized_user JSON, or a delegation setting).",
		Fix:   "Store it again with `contactphoto authorize`, then re-run the failed objects."},
	{kind: tokens.AuthRevoked, Reason: "authorization revoked", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "Google refused the refresh token (invalid_grant): it was revoked, or expired after 7 days because the OAuth consent screen is in Testing status.",
		Fix:   "Publish the consent screen In production, authorize again with `contactphoto authorize`, then `contactphoto backfill --retry-failed gs://BUCKET`."},
	{kind: tokens.ClientRejected, Reason: "oauth client rejected", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "Google's token endpoint refused the OAuth client (deleted, or its secret was reset).",
		Fix:   "Create or fix the OAuth client, authorize again with `contactphoto authorize`, then re-run the failed objects."},
	{kind: tokens.DelegationDenied, Reason: "delegation denied", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Actor: Operator,
		Cause: "Domain-wide delegation is not granted for the user and the contacts scope, or the function may not sign for the delegating service account.",
		Fix:   "Grant the delegation in the Workspace Admin console (see docs/workspace.md), then re-run the failed objects."},
	{kind: tokens.Unavailable, Reason: "token unavailable", Code: "unavailable", HTTPStatus: http.StatusServiceUnavailable, RetryAfter: retryAfterUnavailable, Retry: true, Actor: Nobody,
		Cause: "Secret Manager or Google's token endpoint did not answer in time.",
		Fix:   "Nothing: the event is retried."},

	// Cloud Storage.
	{kind: gcs.NotFound, Reason: "object not found", Code: "object_not_found", HTTPStatus: http.StatusNotFound, Actor: Sender,
		Cause: "The object or generation does not exist (deleted or overwritten).",
		Fix:   "Nothing for an upload: a newer generation has its own event. For a webhook re-run, check the bucket, name and generation."},
	{kind: gcs.PermissionDenied, Reason: "object permission denied", Code: "upstream_refused", HTTPStatus: http.StatusBadGateway, Retry: true, Actor: Operator,
		Cause: "The function's service account may not read or update objects in the bucket.",
		Fix:   "Grant it roles/storage.objectUser on the bucket; the event is retried meanwhile."},
	{kind: gcs.Conflict, Reason: "object changed meanwhile", Code: "unavailable", HTTPStatus: http.StatusServiceUnavailable, RetryAfter: retryAfterUnavailable, Retry: true, Actor: Nobody,
		Cause: "The object's metadata changed while the function recorded its status.",
		Fix:   "Nothing: the event is retried."},
	{kind: gcs.Unavailable, Reason: "object unavailable", Code: "unavailable", HTTPStatus: http.StatusServiceUnavailable, RetryAfter: retryAfterUnavailable, Retry: true, Actor: Nobody,
		Cause: "Cloud Storage or the network failed.",
		Fix:   "Nothing: the event is retried."},
}

// unknownOutcome is an error no adapter classified: permanent ones are a
// defect to report, others are retried.
var (
	unknownPermanent = Outcome{Reason: "failed", Code: "internal", HTTPStatus: http.StatusInternalServerError, Actor: Operator,
		Cause: "An error that the function does not classify.", Fix: "Report it with the function's log."}
	unknownTransient = Outcome{Reason: "failed", Code: "unavailable", HTTPStatus: http.StatusServiceUnavailable,
		RetryAfter: retryAfterUnavailable, Retry: true, Actor: Nobody,
		Cause: "An error that the function does not classify.", Fix: "Nothing: the event is retried."}
)

// Outcomes returns the table's rows, for documentation and tools.
func Outcomes() []Outcome { return append([]Outcome(nil), outcomes...) }

// OutcomeOf finds err's row in the table. It is the one place that
// reads the kinds of every adapter.
func OutcomeOf(err error) *Outcome {
	var (
		fe  *imaging.FormatError
		te  *tokens.Error
		pe  *people.Error
		ge  *gcs.Error
		own *permanentError
		key any
	)
	switch {
	case errors.As(err, &fe):
		key = imageKind("corrupt")
	case errors.Is(err, imaging.ErrUnsupportedFormat):
		key = imageKind("unsupported")
	case errors.Is(err, imaging.ErrTooLarge):
		key = imageKind("too large")
	// The token store's verdict comes first: the People client passes
	// credential failures through, wrapped.
	case errors.As(err, &te):
		key = te.Kind
	case errors.As(err, &pe):
		key = pe.Kind
	case errors.As(err, &ge) && ge.Kind == gcs.TooLarge:
		key = ownKind("object too large") // it grew while it was read
	case errors.As(err, &ge):
		key = ge.Kind
	case errors.As(err, &own):
		key = own.kind
	}
	for i := range outcomes {
		if key != nil && outcomes[i].kind == key {
			return &outcomes[i]
		}
	}
	if IsPermanent(err) {
		return &unknownPermanent
	}
	return &unknownTransient
}

// LookupOutcome finds the row of a recorded reason, as read back from an
// object's status or a folder's journal, also when the reason carries the
// API's words after the row's reason.
func LookupOutcome(reason string) (*Outcome, bool) {
	for i := range outcomes {
		if r := outcomes[i].Reason; reason == r || strings.HasPrefix(reason, r+": ") {
			return &outcomes[i], true
		}
	}
	return nil, false
}

// FailureReason gives a short reason for a failure, for the log and the
// object's status: "invalid contact", "corrupt image", "auth revoked". It is
// the row's stable reason, except that a refusal the People API gives for a
// reason the function does not know carries the API's own words after it,
// as the only useful reason there is.
func FailureReason(err error) string {
	o := OutcomeOf(err)
	if pe, ok := errors.AsType[*people.Error](err); ok && pe.Kind == people.Rejected {
		return o.Reason + ": " + truncate(strings.TrimSpace(pe.Message), 120)
	}
	return o.Reason
}

// The failures this package finds itself; match them with errors.Is.
var (
	ErrNoContact           = &permanentError{kind: "no contact"}
	ErrConflictingMetadata = &permanentError{kind: "conflicting metadata"}
	ErrObjectTooLarge      = &permanentError{kind: "object too large"}
	ErrBadEvent            = &permanentError{kind: "bad event"}
	ErrTooLargeForMemory   = &permanentError{kind: "too large for memory"}
)

// permanentError is a failure of the input itself, found by this package:
// one of the sentinels above, with the details of one occurrence.
type permanentError struct {
	kind ownKind
	err  error
}

// permanentf returns an error matching sentinel (one of the Err variables
// above) with a message made from format.
func permanentf(sentinel *permanentError, format string, args ...any) error {
	return &permanentError{kind: sentinel.kind, err: fmt.Errorf(format, args...)}
}

func (e *permanentError) Error() string {
	if e.err == nil {
		return string(e.kind)
	}
	return e.err.Error()
}
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Permanent() bool { return true }

// Is matches the sentinel of the same kind.
func (e *permanentError) Is(target error) bool {
	t, ok := target.(*permanentError)
	return ok && t.err == nil && t.kind == e.kind
}
