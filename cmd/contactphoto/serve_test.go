package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/internal/localstack"
)

// serveChildEnv marks the test binary started by TestServe to run
// `contactphoto serve` itself, as a separate process the way a user runs it.
const serveChildEnv = "CONTACTPHOTO_TEST_SERVE_CHILD"

func TestServeChild(t *testing.T) {
	if os.Getenv(serveChildEnv) == "" {
		t.Skip("run by TestServe in a process of its own")
	}
	// SIGTERM, as Cloud Run sends it, stops the server gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	code := run(ctx, []string{"serve", "-grace", "10s"}, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// TestServe runs `contactphoto serve` in a process of its own, configured
// only by environment variables that point at stand-ins in this process,
// delivers an event to it, and stops it with SIGTERM.
func TestServe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second process")
	}
	stack, err := localstack.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(os.Environ(), serveChildEnv+"=1", "PORT="+port)
	for k, v := range stack.Env() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// serve prints where it listens once it accepts connections.
	lines := bufio.NewScanner(stdout)
	ready := false
	var logs strings.Builder
	for !ready && lines.Scan() {
		logs.WriteString(lines.Text() + "\n")
		ready = strings.HasPrefix(lines.Text(), "Serving UpdateContactPhoto at ")
	}
	if !ready {
		t.Fatalf("serve did not start:\n%s%s", logs.String(), stderr.String())
	}
	go io.Copy(io.Discard, stdout)

	contact := "people/c6100000000000000001"
	stack.People.AddContact("", contact)
	img := image.NewRGBA(image.Rect(0, 0, 900, 760))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, img, nil); err != nil {
		t.Fatal(err)
	}
	md := map[string]string{"resourceName": contact}
	gen, err := stack.Storage.Put(localstack.Bucket, "serve/photo.jpg", "image/jpeg", photo.Bytes(), md)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := eventarc.FinalizedEvent("serve-1", eventarc.Object{
		Bucket: localstack.Bucket, Name: "serve/photo.jpg", Generation: gen, Size: int64(photo.Len()), Metadata: md,
	})
	if err != nil {
		t.Fatal(err)
	}
	client, err := eventarc.NewClient(nil)
	if err != nil {
		t.Fatal(err)
	}
	status, err := client.Deliver(context.Background(), fmt.Sprintf("http://127.0.0.1:%s/UpdateContactPhoto", port), ev)
	if err != nil {
		t.Fatal(err)
	}
	if status/100 != 2 {
		t.Fatalf("serve answered HTTP %d\n%s", status, stderr.String())
	}
	if got, ok := stack.People.Photo("", contact); !ok || got.Width != 720 || got.Height != 720 {
		t.Errorf("the People stand-in holds %+v for %s, want the photo sent through serve", got, contact)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not stop within 20 s of SIGTERM\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "shut down cleanly") {
		t.Errorf("serve did not log a clean shutdown:\n%s", stderr.String())
	}
}
