package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// builtBinary builds the contactphoto command once per test run, as a user
// builds it, so that the tests of its command line run the real binary in a
// process of its own.
var builtBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "contactphoto-bin-")
	if err != nil {
		return "", err
	}
	builtDir = dir
	bin := filepath.Join(dir, "contactphoto")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", errors.New("go build: " + err.Error() + "\n" + string(out))
	}
	return bin, nil
})

// builtDir holds the binary once it is built.
var builtDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// binResult is what a run of the binary did.
type binResult struct {
	code           int
	stdout, stderr string
}

// runBinary runs the built binary with args in the test's environment (as
// startStack set it), with stdin as standard input, and returns its exit
// code and output.
func runBinary(t *testing.T, stdin []byte, args ...string) binResult {
	t.Helper()
	bin, err := builtBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = bytes.NewReader(stdin)
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return binResult{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
}
