package people

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/people/peopletest"
	"golang.org/x/oauth2"
)

// testTokens hands out a fixed access token per account, "token-<account>",
// or the error set for the account.
type testTokens struct {
	mu       sync.Mutex
	errs     map[string]error // TokenSource fails
	tokenErr map[string]error // the token source's Token fails
}

func (tt *testTokens) TokenSource(ctx context.Context, account string) (oauth2.TokenSource, error) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if err := tt.errs[account]; err != nil {
		return nil, err
	}
	if err := tt.tokenErr[account]; err != nil {
		return errTokenSource{err}, nil
	}
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token-" + account, TokenType: "Bearer"}), nil
}

type errTokenSource struct{ err error }

func (s errTokenSource) Token() (*oauth2.Token, error) { return nil, s.err }

// validate is the stand-in's check of the tokens testTokens issues.
func validate(tok string) (string, bool) {
	return strings.CutPrefix(tok, "token-")
}

// newServer starts a stand-in checking testTokens' tokens, its search cache
// on a fake clock.
func newServer(t testing.TB, opt *peopletest.Options) *peopletest.Server {
	t.Helper()
	if opt == nil {
		opt = &peopletest.Options{}
	}
	opt.Validate = validate
	if opt.Clock == nil {
		opt.Clock = peopletest.NewFakeClock(time.Now())
	}
	s := peopletest.NewServer(opt)
	t.Cleanup(s.Close)
	return s
}

// newClient returns a Client for srv with fast retries, so tests don't sleep.
func newClient(t testing.TB, srv *peopletest.Server, tokens TokenSources, opt *Options) *Client {
	t.Helper()
	if opt == nil {
		opt = &Options{}
	}
	opt.Endpoint = srv.URL
	if opt.HTTPClient == nil {
		opt.HTTPClient = srv.Client()
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if clock := srv.Clock(); opt.Clock == nil && clock != nil {
		// The client's waits for the search cache move the stand-in's
		// clock instead of taking real seconds.
		opt.Clock = clock
	}
	if tokens == nil {
		tokens = &testTokens{}
	}
	c, err := New(tokens, opt)
	if err != nil {
		t.Fatal(err)
	}
	c.backoffBase = time.Millisecond
	c.backoffMax = 10 * time.Millisecond
	c.ratePeriod = 100 * time.Millisecond // 50 writes per 100 ms
	return c
}

// testImage is a small picture with some structure.
func testImage(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	return img
}

func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(w, h), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
