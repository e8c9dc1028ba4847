package contactphoto

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/internal/membudget"
	"github.com/contactphoto/contactphoto/people"
	"github.com/contactphoto/contactphoto/tokens"
)

// Pipeline holds the configuration and the clients that every invocation of
// an instance shares.
type Pipeline struct {
	cfg     *Config
	log     *slog.Logger
	objects *gcs.Client
	tokens  people.TokenSources
	people  *people.Client
	now     func() time.Time

	webhookKeys *webhookKeys // nil when WEBHOOK_SECRET is empty

	inflight keyedMutex     // one delivery per object at a time
	recent   recentOutcomes // generations this instance finished

	// memory is the instance's memory budget, shared by every request
	// in flight: object bytes, webhook bodies and image decodes.
	memory *membudget.Budget
}

// PipelineOptions adjust NewPipeline for the command-line tools.
type PipelineOptions struct {
	// Logger receives the pipeline's log; nil means Cloud Logging JSON on
	// standard output.
	Logger *slog.Logger
	// Tokens gives each account's token source; nil means reading the
	// refresh tokens from Secret Manager as the Config says.
	Tokens people.TokenSources
	// Memory is the budget the pipeline's requests share; nil means one
	// derived from the process's memory limit.
	Memory *membudget.Budget
	// Clock is what email lookups wait with for the People API's search
	// cache; nil means real time. Tests pass the stand-in's fake clock.
	Clock people.Clock
}

// NewPipeline builds the clients for cfg. ctx only bounds client creation:
// the clients outlive it. Cloud Storage is only contacted when an object is
// processed.
func NewPipeline(ctx context.Context, cfg *Config, opt *PipelineOptions) (*Pipeline, error) {
	if opt == nil {
		opt = &PipelineOptions{}
	}
	log := opt.Logger
	if log == nil {
		log = cloudlog.New(os.Stdout, slog.LevelInfo)
	}
	// One Secret Manager client serves the refresh tokens and the webhook
	// key; tools that bring their own token sources may need neither.
	secrets := sync.OnceValues(func() (*secretmanager.Client, error) {
		sm, err := tokens.NewSecretClient(ctx, cfg.SecretManagerEmulatorHost)
		if err != nil {
			return nil, fmt.Errorf("create Secret Manager client: %w", err)
		}
		return sm, nil
	})
	ts := opt.Tokens
	if ts == nil {
		sm, err := secrets()
		if err != nil {
			return nil, err
		}
		store, err := tokens.New(sm, tokens.Options{
			DefaultSecret: cfg.TokenSecret,
			Accounts:      cfg.Accounts,
			Logger:        log,
		})
		if err != nil {
			return nil, err
		}
		ts = store
	}
	pc, err := people.New(ts, &people.Options{
		Endpoint:        cfg.PeopleEndpoint,
		WritesPerMinute: cfg.WritesPerMinute,
		PersonFields:    cfg.PersonFields,
		Logger:          log,
		Clock:           opt.Clock,
	})
	if err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, log: log, objects: gcs.New(), tokens: ts, people: pc, now: time.Now, memory: opt.Memory}
	if p.memory == nil {
		p.memory = newMemoryBudget()
	}
	if cfg.WebhookSecret != "" {
		sm, err := secrets()
		if err != nil {
			return nil, err
		}
		p.webhookKeys = newWebhookKeys(sm, cfg.WebhookSecret, p.now, log)
	}
	return p, nil
}
