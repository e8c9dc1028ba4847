package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	// Registers UpdateContactPhoto and UpdateContactPhotoWebhook.
	_ "github.com/contactphoto/contactphoto"
	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/internal/funcserver"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "[-host ADDR] [-grace DURATION]",
		"PORT=8080 TOKEN_SECRET=projects/p/secrets/contactphoto-token/versions/latest contactphoto serve", stdout)
	host := fs.String("host", "127.0.0.1", "address to listen on (0.0.0.0 for every interface)")
	grace := fs.Duration("grace", 30*time.Second, "how long in-flight requests may run after SIGTERM")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve takes no arguments")
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return usagef("PORT %q is not a port number", port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(*host, port))
	if err != nil {
		return err
	}
	log := cloudlog.New(stderr, slog.LevelInfo)
	return funcserver.Serve(ctx, ln, *grace, log, func(base string) {
		fmt.Fprintf(stdout, "Serving UpdateContactPhoto at %s/UpdateContactPhoto and UpdateContactPhotoWebhook at %s/UpdateContactPhotoWebhook\n", base, base)
	})
}
