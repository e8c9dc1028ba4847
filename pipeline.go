package contactphoto

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/people"
	"github.com/contactphoto/contactphoto/tokens"
)

// Pipeline holds the configuration and the clients that every invocation of
// an instance shares.
type Pipeline struct {
	cfg     *Config
	log     *slog.Logger
	objects *gcs.Client
	tokens  *tokens.Store
	people  *people.Client
	now     func() time.Time

	inflight keyedMutex     // one delivery per object at a time
	recent   recentOutcomes // generations this instance finished
}

// NewPipeline builds the clients for cfg. A nil logger logs Cloud Logging
// JSON to standard output. ctx only bounds client creation: the clients
// outlive it.
func NewPipeline(ctx context.Context, cfg *Config, log *slog.Logger) (*Pipeline, error) {
	if log == nil {
		log = cloudlog.New(os.Stdout, slog.LevelInfo)
	}
	objects, err := gcs.New(ctx)
	if err != nil {
		return nil, err
	}
	sm, err := tokens.NewSecretClient(ctx, cfg.SecretManagerEmulatorHost)
	if err != nil {
		return nil, fmt.Errorf("create Secret Manager client: %w", err)
	}
	store, err := tokens.New(sm, tokens.Options{
		DefaultSecret: cfg.TokenSecret,
		Accounts:      cfg.Accounts,
		Logger:        log,
	})
	if err != nil {
		return nil, err
	}
	pc, err := people.New(store, &people.Options{
		Endpoint:        cfg.PeopleEndpoint,
		WritesPerMinute: cfg.WritesPerMinute,
		PersonFields:    cfg.PersonFields,
		Logger:          log,
	})
	if err != nil {
		return nil, err
	}
	return &Pipeline{cfg: cfg, log: log, objects: objects, tokens: store, people: pc, now: time.Now}, nil
}
