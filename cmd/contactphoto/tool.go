package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/contactphoto/contactphoto"
	"golang.org/x/oauth2"

	"github.com/contactphoto/contactphoto/imaging"
	"github.com/contactphoto/contactphoto/people"
	"github.com/contactphoto/contactphoto/tokens"
)

// toolFlags are the flags that set and backfill share: where the
// credentials come from, how photos are cropped, and how much to log.
type toolFlags struct {
	tokenFile string
	secret    string
	crop      string
	verbose   bool
}

func addToolFlags(fs *flag.FlagSet) *toolFlags {
	f := &toolFlags{}
	fs.StringVar(&f.tokenFile, "token-file", "", "take the credentials from this authorized_user JSON `file` (as 'contactphoto authorize --out' writes); needs no secret and no project")
	fs.StringVar(&f.secret, "secret", "", "take the credentials from this Secret Manager `secret` (projects/P/secrets/S[/versions/V]) with application default credentials; default: $TOKEN_SECRET")
	fs.StringVar(&f.crop, "crop", "", "`mode` of choosing the square: face, center or none; default: $CROP, else face")
	fs.BoolVar(&f.verbose, "v", false, "log each photo sent, not only warnings")
	return f
}

// config reads the configuration from the environment, as the function
// does, and applies the flags. account is the account --secret stands for.
func (f *toolFlags) config(getenv func(string) string, account string) (*contactphoto.Config, error) {
	if f.tokenFile != "" && f.secret != "" {
		return nil, usagef("give at most one of --token-file and --secret")
	}
	cfg, err := contactphoto.LoadToolConfig(getenv)
	if err != nil {
		return nil, usagef("%v", err)
	}
	if f.crop != "" {
		crop, err := imaging.ParseCrop(f.crop)
		if err != nil {
			return nil, usagef("--crop: %v", err)
		}
		cfg.Imaging.Crop = crop
	}
	if f.secret != "" {
		v, err := tokens.ParseVersionName(f.secret)
		if err != nil {
			return nil, usagef("--secret: %v", err)
		}
		if account == "" {
			cfg.TokenSecret = v
		} else {
			if cfg.Accounts == nil {
				cfg.Accounts = map[string]string{}
			}
			cfg.Accounts[account] = v
		}
	}
	return cfg, nil
}

// credentials are the token sources of the accounts the tool can act for.
type credentials struct {
	tokenFile string
	file      bool // from --token-file: only the default account
	cfg       *contactphoto.Config
	store     *tokens.Store
}

// has reports whether account has credentials, before any is read.
func (c *credentials) has(account string) bool {
	switch {
	case c.file:
		return account == ""
	case account == "":
		return c.cfg.TokenSecret != ""
	}
	return c.cfg.Accounts[account] != ""
}

// any reports whether some account has credentials.
func (c *credentials) any() bool { return c.has("") || !c.file && len(c.cfg.Accounts) > 0 }

// usable reports whether account has credentials and they were opened.
func (c *credentials) usable(account string) bool { return c.store != nil && c.has(account) }

// missing explains how to give account credentials.
func (c *credentials) missing(account string) string {
	switch {
	case c.file && account != "":
		return fmt.Sprintf("account %q has no credentials: --token-file only stands for the default account", account)
	case account == "":
		return "no credentials: give --token-file FILE (from 'contactphoto authorize --out FILE'), --secret projects/P/secrets/S, or set TOKEN_SECRET"
	}
	return fmt.Sprintf("account %q has no credentials: add %s=projects/P/secrets/S/versions/latest to ACCOUNTS", account, account)
}

// credentials returns what the flags and cfg give; open builds the store.
func (f *toolFlags) credentials(cfg *contactphoto.Config) *credentials {
	return &credentials{tokenFile: f.tokenFile, file: f.tokenFile != "", cfg: cfg}
}

// open builds the token store. Nothing is read from Secret Manager or the
// token endpoint yet; check does that.
func (c *credentials) open(ctx context.Context, log *slog.Logger) error {
	if c.file {
		data, err := os.ReadFile(c.tokenFile)
		if err != nil {
			return fmt.Errorf("read --token-file: %w", err)
		}
		c.store, err = tokens.NewFromJSON(c.tokenFile, data, tokens.Options{Logger: log})
		return err
	}
	sm, err := tokens.NewSecretClient(ctx, c.cfg.SecretManagerEmulatorHost)
	if err != nil {
		return fmt.Errorf("%w (sign in for Secret Manager with: gcloud auth application-default login)", err)
	}
	c.store, err = tokens.New(sm, tokens.Options{DefaultSecret: c.cfg.TokenSecret, Accounts: c.cfg.Accounts, Logger: log})
	return err
}

// check gets an access token for account, so that a credentials problem
// stops the tool before it touches any photo.
func (c *credentials) check(ctx context.Context, account string) error {
	ts, err := c.store.TokenSource(ctx, account)
	if err == nil {
		_, err = ts.Token()
	}
	if err != nil {
		name := "the default account"
		if account != "" {
			name = fmt.Sprintf("account %q", account)
		}
		return fmt.Errorf("credentials of %s: %w", name, err)
	}
	return nil
}

// newPipeline builds the pipeline over the credentials; without opened
// credentials, every use of an account fails with how to give them.
func newPipeline(ctx context.Context, cfg *contactphoto.Config, creds *credentials, log *slog.Logger) (*contactphoto.Pipeline, error) {
	var ts people.TokenSources = creds.store
	if creds.store == nil {
		ts = noCredentials{creds}
	}
	return contactphoto.NewPipeline(ctx, cfg, &contactphoto.PipelineOptions{Logger: log, Tokens: ts})
}

// noCredentials stands for credentials that were not given.
type noCredentials struct{ c *credentials }

func (n noCredentials) TokenSource(ctx context.Context, account string) (oauth2.TokenSource, error) {
	return nil, errors.New(n.c.missing(account))
}

// openTool builds the pipeline for a command that acts for one account:
// its credentials are checked before anything else is done.
func openTool(ctx context.Context, tf *toolFlags, account string, stderr io.Writer) (*contactphoto.Pipeline, error) {
	if tf.tokenFile != "" && account != "" {
		return nil, usagef("--account picks an account of ACCOUNTS; the --token-file credentials are the account")
	}
	cfg, err := tf.config(os.Getenv, account)
	if err != nil {
		return nil, err
	}
	creds := tf.credentials(cfg)
	if !creds.has(account) {
		return nil, usagef("%s", creds.missing(account))
	}
	log := tf.logger(stderr)
	if err := creds.open(ctx, log); err != nil {
		return nil, err
	}
	if err := creds.check(ctx, account); err != nil {
		return nil, err
	}
	return newPipeline(ctx, cfg, creds, log)
}

// toolLogger logs as text to w: warnings only, or every step with -v.
func (f *toolFlags) logger(w io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// errTooLarge marks a photo file over MAX_OBJECT_BYTES: the function's own
// failure for an object that size, permanent, with its row of outcomes.
var errTooLarge = contactphoto.ErrObjectTooLarge

// readPhoto reads a photo file, refusing one larger than maxBytes before
// and while reading it.
func readPhoto(path string, maxBytes int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > maxBytes {
		return nil, fmt.Errorf("%s is %d bytes, over MAX_OBJECT_BYTES (%d): %w", path, fi.Size(), maxBytes, errTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%s grew while being read, over MAX_OBJECT_BYTES (%d): %w", path, maxBytes, errTooLarge)
	}
	return data, nil
}

// humanBytes writes a byte count as people read it.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// accountLabel names an account in messages.
func accountLabel(account string) string {
	if account == "" {
		return "default account"
	}
	return "account " + strings.TrimSpace(account)
}
