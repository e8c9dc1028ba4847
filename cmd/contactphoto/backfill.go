package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/contactphoto/contactphoto"
	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/imaging"
	"github.com/contactphoto/contactphoto/people"
)

const backfillUsage = "[--dry-run] [--retry-failed] [--backup DIR] [--json] [--workers N] [--writes-per-minute N] [--token-file FILE | --secret SECRET] [--account NAME] gs://BUCKET[/PREFIX] | DIR"

const backfillExample = "contactphoto backfill --dry-run gs://my-contact-photos/team/\n" +
	"  contactphoto backfill gs://my-contact-photos/team/\n" +
	"  contactphoto backfill --token-file token.json ./photos    # files named c1234567890.jpg or alice@example.com.png"

// Limits of the flags.
const (
	defaultWorkers     = 4
	maxWorkers         = 64
	maxWritesPerMinute = 6000 // as PEOPLE_WRITES_PER_MINUTE
)

// runBackfill sets the photos of a bucket (or a prefix of it) or of a
// folder, for photos that were there before the function was deployed. It
// is one process with a bounded pool of workers; the People API writes
// keep the per-account order and pace of the function. A bucket's progress
// is the status the pipeline records on each object; a folder's is a
// journal inside it. Either way a second run skips what the first did.
func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return backfillCommand(ctx, args, stdout, stderr, nextInterrupt)
}

// backfillCommand is runBackfill with the source of the second interrupt,
// which abandons the photos in flight, as a parameter.
func backfillCommand(ctx context.Context, args []string, stdout, stderr io.Writer, again func(done <-chan struct{}) <-chan struct{}) (err error) {
	fs := newFlagSet("backfill", backfillUsage, backfillExample, stdout)
	tf := addToolFlags(fs)
	dryRun := fs.Bool("dry-run", false, "check every photo and contact without setting photos or recording anything (reads the photos, and looks the contacts up when there are credentials)")
	retryFailed := fs.Bool("retry-failed", false, "also try again the photos whose failure is recorded, as after fixing the credentials (a failure whose file, contact or metadata changed is tried again anyway)")
	backup := fs.String("backup", "", "save each contact's current photo in this `folder` before replacing it, so that 'contactphoto backfill FOLDER' undoes the run")
	jsonOut := fs.Bool("json", false, "print JSON lines even on a terminal")
	workers := fs.Int("workers", defaultWorkers, "photos prepared at once; each account's writes stay one at a time, paced")
	wpm := fs.Int("writes-per-minute", 0, "photo writes per account per minute; 0 means $PEOPLE_WRITES_PER_MINUTE, else 50")
	account := fs.String("account", "", "for a DIR: the account `name` in ACCOUNTS whose contacts to update (objects name theirs in metadata)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one gs://BUCKET[/PREFIX] or DIR, got %d arguments", fs.NArg())
	}
	switch {
	case *workers < 1 || *workers > maxWorkers:
		return usagef("--workers must be between 1 and %d", maxWorkers)
	case *wpm < 0 || *wpm > maxWritesPerMinute:
		return usagef("--writes-per-minute must be between 1 and %d (0 means the default)", maxWritesPerMinute)
	}
	target := fs.Arg(0)
	isBucket := strings.HasPrefix(target, "gs://")
	if *backup != "" && *dryRun {
		return usagef("--backup saves the photos a run replaces; a dry run replaces none")
	}
	if isBucket && *account != "" {
		return usagef("--account is for a DIR; objects name their account in their %q metadata", contactphoto.AccountMetadataKey)
	}
	if tf.tokenFile != "" && *account != "" {
		return usagef("--account picks an account of ACCOUNTS; the --token-file credentials are the account")
	}
	cfg, err := tf.config(os.Getenv, *account)
	if err != nil {
		return err
	}
	if *wpm > 0 {
		cfg.WritesPerMinute = *wpm
	}
	creds := tf.credentials(cfg)

	var src source
	if isBucket {
		bucket, prefix, err := parseGSURL(target)
		if err != nil {
			return usagef("%v", err)
		}
		if !*dryRun && !creds.has("") && len(cfg.Accounts) == 0 {
			return usagef("%s", creds.missing(""))
		}
		if !cfg.StatusWriteback {
			fmt.Fprintf(stderr, "warning: STATUS_WRITEBACK is off, so outcomes are not recorded and a second run sets every photo again\n")
		}
		src = &bucketSource{bucket: bucket, prefix: prefix, cfg: cfg, creds: creds, retryFailed: *retryFailed}
	} else {
		fi, err := os.Stat(target)
		if err != nil || !fi.IsDir() {
			return usagef("%q is neither gs://BUCKET[/PREFIX] nor a folder", target)
		}
		if !*dryRun && !creds.has(*account) {
			return usagef("%s", creds.missing(*account))
		}
		state, err := openDirState(target, *dryRun)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := state.close(); cerr != nil && err == nil {
				err = fmt.Errorf("close the journal: %w", cerr)
			}
		}()
		src = &dirSource{dir: target, account: *account, cfg: cfg, state: state, retryFailed: *retryFailed}
	}

	rep := newReporter(stdout, stderr, *jsonOut)
	log := tf.logger(rep.logWriter())
	b := &backfill{src: src, workers: *workers, dryRun: *dryRun, rep: rep, creds: creds,
		itemTimeout: 5*time.Minute + time.Duration(*workers)*time.Minute/time.Duration(cfg.WritesPerMinute)}
	if *backup != "" {
		if b.backup, err = newBackup(*backup); err != nil {
			return err
		}
	}
	// A dry run reads the photos and, with credentials, looks the contacts
	// up; without credentials it checks the photos only.
	if !*dryRun || creds.any() {
		if err := creds.open(ctx, log); err != nil {
			return err
		}
	}
	p, err := newPipeline(ctx, cfg, creds, log)
	if err != nil {
		return err
	}
	src.use(p)
	b.p, b.imaging = p, &cfg.Imaging

	// A first interrupt (ctx) stops taking new photos and lets those in
	// flight finish; a second abandons them.
	abandon := make(chan struct{})
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		select {
		case <-again(finished):
			rep.note("Abandoning the photos in flight; they are not recorded as done.")
			close(abandon)
		case <-finished:
		}
	}()
	return b.run(ctx, abandon)
}

// nextInterrupt returns a channel that receives the next SIGINT or SIGTERM
// until done is closed.
func nextInterrupt(done <-chan struct{}) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	c := make(chan struct{})
	go func() {
		defer signal.Stop(sig)
		select {
		case <-sig:
			close(c)
		case <-done:
		}
	}()
	return c
}

var bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$`)

// parseGSURL splits gs://BUCKET[/PREFIX].
func parseGSURL(u string) (bucket, prefix string, err error) {
	rest := strings.TrimPrefix(u, "gs://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	if !bucketNameRE.MatchString(bucket) {
		return "", "", fmt.Errorf("%q does not name a bucket: want gs://BUCKET or gs://BUCKET/PREFIX", u)
	}
	return bucket, prefix, nil
}

// An item is one photo: an object generation or a file.
type item struct {
	name string // as shown: gs://BUCKET/OBJECT, or the path inside the folder
	obj  *gcs.Object
	file *dirFile

	// From planning.
	contact people.ContactRef
	account string
	failing bool   // fails before any account is used; the pipeline records why
	recheck string // a recorded failure of the contact: tried only if the contact now exists

	skip string // why the listing already knows to skip it
}

// A source is where a backfill's photos come from.
type source interface {
	target() string
	list(ctx context.Context) ([]*item, error)
	// plan decides from what is known without reading the photo: an
	// outcome (a skip, a failure, or in a dry run what would happen), or
	// nil when the photo must be processed.
	plan(it *item, dryRun bool) *result
	// read returns the photo's bytes.
	read(ctx context.Context, it *item) ([]byte, error)
	// process sets the photo, or finds it needs nothing.
	process(ctx context.Context, it *item, backup *backup) result
	// use gives the source the pipeline; dry runs have none.
	use(p *contactphoto.Pipeline)
}

// backfill runs a source's photos through a bounded worker pool.
type backfill struct {
	src         source
	workers     int
	dryRun      bool
	rep         reporter
	creds       *credentials
	itemTimeout time.Duration
	backup      *backup

	p       *contactphoto.Pipeline
	imaging *imaging.Options

	mu          sync.Mutex // keeps the reported counts in the order of the lines
	t           *tally
	wouldUpdate []result // a dry run's, to find photos for one contact
}

// finish counts a photo's outcome and reports it.
func (b *backfill) finish(r result, worked bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.Outcome == outWouldUpdate {
		b.wouldUpdate = append(b.wouldUpdate, r)
	}
	b.rep.item(r, b.t.add(r, worked))
}

// summary is the outcome of a whole run.
type summary struct {
	Target string `json:"target"`
	DryRun bool   `json:"dry_run,omitempty"`
	counts
	NotStarted int            `json:"not_started,omitempty"`
	Stopped    string         `json:"stopped,omitempty"` // why the run ended early
	Seconds    float64        `json:"seconds"`
	PerMinute  float64        `json:"photos_per_minute"`
	Failures   []group        `json:"failures,omitempty"`
	Skips      map[string]int `json:"skipped_by_reason,omitempty"`
	// SameContact lists the photos that name one contact.
	SameContact []sameContactGroup `json:"same_contact,omitempty"`
}

func (b *backfill) run(ctx context.Context, abandon <-chan struct{}) error {
	items, err := b.src.list(ctx)
	if err != nil {
		return err
	}
	t := newTally(len(items))
	b.t = t
	b.rep.begin(b.src.target(), t)
	s := &summary{Target: b.src.target(), DryRun: b.dryRun}
	defer func() {
		s.counts = t.snapshot()
		s.Seconds = s.elapsed.Seconds()
		s.PerMinute = s.rate()
		s.Failures = t.groups()
		t.mu.Lock()
		if len(t.skips) > 0 {
			s.Skips = t.skips
		}
		t.mu.Unlock()
		b.rep.end(s)
	}()

	var todo []*item
	for _, it := range items {
		if r := b.src.plan(it, b.dryRun); r != nil {
			b.finish(*r, false)
		} else {
			todo = append(todo, it)
		}
	}
	if !b.dryRun {
		// Two photos for one contact: both are sent, and the last one
		// stays. Say so before the run, not after.
		for _, g := range sameContact(todo) {
			b.rep.note(fmt.Sprintf("warning: %d photos name %s: %s; only the last one sent stays", len(g.Names), g.Contact, strings.Join(g.Names, ", ")))
		}
	}
	if err := b.checkAccounts(ctx, todo); err != nil {
		s.NotStarted = len(todo)
		s.Stopped = err.Error()
		return err
	}
	t.start()
	process := func(ctx context.Context, it *item) result { return b.src.process(ctx, it, b.backup) }
	if b.dryRun {
		process = b.check
	}

	// Dispatch stops on an interrupt or when a failure would repeat for
	// every photo; the work itself only stops when abandoned, so that a
	// photo that was sent is recorded as done.
	dispatch, stop := context.WithCancel(ctx)
	defer stop()
	var halted error // set once, before stop
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	go func() {
		select {
		case <-abandon:
			cancelWork()
		case <-work.Done():
		}
	}()

	queue := make(chan *item)
	var wg sync.WaitGroup
	var stopOnce sync.Once
	for range b.workers {
		wg.Go(func() {
			for it := range queue {
				ictx, cancel := context.WithTimeout(work, b.itemTimeout)
				r := process(ictx, it)
				cancel()
				if work.Err() != nil && r.Outcome == outFailed && !r.Final {
					r.Reason = "abandoned"
				}
				b.finish(r, true)
				if r.halt {
					stopOnce.Do(func() {
						halted = fmt.Errorf("stopped after %s failed with %s, which every further photo would repeat: %s", r.Name, r.Reason, r.Error)
						stop()
					})
				}
			}
		})
	}
	started := 0
feed:
	for _, it := range todo {
		if dispatch.Err() != nil {
			break
		}
		select {
		case queue <- it:
			started++
		case <-dispatch.Done():
			break feed
		}
	}
	close(queue)
	if ctx.Err() != nil {
		b.rep.note("Stopping: finishing the photos in flight (press Ctrl-C again to abandon them).")
	}
	wg.Wait()
	s.NotStarted = len(todo) - started

	c := t.snapshot()
	if b.dryRun {
		s.SameContact = b.sameContact()
		for _, g := range s.SameContact {
			b.rep.note(fmt.Sprintf("warning: %d photos name %s: %s; a run sends them all, and only the last one stays", len(g.Names), g.Contact, strings.Join(g.Names, ", ")))
		}
	}
	switch {
	case b.dryRun && c.WouldFail+c.Failed > 0:
		return fmt.Errorf("%d of %d photos would fail", c.WouldFail+c.Failed, c.Total)
	case halted != nil: // wg.Wait orders the write before this read
		s.Stopped = halted.Error()
		return halted
	case s.NotStarted > 0:
		s.Stopped = "interrupted"
		return fmt.Errorf("interrupted with %d photos not started; run the same command again to go on", s.NotStarted)
	case c.Failed > 0:
		return fmt.Errorf("%d of %d photos failed", c.Failed, c.Total)
	}
	return nil
}

// checkAccounts gets a token for every account the photos need before any
// photo is touched, so that bad credentials stop the run instead of
// failing (and, for a bucket, recording) every photo. A dry run checks the
// accounts it has credentials for.
func (b *backfill) checkAccounts(ctx context.Context, todo []*item) error {
	seen := map[string]bool{}
	for _, it := range todo {
		if it.failing || seen[it.account] || b.dryRun && !b.creds.usable(it.account) {
			continue
		}
		seen[it.account] = true
		if err := b.creds.check(ctx, it.account); err != nil {
			return err
		}
	}
	return nil
}

// check is a dry run's work on a photo: it reads the photo and its header,
// and looks the contact up when there are credentials, writing nothing.
func (b *backfill) check(ctx context.Context, it *item) result {
	r := result{Name: it.name, Contact: it.contact.String(), Account: it.account, Outcome: outWouldUpdate}
	wouldFail := func(err error) result {
		r = failure(r, err)
		if contactphoto.IsPermanent(err) {
			r.Outcome = outWouldFail
		}
		return r
	}
	data, err := b.src.read(ctx, it)
	if err != nil {
		return wouldFail(err)
	}
	if _, err := imaging.DecodeConfig(bytes.NewBuffer(data), b.imaging); err != nil {
		return wouldFail(err)
	}
	if !b.creds.usable(it.account) {
		r.Note = "contact not looked up: no credentials"
		return r
	}
	name, err := b.p.FindContact(ctx, it.account, it.contact)
	if err != nil {
		return wouldFail(err)
	}
	r.Contact = name
	return r
}

// sameContactGroup is the photos that name one contact.
type sameContactGroup struct {
	Contact string   `json:"contact"`
	Account string   `json:"account,omitempty"`
	Names   []string `json:"names"`
}

// sameContact groups the items that name one contact, as planned.
func sameContact(items []*item) []sameContactGroup {
	byContact := map[[2]string][]string{}
	var order [][2]string
	for _, it := range items {
		if it.failing || it.contact == (people.ContactRef{}) {
			continue
		}
		k := [2]string{it.account, strings.ToLower(it.contact.String())}
		if byContact[k] == nil {
			order = append(order, k)
		}
		byContact[k] = append(byContact[k], it.name)
	}
	var gs []sameContactGroup
	for _, k := range order {
		if names := byContact[k]; len(names) > 1 {
			gs = append(gs, sameContactGroup{Contact: k[1], Account: k[0], Names: names})
		}
	}
	return gs
}

// sameContact groups the photos a dry run found would go to one contact,
// by the contact they resolved to.
func (b *backfill) sameContact() []sameContactGroup {
	b.mu.Lock()
	defer b.mu.Unlock()
	var items []*item
	for _, r := range b.wouldUpdate {
		ref, _ := people.ParseContactRef(r.Contact)
		items = append(items, &item{name: r.Name, account: r.Account, contact: ref})
	}
	slices.SortFunc(items, func(a, b *item) int { return strings.Compare(a.name, b.name) })
	return sameContact(items)
}

// failure describes a failed photo.
func failure(r result, err error) result {
	r.Outcome = outFailed
	r.Reason = contactphoto.FailureReason(err)
	r.Error = err.Error()
	// The credentials or the API project, not the photo, are at fault:
	// every further photo would fail the same way.
	r.halt = contactphoto.OutcomeOf(err).Halts()
	return r
}

// bucketSource backfills the objects under a prefix of a bucket.
type bucketSource struct {
	bucket, prefix string
	cfg            *contactphoto.Config
	creds          *credentials
	retryFailed    bool
	p              *contactphoto.Pipeline
}

func (s *bucketSource) target() string               { return "gs://" + s.bucket + "/" + s.prefix }
func (s *bucketSource) use(p *contactphoto.Pipeline) { s.p = p }

func (s *bucketSource) list(ctx context.Context) ([]*item, error) {
	objects := gcs.New()
	defer objects.Close()
	var items []*item
	for obj, err := range objects.List(ctx, s.bucket, s.prefix) {
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(obj.Name, "/") {
			continue // a folder placeholder, not a photo
		}
		items = append(items, &item{name: "gs://" + s.bucket + "/" + obj.Name, obj: obj})
	}
	return items, nil
}

func (s *bucketSource) plan(it *item, dryRun bool) *result {
	r := result{Name: it.name}
	plan, err := s.cfg.PlanObject(it.obj, s.retryFailed)
	switch {
	case err != nil && dryRun:
		r = failure(r, err)
		r.Outcome = outWouldFail
		return &r
	case err != nil:
		// The pipeline fails it the same way, and records that.
		it.failing = true
		return nil
	case plan.Skip != "":
		r.Outcome = outSkipped
		r.Reason = recordedReason(plan.Recorded.Status)
		return &r
	}
	it.contact, it.account = plan.Contact, plan.Account
	r.Contact, r.Account = plan.Contact.String(), plan.Account
	if !s.creds.has(plan.Account) && !dryRun {
		// The tool's own credentials are at fault, not the object: nothing
		// is recorded, so that a run with them does it.
		r.Outcome = outFailed
		r.Reason = "no credentials"
		r.Error = s.creds.missing(plan.Account)
		return &r
	}
	return nil
}

func (s *bucketSource) read(ctx context.Context, it *item) ([]byte, error) {
	return s.p.ReadObject(ctx, it.obj)
}

func (s *bucketSource) process(ctx context.Context, it *item, bk *backup) result {
	r := result{Name: it.name, Contact: it.contact.String(), Account: it.account}
	if bk != nil && !it.failing {
		if err := bk.save(ctx, s.p, it.account, it.contact); err != nil && !contactphoto.IsPermanent(err) {
			return failure(r, err)
		}
		// A permanent failure (no such contact, revoked token) fails the
		// update the same way, which records it; nothing is replaced.
	}
	res, err := s.p.UpdateObject(ctx, s.bucket, it.obj.Name, it.obj.Generation, s.retryFailed)
	switch {
	case err != nil:
		r = failure(r, err)
		r.Final = contactphoto.IsPermanent(err) && s.cfg.StatusWriteback
		return r
	case res.Updated == nil:
		r.Outcome = outSkipped
		r.Reason = res.Skipped
		return r
	}
	r.Outcome = outUpdated
	r.Contact = res.Updated.ResourceName
	return r
}

// recordedReason says why a recorded outcome is skipped.
func recordedReason(status string) string {
	if reason, failed := contactphoto.RecordedFailure(status); failed {
		return "failed before: " + reason
	}
	return "already " + status
}

// dirSource backfills the photo files in a folder and its subfolders,
// taking each contact from the file name.
type dirSource struct {
	dir         string
	account     string
	cfg         *contactphoto.Config
	state       *dirState
	retryFailed bool
	p           *contactphoto.Pipeline
}

// dirFile is a photo file as listed.
type dirFile struct {
	path    string // on disk
	rel     string // slash-separated, inside the folder
	size    int64
	modTime time.Time
}

// isPhotoFile tells the files a folder backfill considers photos, by the
// extensions the contact's file name convention strips; other files are
// left alone.
func isPhotoFile(name string) bool {
	return people.IsPhotoExtension(path.Ext(name))
}

func (s *dirSource) target() string               { return s.dir }
func (s *dirSource) use(p *contactphoto.Pipeline) { s.p = p }

func (s *dirSource) list(ctx context.Context) ([]*item, error) {
	var items []*item
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if p != s.dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // hidden, such as the journal
		}
		if d.IsDir() || !isPhotoFile(d.Name()) {
			return nil
		}
		fi, err := os.Stat(p) // follows a symbolic link to a photo
		if err != nil && d.Type()&fs.ModeSymlink != 0 {
			// A link to a photo that is gone: one photo to skip, not a
			// reason to stop the run.
			rel, _ := filepath.Rel(s.dir, p)
			items = append(items, &item{name: filepath.ToSlash(rel), skip: "broken symbolic link"})
			return nil
		}
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(s.dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		items = append(items, &item{name: rel, file: &dirFile{path: p, rel: rel, size: fi.Size(), modTime: fi.ModTime()}})
		return nil
	})
	return items, err
}

func (s *dirSource) plan(it *item, dryRun bool) *result {
	r := result{Name: it.name, Account: s.account}
	if it.skip != "" {
		r.Outcome, r.Reason = outSkipped, it.skip
		return &r
	}
	f := it.file
	// A recorded outcome holds while the file is unchanged: a misnamed file
	// is reported once, not recorded again on every run.
	if rec, ok := s.state.lookup(f.rel); ok && rec.Account == s.account && rec.Size == f.size && rec.ModTime.Equal(f.modTime) {
		r.Contact = rec.Contact
		reason, failed := contactphoto.RecordedFailure(rec.Outcome)
		switch {
		case !failed:
			r.Outcome = outSkipped
			r.Reason = recordedReason(rec.Outcome)
			return &r
		case s.retryFailed:
		case contactRecheck(reason):
			// The contact may have been added or fixed since: look it up
			// again, and send the photo only if it is found.
			it.recheck = reason
		default:
			r.Outcome = outSkipped
			r.Reason = recordedReason(rec.Outcome)
			return &r
		}
	}
	ref, err := people.ContactRefFromFilename(f.rel)
	if err != nil {
		return s.planned(r, f, "", err, dryRun)
	}
	it.contact, it.account = ref, s.account
	r.Contact = ref.String()
	if f.size > s.cfg.MaxObjectBytes {
		return s.planned(r, f, "", fmt.Errorf("%s is %d bytes, over MAX_OBJECT_BYTES (%d): %w", f.rel, f.size, s.cfg.MaxObjectBytes, errTooLarge), dryRun)
	}
	return nil
}

// contactRecheck reports whether a recorded failure is about the contact
// the file names, which can change without the file changing.
func contactRecheck(reason string) bool {
	o, ok := contactphoto.LookupOutcome(reason)
	return ok && (o.Code == "contact_not_found" || o.Code == "ambiguous_contact")
}

// planned is a failure found while planning, recorded unless in a dry run.
func (s *dirSource) planned(r result, f *dirFile, sum string, err error, dryRun bool) *result {
	r = s.failed(r, f, sum, err, !dryRun)
	if dryRun {
		r.Outcome = outWouldFail
	}
	return &r
}

// failed describes a failure and records it when it is permanent, so that
// the next run skips the file until it changes.
func (s *dirSource) failed(r result, f *dirFile, sum string, err error, record bool) result {
	r = failure(r, err)
	if contactphoto.IsPermanent(err) && record {
		r.Final = true
		if rerr := s.record(f, sum, contactphoto.StatusFailedPrefix+r.Reason, ""); rerr != nil {
			r.Final = false
			r.Error += "; " + rerr.Error()
		}
	}
	return r
}

func (s *dirSource) record(f *dirFile, sum, outcome, contact string) error {
	return s.state.record(fileRecord{File: f.rel, Size: f.size, ModTime: f.modTime, SHA256: sum,
		Account: s.account, Outcome: outcome, Contact: contact, Time: time.Now().UTC()})
}

func (s *dirSource) read(ctx context.Context, it *item) ([]byte, error) {
	return readPhoto(it.file.path, s.cfg.MaxObjectBytes)
}

func (s *dirSource) process(ctx context.Context, it *item, bk *backup) result {
	f := it.file
	r := result{Name: it.name, Contact: it.contact.String(), Account: s.account}
	if it.recheck != "" {
		name, err := s.p.FindContact(ctx, s.account, it.contact)
		if err != nil && contactphoto.FailureReason(err) == it.recheck {
			r.Outcome = outSkipped
			r.Reason = recordedReason(contactphoto.StatusFailedPrefix+it.recheck) + " (looked up again)"
			return r
		}
		if err != nil {
			return s.failed(r, f, "", err, true)
		}
		r.Contact = name
	}
	data, err := readPhoto(f.path, s.cfg.MaxObjectBytes)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return s.failed(r, f, "", err, true)
		}
		return failure(r, err)
	}
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	// A file copied or touched keeps its content: a photo already set need
	// not be sent again. A failure is tried again: touching the file is how
	// to ask for that.
	if rec, ok := s.state.lookup(f.rel); ok && rec.Account == s.account && rec.SHA256 == sum && rec.Outcome == contactphoto.StatusUpdated {
		rec.Size, rec.ModTime = f.size, f.modTime
		r.Outcome = outSkipped
		r.Reason = recordedReason(rec.Outcome)
		if err := s.state.record(rec); err != nil {
			return failure(r, err)
		}
		return r
	}
	if bk != nil {
		if err := bk.save(ctx, s.p, s.account, it.contact); err != nil && !contactphoto.IsPermanent(err) {
			return failure(r, err)
		}
	}
	upd, err := s.p.UpdatePhoto(ctx, s.account, it.contact, data)
	if err != nil {
		return s.failed(r, f, sum, err, true)
	}
	r.Outcome = outUpdated
	r.Contact = upd.ResourceName
	if err := s.record(f, sum, contactphoto.StatusUpdated, upd.ResourceName); err != nil {
		// The photo is set; only the record is missing, so the next run
		// sets it again. Say so instead of hiding it.
		r.Outcome = outFailed
		r.Reason = "not recorded"
		r.Error = "photo set, but " + err.Error()
	}
	return r
}
