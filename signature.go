package contactphoto

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the webhook's HMAC signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of t + "." + body>". Several v1
// entries may be sent while a sender rotates keys; one matching is enough.
const SignatureHeader = "X-Contactphoto-Signature"

// SignatureTolerance is how far a signature's timestamp may be from now, in
// either direction. Older signatures are refused, which stops replays.
const SignatureTolerance = 5 * time.Minute

// Sign returns the SignatureHeader value for body, signed with key at t.
func Sign(key []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(key, ts, body))
}

func mac(key []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// errBadSignature is deliberately vague: the caller learns nothing about
// which part of the signature failed.
var errBadSignature = errors.New("missing or invalid signature")

// parseSignature reads a SignatureHeader value and checks its timestamp,
// which needs no body: a stale or malformed header is refused before the
// body is read.
func parseSignature(header string, now time.Time) (ts string, sigs [][]byte, err error) {
	if header == "" || len(header) > 4096 {
		return "", nil, errBadSignature
	}
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, errBadSignature
		}
		switch k {
		case "t":
			if ts != "" {
				return "", nil, errBadSignature
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				continue
			}
			sigs = append(sigs, sig)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 || len(sigs) > 8 {
		return "", nil, errBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > SignatureTolerance || d < -SignatureTolerance {
		return "", nil, errBadSignature
	}
	return ts, sigs, nil
}

// verifySignature checks header against body with key. It compares every
// candidate in constant time.
func verifySignature(header string, body, key []byte, now time.Time) error {
	ts, sigs, err := parseSignature(header, now)
	if err != nil || len(key) == 0 {
		return errBadSignature
	}
	want := mac(key, ts, body)
	// Every candidate is compared, so the time taken does not tell which
	// entry matched.
	matched := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return errBadSignature
	}
	return nil
}
