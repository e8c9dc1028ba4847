package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hmacHex is the signature scheme written out independently of the
// package: HMAC-SHA256 of "<unix>.<body>".
func hmacHex(key []byte, unix string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(unix + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func TestSign(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	oldKey, newKey := []byte("the old webhook key, 32 bytes.."), []byte("the new webhook key\n with a newline\n")
	body := []byte(`{"resourceName":"people/c1","action":"delete"}`)
	oldFile, newFile, bodyFile := write("old.key", oldKey), write("new.key", newKey), write("body.json", body)
	t.Setenv("WEBHOOK_KEY", string(oldKey))
	stdin := write("stdin.json", body)

	tests := []struct {
		name       string
		args       []string
		stdin      bool
		want       string
		wantStderr string
	}{
		{"one key", []string{"-key-file", oldFile, "-time", "1700000000", bodyFile}, false,
			"X-Contactphoto-Signature: t=1700000000,v1=" + hmacHex(oldKey, "1700000000", body), ""},
		{"value only, key from the environment", []string{"-key-env", "WEBHOOK_KEY", "-time", "1700000000", "-value", bodyFile}, false,
			"t=1700000000,v1=" + hmacHex(oldKey, "1700000000", body), ""},
		{"two keys while rotating", []string{"-key-file", oldFile, "-key-file", newFile, "-time", "1700000001", "-value", bodyFile}, false,
			"t=1700000001,v1=" + hmacHex(oldKey, "1700000001", body) + ",v1=" + hmacHex(newKey, "1700000001", body), "ends with a newline"},
		{"body from standard input", []string{"-key-file", oldFile, "-time", "1700000000", "-value"}, true,
			"t=1700000000,v1=" + hmacHex(oldKey, "1700000000", body), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.stdin {
				f, err := os.Open(stdin)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				saved := os.Stdin
				os.Stdin = f
				defer func() { os.Stdin = saved }()
			}
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), append([]string{"sign"}, tt.args...), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if got := strings.TrimSuffix(stdout.String(), "\n"); got != tt.want {
				t.Errorf("printed %q\nwant    %q", got, tt.want)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "webhook.key")
	short := filepath.Join(dir, "short.key")
	os.WriteFile(key, []byte("a webhook key of enough bytes"), 0o600)
	os.WriteFile(short, []byte("short"), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no key", []string{"body.json"}, 2, "-key-file"},
		{"two bodies", []string{"-key-file", key, "a.json", "b.json"}, 2, "at most one"},
		{"bad time", []string{"-key-file", key, "-time", "soon"}, 2, "-time"},
		{"missing key file", []string{"-key-file", filepath.Join(dir, "nope.key"), key}, 1, "nope.key"},
		{"unset variable", []string{"-key-env", "CONTACTPHOTO_TEST_UNSET_KEY", key}, 1, "CONTACTPHOTO_TEST_UNSET_KEY"},
		{"short key", []string{"-key-file", short, key}, 1, "under 16 bytes"},
		{"missing body", []string{"-key-file", key, filepath.Join(dir, "nope.json")}, 1, "nope.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"sign"}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tt.msg)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed %q on failure", stdout.String())
			}
		})
	}
}
