package contactphoto

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestVerifySignature(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	other := []byte("fedcba9876543210fedcba9876543210")
	body := []byte(`{"resourceName":"people/c1","action":"delete"}`)
	now := time.Unix(1_800_000_000, 0)
	sig := func(k []byte, at time.Time) string { return Sign(k, at, body) }
	entry := func(k []byte) string { _, v, _ := strings.Cut(sig(k, now), ","); return v }
	junkEntry := "v1=" + strings.Repeat("ab", sha256.Size)
	tests := []struct {
		name   string
		header string
		body   []byte // nil: body
		key    []byte // nil: key
		ok     bool
	}{
		{"valid", sig(key, now), nil, nil, true},
		{"exactly 5 minutes old", sig(key, now.Add(-SignatureTolerance)), nil, nil, true},
		{"exactly 5 minutes ahead", sig(key, now.Add(SignatureTolerance)), nil, nil, true},
		{"second of several v1", sig(other, now) + "," + entry(key), nil, nil, true},
		{"first of several v1", sig(key, now) + "," + entry(other) + "," + junkEntry, nil, nil, true},
		{"spaces after commas", strings.ReplaceAll(sig(key, now)+","+entry(other), ",", ", "), nil, nil, true},
		{"unknown schemes are ignored", sig(key, now) + ",v0=abc,v2=" + strings.Repeat("00", 32), nil, nil, true},
		{"an entry that is not hex does not spoil the others", sig(key, now) + ",v1=zz", nil, nil, true},
		{"order of t and v1", entry(key) + ",t=" + fmt.Sprint(now.Unix()), nil, nil, true},

		{"empty", "", nil, nil, false},
		{"wrong key", sig(other, now), nil, nil, false},
		{"tampered body", sig(key, now), []byte(`{"resourceName":"people/c2","action":"delete"}`), nil, false},
		{"a byte added to the body", sig(key, now), append([]byte(`{"resourceName":"people/c1","action":"delete"}`), ' '), nil, false},
		{"over 5 minutes old", sig(key, now.Add(-SignatureTolerance-time.Second)), nil, nil, false},
		{"over 5 minutes ahead", sig(key, now.Add(SignatureTolerance+time.Second)), nil, nil, false},
		{"no timestamp", entry(key), nil, nil, false},
		{"two timestamps", sig(key, now) + ",t=" + fmt.Sprint(now.Unix()), nil, nil, false},
		{"timestamp not a number", strings.Replace(sig(key, now), "t=", "t=x", 1), nil, nil, false},
		{"timestamp in milliseconds", strings.Replace(sig(key, now), fmt.Sprint("t=", now.Unix()), fmt.Sprint("t=", now.UnixMilli()), 1), nil, nil, false},
		{"no v1", "t=" + fmt.Sprint(now.Unix()), nil, nil, false},
		{"truncated v1", sig(key, now)[:len(sig(key, now))-2], nil, nil, false},
		{"upper-case hex of another key", "t=" + fmt.Sprint(now.Unix()) + "," + strings.ToUpper(entry(other)), nil, nil, false},
		{"part without =", sig(key, now) + ",v1", nil, nil, false},
		{"more than 8 v1", sig(key, now) + strings.Repeat(","+junkEntry, 8), nil, nil, false},
		{"over 4096 bytes", sig(key, now) + strings.Repeat(",x=y", 1100), nil, nil, false},
		{"empty key", sig(nil, now), nil, []byte{}, false},
		{"signature of the empty body", sig(key, now), []byte{}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, k := body, key
			if tt.body != nil {
				b = tt.body
			}
			if tt.key != nil {
				k = tt.key
			}
			err := verifySignature(tt.header, b, k, now)
			switch {
			case tt.ok && err != nil:
				t.Errorf("refused: %v", err)
			case !tt.ok && err == nil:
				t.Error("accepted")
			case !tt.ok && err != errBadSignature:
				t.Errorf("refused with %v; every refusal must be errBadSignature, which says nothing of what failed", err)
			}
		})
	}
}

func TestSignMatchesHMAC(t *testing.T) {
	// The scheme as documented for senders: HMAC-SHA256 of the decimal
	// Unix time, a dot and the raw body, in lower-case hex.
	key := []byte("a key for the documentation")
	body := []byte("{}")
	at := time.Unix(1_700_000_000, 999_000_000)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("1700000000.{}"))
	want := "t=1700000000,v1=" + hex.EncodeToString(m.Sum(nil))
	if got := Sign(key, at, body); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func FuzzVerifySignature(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	f.Add(Sign(key, now, []byte("{}")), []byte("{}"))
	f.Add("t=1800000000,v1=00,v1=", []byte(""))
	f.Add("t=,v1=", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if verifySignature(header, body, key, now) != nil {
			return
		}
		// Accepted: one v1 entry must be the HMAC of its timestamp and body.
		var ts string
		for part := range strings.SplitSeq(header, ",") {
			if k, v, _ := strings.Cut(strings.TrimSpace(part), "="); k == "t" {
				ts = v
			}
		}
		if !strings.Contains(strings.ToLower(header), "v1="+hex.EncodeToString(mac(key, ts, body))) {
			t.Fatalf("accepted %q for a body it does not sign", header)
		}
	})
}

func ExampleSign() {
	key := []byte("the raw bytes of the WEBHOOK_SECRET secret version")
	body := []byte(`{"resourceName":"people/c1234567890","action":"delete"}`)
	// A sender sets this header on the POST that carries body.
	fmt.Println(SignatureHeader+":", Sign(key, time.Unix(1_700_000_000, 0), body))
	// Output:
	// X-Contactphoto-Signature: t=1700000000,v1=32c739b9bd3366d43ef58317fac9ab9b168e11c5a90e746a15d36548c539bb41
}
