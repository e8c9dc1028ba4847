package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/contactphoto/contactphoto"
)

// minKeyBytes matches the webhook, which refuses shorter keys.
const minKeyBytes = 16

func runSign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sign", "(-key-file FILE | -key-env VAR)... [-time UNIX] [-value] [BODY_FILE]",
		`curl -H "$(contactphoto sign -key-file webhook.key body.json)" -H 'Content-Type: application/json' --data-binary @body.json URL`, stdout)
	// Keys are read after the flags are parsed, so that a missing file is
	// a failure rather than a usage error.
	var sources []func() (namedKey, error)
	fs.Func("key-file", "file holding the webhook key, byte for byte as stored in the WEBHOOK_SECRET secret; repeat while rotating keys", func(path string) error {
		sources = append(sources, func() (namedKey, error) {
			data, err := os.ReadFile(path)
			return namedKey{path, data}, err
		})
		return nil
	})
	fs.Func("key-env", "environment variable holding the webhook key instead of a file; may be repeated too", func(name string) error {
		sources = append(sources, func() (namedKey, error) {
			v, ok := os.LookupEnv(name)
			if !ok {
				return namedKey{}, fmt.Errorf("$%s is not set", name)
			}
			return namedKey{"$" + name, []byte(v)}, nil
		})
		return nil
	})
	at := fs.Int64("time", 0, "sign as of this Unix time in seconds instead of now (the webhook accepts 5 minutes either side)")
	valueOnly := fs.Bool("value", false, "print only the header's value, not \""+contactphoto.SignatureHeader+": \"")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(sources) == 0 {
		return usagef("give the webhook key with -key-file or -key-env")
	}
	if fs.NArg() > 1 {
		return usagef("want at most one body file, got %d arguments", fs.NArg())
	}
	var keys []namedKey
	for _, read := range sources {
		k, err := read()
		if err != nil {
			return err
		}
		keys = append(keys, k)
		if len(k.key) < minKeyBytes {
			return fmt.Errorf("the key in %s is %d bytes; the webhook refuses keys under %d bytes", k.source, len(k.key), minKeyBytes)
		}
		if bytes.HasSuffix(k.key, []byte("\n")) {
			fmt.Fprintf(stderr, "note: the key in %s ends with a newline, which is part of the key; the secret must end with it too\n", k.source)
		}
	}
	if path := fs.Arg(0); (path == "" || path == "-") && isTerminal(os.Stdin) {
		fmt.Fprintln(stderr, "Reading the request body from standard input; end it with Ctrl-D (give a BODY_FILE to sign a file).")
	}
	body, err := readBody(fs.Arg(0))
	if err != nil {
		return err
	}
	t := time.Now()
	if *at != 0 {
		t = time.Unix(*at, 0)
	}
	value := signature(keys, t, body)
	if !*valueOnly {
		value = contactphoto.SignatureHeader + ": " + value
	}
	_, err = fmt.Fprintln(stdout, value)
	return err
}

type namedKey struct {
	source string // a file or $VARIABLE, for messages
	key    []byte
}

// signature signs body with every key at the same time t: one header with
// a v1 entry per key, any of which the webhook may match.
func signature(keys []namedKey, t time.Time, body []byte) string {
	var b strings.Builder
	for i, k := range keys {
		s := contactphoto.Sign(k.key, t, body)
		if i > 0 {
			_, s, _ = strings.Cut(s, ",") // the timestamp is already there
			b.WriteByte(',')
		}
		b.WriteString(s)
	}
	return b.String()
}

// readBody reads the body to sign from path, or from standard input when
// path is "" or "-". It is signed byte for byte, as it will be sent.
func readBody(path string) ([]byte, error) {
	if path == "" || path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
