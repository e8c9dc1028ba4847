package gcstest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// metagenerations adds what fake-gcs-server lacks and Cloud Storage has:
// each object generation's metageneration, which starts at 1 and grows with
// every metadata update, and the ifGenerationMatch / ifMetagenerationMatch
// preconditions on metadata updates, answered with 412 as Cloud Storage does,
// and 404 for an update of a generation that is no longer live.
// The emulator always reports metageneration 1 and ignores the
// preconditions, which would hide lost updates.
type metagenerations struct {
	s    *Server
	next http.Handler

	mu      sync.Mutex // serialises writes so that a metadata update's check-and-bump is atomic
	m       map[string]int64
	updates []MetadataUpdate
}

func (mg *metagenerations) key(bucket, object string, gen int64) string {
	return bucket + "\x00" + object + "\x00" + strconv.FormatInt(gen, 10)
}

// get returns the metageneration of a generation; mg.mu must be held.
func (mg *metagenerations) get(bucket, object string, gen int64) int64 {
	if v, ok := mg.m[mg.key(bucket, object, gen)]; ok {
		return v
	}
	return 1
}

// objectPath splits /storage/v1/b/BUCKET/o/OBJECT (the JSON API's object
// resource) into its unescaped parts.
func objectPath(escaped string) (bucket, object string, ok bool) {
	rest, found := strings.CutPrefix(escaped, "/storage/v1/b/")
	if !found {
		return "", "", false
	}
	b, o, found := strings.Cut(rest, "/o/")
	if !found || b == "" || o == "" || strings.Contains(b, "/") {
		return "", "", false
	}
	bucket, err1 := url.PathUnescape(b)
	object, err2 := url.PathUnescape(o)
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	return bucket, object, true
}

func (mg *metagenerations) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, object, ok := objectPath(r.URL.EscapedPath())
	q := r.URL.Query()
	if r.Method != http.MethodGet && r.Method != http.MethodPatch || !ok && r.Method == http.MethodPatch {
		// Uploads and deletes too wait for a metadata update in progress,
		// which Cloud Storage applies atomically with its preconditions.
		mg.mu.Lock()
		defer mg.mu.Unlock()
		mg.next.ServeHTTP(w, r)
		return
	}
	if !ok || q.Get("alt") == "media" {
		mg.next.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodGet {
		rec := httptest.NewRecorder()
		mg.next.ServeHTTP(rec, r)
		mg.mu.Lock()
		defer mg.mu.Unlock()
		mg.relay(w, rec, bucket, object, 0)
		return
	}

	mg.mu.Lock()
	defer mg.mu.Unlock()
	cur, err := mg.s.fake.GetObject(bucket, object)
	if err != nil {
		mg.next.ServeHTTP(w, r)
		return
	}
	gen := cur.Generation
	if g := q.Get("generation"); g != "" {
		if gen, err = strconv.ParseInt(g, 10, 64); err != nil {
			writeError(w, http.StatusBadRequest, "Invalid argument.")
			return
		}
	}
	if gen != cur.Generation {
		// The stand-in keeps no noncurrent generations, like a bucket
		// without object versioning; the emulator would patch the live one.
		writeError(w, http.StatusNotFound, "No such object: "+bucket+"/"+object)
		return
	}
	if v := q.Get("ifGenerationMatch"); v != "" && v != strconv.FormatInt(cur.Generation, 10) {
		writeError(w, http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold.")
		return
	}
	if v := q.Get("ifMetagenerationMatch"); v != "" && v != strconv.FormatInt(mg.get(bucket, object, gen), 10) {
		writeError(w, http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold.")
		return
	}
	rec := httptest.NewRecorder()
	mg.next.ServeHTTP(rec, r)
	if rec.Code/100 == 2 {
		mg.m[mg.key(bucket, object, gen)] = mg.get(bucket, object, gen) + 1
		mg.updates = append(mg.updates, MetadataUpdate{Bucket: bucket, Name: object, Generation: gen, Metageneration: mg.get(bucket, object, gen)})
	}
	mg.relay(w, rec, bucket, object, gen)
}

// relay copies a recorded response, putting the tracked metageneration into
// an object resource. mg.mu must be held.
func (mg *metagenerations) relay(w http.ResponseWriter, rec *httptest.ResponseRecorder, bucket, object string, gen int64) {
	body := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		var obj map[string]any
		if json.Unmarshal(body, &obj) == nil {
			if gen == 0 {
				gen, _ = strconv.ParseInt(toString(obj["generation"]), 10, 64)
			}
			obj["metageneration"] = strconv.FormatInt(mg.get(bucket, object, gen), 10)
			if b, err := json.Marshal(obj); err == nil {
				body = b
			}
		}
	}
	for k, vs := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = vs
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	w.Write(body)
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatInt(int64(v), 10)
	}
	return ""
}

// writeError answers in the JSON API's error shape.
func writeError(w http.ResponseWriter, code int, msg string) {
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"errors": []map[string]string{{"message": msg, "domain": "global", "reason": reasonFor(code)}},
	}})
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

func reasonFor(code int) string {
	switch code {
	case http.StatusPreconditionFailed:
		return "conditionNotMet"
	case http.StatusNotFound:
		return "notFound"
	}
	return "invalid"
}
