// Package funcserver serves the functions registered with the functions
// framework on a local address, for `contactphoto serve`, the demo and the
// tests.
package funcserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
)

// Serve serves the registered functions on ln until ctx ends, then
// lets in-flight requests finish within grace and logs how many it had to
// drop.
//
// The functions framework owns its HTTP server and offers no way to stop it,
// so it listens on a private loopback port and this server, which can shut
// down gracefully, forwards to it.
func Serve(ctx context.Context, ln net.Listener, grace time.Duration, log *slog.Logger, ready func(base string)) error {
	backend, err := Start()
	if err != nil {
		ln.Close()
		return err
	}
	target, _ := url.Parse(backend)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var inFlight atomic.Int64
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inFlight.Add(1)
			defer inFlight.Add(-1)
			proxy.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready("http://" + ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; waiting for in-flight requests", "inFlight", inFlight.Load(), "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("grace period over; dropping in-flight requests, which Eventarc will deliver again",
			"dropped", inFlight.Load())
		srv.Close()
		return nil
	}
	log.Info("shut down cleanly")
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Start starts the functions framework on a free loopback port and
// returns its base URL once it accepts connections.
func Start() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	errc := make(chan error, 1)
	go func() { errc <- funcframework.StartHostPort("127.0.0.1", port) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-errc:
			return "", fmt.Errorf("start the functions framework: %w", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", errors.New("the functions framework did not start listening within 10s")
}
