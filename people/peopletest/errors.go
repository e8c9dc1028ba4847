package peopletest

import (
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

// statusNames maps HTTP codes to the canonical google.rpc.Code names the API
// puts in "status".
var statusNames = map[int]string{
	http.StatusBadRequest:          "INVALID_ARGUMENT",
	http.StatusUnauthorized:        "UNAUTHENTICATED",
	http.StatusForbidden:           "PERMISSION_DENIED",
	http.StatusNotFound:            "NOT_FOUND",
	http.StatusConflict:            "ABORTED",
	http.StatusPreconditionFailed:  "FAILED_PRECONDITION",
	http.StatusTooManyRequests:     "RESOURCE_EXHAUSTED",
	http.StatusInternalServerError: "INTERNAL",
	http.StatusNotImplemented:      "UNIMPLEMENTED",
	http.StatusServiceUnavailable:  "UNAVAILABLE",
	http.StatusGatewayTimeout:      "DEADLINE_EXCEEDED",
}

// writeError answers with Google's error JSON.
func writeError(w http.ResponseWriter, code int, message string, details ...any) {
	status, ok := statusNames[code]
	if !ok {
		status = "UNKNOWN"
	}
	body, _ := json.Marshal(errorBody{Error: errorStatus{Code: code, Message: message, Status: status, Details: details}})
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Vary", "Origin, X-Origin, Referer")
	w.WriteHeader(code)
	w.Write(body)
}

func (s *Server) invalidArgument(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, fmt.Sprintf(format, args...))
}

func (s *Server) notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "Requested entity was not found.")
}

func (s *Server) unauthenticated(w http.ResponseWriter, method string, missing bool) {
	reason, msg := "ACCESS_TOKEN_TYPE_UNSUPPORTED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	if missing {
		reason, msg = "CREDENTIALS_MISSING", "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, msg, newErrorInfo(reason, map[string]string{
		"service": service,
		"method":  "google.people.v1.PeopleService." + method,
	}))
}

func (s *Server) serviceDisabled(w http.ResponseWriter) {
	activation := "https://console.developers.google.com/apis/api/" + service + "/overview?project=" + s.project
	msg := "People API has not been used in project " + s.project + " before or it is disabled. Enable it by visiting " +
		activation + " then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."
	writeError(w, http.StatusForbidden, msg,
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

// quotaExceeded is the answer to a write over the per-user quota.
func (s *Server) quotaExceeded(w http.ResponseWriter, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	writeError(w, http.StatusTooManyRequests,
		"Quota exceeded for quota metric 'Critical write requests' and limit 'Critical write requests per minute per user' of service '"+
			service+"' for consumer 'project_number:"+s.project+"'.",
		newErrorInfo("RATE_LIMIT_EXCEEDED", map[string]string{
			"consumer":          "projects/" + s.project,
			"quota_limit":       QuotaLimit,
			"quota_limit_value": strconv.Itoa(s.quota),
			"quota_location":    "global",
			"quota_metric":      QuotaMetric,
			"quota_unit":        "1/min/{project}/{user}",
			"service":           service,
		}),
		newHelp("Request a higher quota limit.", "https://cloud.google.com/docs/quotas/help/request_increase"),
	)
}

// writeFault answers with the canned failure of an injected fault.
func (s *Server) writeFault(w http.ResponseWriter, f Fault) {
	switch f.Status {
	case http.StatusTooManyRequests:
		s.quotaExceeded(w, f.RetryAfter)
		return
	case http.StatusBadGateway:
		// Google's front end answers 502 with an HTML page, not JSON.
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<!DOCTYPE html>\n<html lang=en><title>Error 502 (Server Error)!!1</title><p><b>502.</b> <ins>That’s an error.</ins><p>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds. <ins>That’s all we know.</ins></html>\n"))
		return
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	switch f.Status {
	case http.StatusServiceUnavailable:
		writeError(w, f.Status, "The service is currently unavailable.")
	case http.StatusInternalServerError:
		writeError(w, f.Status, "Internal error encountered.")
	case http.StatusGatewayTimeout:
		writeError(w, f.Status, "Deadline expired before operation could complete.")
	case http.StatusForbidden:
		writeError(w, f.Status, "Request had insufficient authentication scopes.",
			newErrorInfo("ACCESS_TOKEN_SCOPE_INSUFFICIENT", map[string]string{"service": service}))
	default:
		writeError(w, f.Status, strings.TrimSpace(http.StatusText(f.Status)+"."))
	}
}
