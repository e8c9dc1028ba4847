package main

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"image"
	_ "image/jpeg" // decodes what the People stand-in received
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	_ "image/png"

	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/internal/funcserver"
	"github.com/contactphoto/contactphoto/internal/localstack"
)

//go:embed samples/*.jpg samples/*.png
var samples embed.FS

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "[-out DIR]", "contactphoto demo -out demo-output", stdout)
	out := fs.String("out", "demo-output", "folder for the photos the People API received, and the function's log")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("demo takes no arguments")
	}
	start := time.Now()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(*out, "function.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()

	stack, err := localstack.Start(nil)
	if err != nil {
		return fmt.Errorf("start the local stand-ins: %w", err)
	}
	defer stack.Close()
	// The function reads its configuration from the environment on its
	// first event, exactly as it does when deployed.
	for k, v := range stack.Env() {
		if old, ok := os.LookupEnv(k); ok {
			defer os.Setenv(k, old)
		} else {
			defer os.Unsetenv(k)
		}
		os.Setenv(k, v)
	}
	// The function logs to standard output, as Cloud Logging expects; here
	// that goes to the log file so that the demo's own report stays
	// readable.
	realStdout := os.Stdout
	os.Stdout = logFile
	defer func() { os.Stdout = realStdout }()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	served := make(chan error, 1)
	baseURL := make(chan string, 1)
	go func() {
		served <- funcserver.Serve(sctx, ln, 30*time.Second, cloudlog.New(logFile, slog.LevelInfo), func(u string) { baseURL <- u })
	}()
	var target string
	select {
	case target = <-baseURL:
	case err := <-served:
		return err
	}
	defer func() { stopServing(); <-served }()

	client, err := eventarc.NewClient(nil)
	if err != nil {
		return err
	}
	entries, err := samples.ReadDir("samples")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "contactphoto demo: Cloud Storage, Secret Manager, OAuth and the People API are stand-ins on 127.0.0.1;\n")
	fmt.Fprintf(stdout, "each sample is uploaded with a contact in its metadata and its finalized event delivered to UpdateContactPhoto.\n\n")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SAMPLE\tCONTACT\tINPUT\tSENT TO PEOPLE API\tRESULT")
	failed := 0
	for i, ent := range entries {
		name := ent.Name()
		data, err := samples.ReadFile("samples/" + name)
		if err != nil {
			return err
		}
		contact := fmt.Sprintf("people/c%d", 7100000000000000001+int64(i))
		stack.People.AddContact("", contact)
		row, err := demoOne(ctx, stack, client, target, contact, name, data, *out)
		if err != nil {
			failed++
			row = fmt.Sprintf("%s\t%s\t%s\t-\tFAILED: %v", name, contact, sizeOf(data), err)
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\nPhotos the People API received: %s\nFunction log (Cloud Logging JSON): %s\nTook %s.\n",
		*out, logPath, time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		return fmt.Errorf("%d of %d samples failed; see %s", failed, len(entries), logPath)
	}
	return nil
}

// demoOne uploads one sample, delivers its event and reports what the People
// stand-in received.
func demoOne(ctx context.Context, stack *localstack.Stack, client *eventarc.Client, target, contact, name string, data []byte, out string) (string, error) {
	object := "uploads/" + name
	ctype := "image/jpeg"
	if strings.HasSuffix(name, ".png") {
		ctype = "image/png"
	}
	gen, err := stack.Storage.Put(localstack.Bucket, object, ctype, data, map[string]string{"resourceName": contact})
	if err != nil {
		return "", err
	}
	ev, err := eventarc.FinalizedEvent(fmt.Sprintf("demo-%d", gen), eventarc.Object{
		Bucket: localstack.Bucket, Name: object, Generation: gen, Size: int64(len(data)), ContentType: ctype,
		Metadata: map[string]string{"resourceName": contact},
	})
	if err != nil {
		return "", err
	}
	before := len(stack.People.Updates())
	status, err := client.Deliver(ctx, target+"/UpdateContactPhoto", ev)
	if err != nil {
		return "", err
	}
	updates := stack.People.Updates()
	if len(updates) == before {
		return "", fmt.Errorf("HTTP %d from the function, and the People API received nothing", status)
	}
	got := updates[len(updates)-1]
	cfg, _, err := image.DecodeConfig(bytes.NewReader(got.Photo))
	if err != nil {
		return "", fmt.Errorf("the People API received a photo that does not decode: %w", err)
	}
	file := filepath.Join(out, strings.TrimSuffix(name, filepath.Ext(name))+"-sent.jpg")
	if err := os.WriteFile(file, got.Photo, 0o644); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s\t%s\t%s\t%dx%d JPEG, %d KB\tupdated (HTTP %d), %s",
		name, got.ResourceName, sizeOf(data), cfg.Width, cfg.Height, len(got.Photo)/1024, status, file), nil
}

func sizeOf(data []byte) string {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Sprintf("%d KB", len(data)/1024)
	}
	return fmt.Sprintf("%dx%d %s, %d KB", cfg.Width, cfg.Height, strings.ToUpper(format), len(data)/1024)
}
