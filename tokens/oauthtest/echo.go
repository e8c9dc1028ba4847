package oauthtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// NewEchoingTokenEndpoint starts a token endpoint on 127.0.0.1 that
// misbehaves the way some endpoints and proxies do: it refuses every
// request with an answer that repeats the request, client secret, refresh
// token, authorization code and PKCE verifier included. When the request
// mentions "Plain" (in a refresh token, say) the answer is a plain-text
// 400 without an OAuth error code, which golang.org/x/oauth2 puts whole
// into its error; otherwise it is Google's JSON error shape, invalid_request,
// with the request in error_description. Close it when done.
func NewEchoingTokenEndpoint() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		echo := string(body) + " Authorization: " + r.Header.Get("Authorization")
		if strings.Contains(echo, "Plain") {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "cannot handle "+echo)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "unexpected " + echo})
	}))
}
