package peopletest

import (
	"io"
	"net/http"
	"net/http/httptest"
)

// NewWrongEndpoint starts a server on 127.0.0.1 that answers every request
// the way Google's front end answers a URL that is no API: 404 with an HTML
// page, not the API's error JSON. A PEOPLE_API_ENDPOINT with a wrong host or
// path gets this. Close it when done.
func NewWrongEndpoint() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title><p><b>404.</b> <ins>That’s an error.</ins><p>The requested URL was not found on this server. <ins>That’s all we know.</ins></html>\n")
	}))
}
