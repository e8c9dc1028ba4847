package peopletest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The types below write Google's error JSON ("google.rpc.Status" over
// HTTP). Details carry "@type" so that the client library's error parser
// (protojson with the well-known error detail types) reads them.

type errorBody struct {
	Error errorStatus `json:"error"`
}

type errorStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []any  `json:"details,omitempty"`
}

type errorInfo struct {
	Type     string            `json:"@type"`
	Reason   string            `json:"reason"`
	Domain   string            `json:"domain"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

type help struct {
	Type  string     `json:"@type"`
	Links []helpLink `json:"links"`
}

type helpLink struct {
	Description string `json:"description"`
	URL         string `json:"url"`
}

type localizedMessage struct {
	Type    string `json:"@type"`
	Locale  string `json:"locale"`
	Message string `json:"message"`
}

func newErrorInfo(reason string, metadata map[string]string) errorInfo {
	return errorInfo{Type: "type.googleapis.com/google.rpc.ErrorInfo", Reason: reason, Domain: "googleapis.com", Metadata: metadata}
}

func newHelp(description, url string) help {
	return help{Type: "type.googleapis.com/google.rpc.Help", Links: []helpLink{{Description: description, URL: url}}}
}

// httpStatus is Google's HTTP mapping of each canonical error code, as
// https://cloud.google.com/apis/design/errors#handling_errors lists it (and
// google/rpc/code.proto states next to each code). Several codes share a
// status: FAILED_PRECONDITION and OUT_OF_RANGE are 400 like
// INVALID_ARGUMENT, ABORTED is 409 like ALREADY_EXISTS, so a client has to
// read "status" and the ErrorInfo reason, not only the HTTP code.
var httpStatus = map[string]int{
	"CANCELLED":           499,
	"UNKNOWN":             http.StatusInternalServerError,
	"INVALID_ARGUMENT":    http.StatusBadRequest,
	"DEADLINE_EXCEEDED":   http.StatusGatewayTimeout,
	"NOT_FOUND":           http.StatusNotFound,
	"ALREADY_EXISTS":      http.StatusConflict,
	"PERMISSION_DENIED":   http.StatusForbidden,
	"UNAUTHENTICATED":     http.StatusUnauthorized,
	"RESOURCE_EXHAUSTED":  http.StatusTooManyRequests,
	"FAILED_PRECONDITION": http.StatusBadRequest,
	"ABORTED":             http.StatusConflict,
	"OUT_OF_RANGE":        http.StatusBadRequest,
	"UNIMPLEMENTED":       http.StatusNotImplemented,
	"INTERNAL":            http.StatusInternalServerError,
	"UNAVAILABLE":         http.StatusServiceUnavailable,
	"DATA_LOSS":           http.StatusInternalServerError,
}

// codeFor is the canonical code an HTTP status most plainly stands for,
// for faults given by HTTP status alone.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusInternalServerError:
		return "INTERNAL"
	}
	for name, s := range httpStatus {
		if s == status {
			return name
		}
	}
	return "UNKNOWN"
}

// writeError answers with Google's error JSON for the canonical code name,
// with the HTTP status Google maps it to.
func writeError(w http.ResponseWriter, code, message string, details ...any) {
	status, ok := httpStatus[code]
	if !ok {
		panic("peopletest: unknown canonical code " + code)
	}
	body, _ := json.Marshal(errorBody{Error: errorStatus{Code: status, Message: message, Status: code, Details: details}})
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Vary", "Origin, X-Origin, Referer")
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) invalidArgument(w http.ResponseWriter, format string, args ...any) {
	writeError(w, "INVALID_ARGUMENT", fmt.Sprintf(format, args...))
}

func (s *Server) notFound(w http.ResponseWriter) {
	writeError(w, "NOT_FOUND", "Requested entity was not found.")
}

// unauthenticated answers a request whose access token the API refuses.
// reason is the google.rpc.ErrorInfo reason of the googleapis.com domain:
// CREDENTIALS_MISSING, ACCESS_TOKEN_EXPIRED or ACCESS_TOKEN_TYPE_UNSUPPORTED
// (https://cloud.google.com/apis/design/errors#error_info, the values of
// google.api.ErrorReason).
func (s *Server) unauthenticated(w http.ResponseWriter, method, reason string) {
	msg := "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	if reason == "CREDENTIALS_MISSING" {
		msg = "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	}
	s.mu.Lock()
	s.stats.Unauthenticated++
	s.mu.Unlock()
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	writeError(w, "UNAUTHENTICATED", msg, newErrorInfo(reason, map[string]string{
		"service": service,
		"method":  "google.people.v1.PeopleService." + method,
	}))
}

func (s *Server) serviceDisabled(w http.ResponseWriter) {
	activation := "https://console.developers.google.com/apis/api/" + service + "/overview?project=" + s.project
	msg := "People API has not been used in project " + s.project + " before or it is disabled. Enable it by visiting " +
		activation + " then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."
	writeError(w, "PERMISSION_DENIED", msg,
		newErrorInfo("SERVICE_DISABLED", map[string]string{
			"activationUrl": activation,
			"consumer":      "projects/" + s.project,
			"containerInfo": s.project,
			"service":       service,
			"serviceTitle":  "People API",
		}),
		localizedMessage{Type: "type.googleapis.com/google.rpc.LocalizedMessage", Locale: "en-US", Message: msg},
		newHelp("Google developers console API activation", activation),
	)
}

// quota is one of the per-user quotas the stand-in enforces. The People API
// counts each method against named quotas ("Critical read requests (Contact
// and Profile Reads)" for get, searchContacts and the read-back of a
// mutation; photo writes against the write quota), as the quota usage of
// each method on https://developers.google.com/people/v1/contacts says.
type quota struct {
	display string // the metric's display name, in the message
	metric  string // quota_metric of the ErrorInfo
	limit   string // quota_limit of the ErrorInfo
}

var (
	writeQuota = quota{"Critical write requests", QuotaMetric, QuotaLimit}
	readQuota  = quota{"Critical read requests (Contact and Profile Reads)", ReadQuotaMetric, ReadQuotaLimit}
)

// quotaExceeded is the answer to a call over a per-user quota: 429
// RESOURCE_EXHAUSTED with an ErrorInfo of reason RATE_LIMIT_EXCEEDED naming
// the quota metric and limit, the shape
// https://cloud.google.com/apis/design/errors#error_info documents.
func (s *Server) quotaExceeded(w http.ResponseWriter, q quota, limit int, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	writeError(w, "RESOURCE_EXHAUSTED",
		"Quota exceeded for quota metric '"+q.display+"' and limit '"+q.display+" per minute per user' of service '"+
			service+"' for consumer 'project_number:"+s.project+"'.",
		newErrorInfo("RATE_LIMIT_EXCEEDED", map[string]string{
			"consumer":          "projects/" + s.project,
			"quota_limit":       q.limit,
			"quota_limit_value": strconv.Itoa(limit),
			"quota_location":    "global",
			"quota_metric":      q.metric,
			"quota_unit":        "1/min/{project}/{user}",
			"service":           service,
		}),
		newHelp("Request a higher quota limit.", "https://cloud.google.com/docs/quotas/help/request_increase"),
	)
}

// writeFault answers with the canned failure of an injected fault.
func (s *Server) writeFault(w http.ResponseWriter, method string, f Fault) {
	code := f.Code
	if code == "" {
		code = codeFor(f.Status)
	}
	switch {
	case f.Status == http.StatusBadGateway:
		// Google's front end answers 502 with an HTML page, not JSON.
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<!DOCTYPE html>\n<html lang=en><title>Error 502 (Server Error)!!1</title><p><b>502.</b> <ins>That’s an error.</ins><p>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds. <ins>That’s all we know.</ins></html>\n"))
		return
	case code == "RESOURCE_EXHAUSTED" && f.ReadQuota:
		s.quotaExceeded(w, readQuota, s.readQuota, f.RetryAfter)
		return
	case code == "RESOURCE_EXHAUSTED":
		s.quotaExceeded(w, writeQuota, s.quota, f.RetryAfter)
		return
	case code == "UNAUTHENTICATED":
		s.unauthenticated(w, method, cmp.Or(f.Reason, "ACCESS_TOKEN_EXPIRED"))
		return
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	var details []any
	if f.Reason != "" {
		details = append(details, newErrorInfo(f.Reason, map[string]string{"service": service}))
	}
	switch code {
	case "UNAVAILABLE":
		writeError(w, code, "The service is currently unavailable.", details...)
	case "INTERNAL":
		writeError(w, code, "Internal error encountered.", details...)
	case "DEADLINE_EXCEEDED":
		writeError(w, code, "Deadline expired before operation could complete.", details...)
	case "FAILED_PRECONDITION":
		writeError(w, code, "Precondition check failed.", details...)
	case "ABORTED":
		writeError(w, code, "The operation was aborted.", details...)
	case "PERMISSION_DENIED":
		if f.Reason == "" {
			details = append(details, newErrorInfo("ACCESS_TOKEN_SCOPE_INSUFFICIENT", map[string]string{"service": service}))
		}
		writeError(w, code, "Request had insufficient authentication scopes.", details...)
	default:
		writeError(w, code, strings.TrimSpace(http.StatusText(httpStatus[code])+"."), details...)
	}
}
