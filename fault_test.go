package contactphoto

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc/codes"

	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/people"
	"github.com/contactphoto/contactphoto/people/peopletest"
)

// The fault-injection run: how many photos, accounts and how Eventarc
// behaves.
const (
	faultUploads      = 200
	faultAccounts     = 5
	faultBadUploads   = 10  // objects that fail for good, among the events
	faultOverwriteOne = 5   // every fifth object gets a second generation while its first event is in flight
	faultDuplicates   = 0.3 // share of events delivered twice
	faultConcurrency  = 8
	faultMaxAttempts  = 60 // deliveries of one event before the test calls it lost
	// faultByEmail: every fourth good object names its contact by email,
	// and that contact is created during the run, often after its
	// account's search cache was warmed up: the first searches miss it.
	faultByEmail = 4
	// faultNeighbourWrites are photo writes another instance sends for the
	// same accounts meanwhile: the API refuses overlapping writes with 400
	// FAILED_PRECONDITION.
	faultNeighbourWrites = 40
	// faultReadQuota is the read quota per account and faultQuotaWindow,
	// small enough that email lookups hit it.
	faultReadQuota   = 2
	faultQuotaWindow = time.Second
)

// faultColor is the flat colour of generation gen (0 or 1) of object i: red
// and green say which object, blue which generation, in steps far wider
// than JPEG's error on a flat image.
func faultColor(i, gen int) color.RGBA {
	b := uint8(40)
	if gen == 1 {
		b = 210
	}
	return color.RGBA{uint8(20 + (i%14)*16), uint8(20 + (i/14)*16), b, 255}
}

// identifyColor inverts faultColor from a photo's mean colour.
func identifyColor(t testing.TB, photo []byte) (i, gen int) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(photo))
	if err != nil {
		t.Fatalf("the People API holds a photo that is not a JPEG: %v", err)
	}
	var sum [3]float64
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			sum[0] += float64(r >> 8)
			sum[1] += float64(g >> 8)
			sum[2] += float64(b >> 8)
		}
	}
	n := float64(bounds.Dx() * bounds.Dy())
	r, g, b := sum[0]/n, sum[1]/n, sum[2]/n
	col, row := int((r-20)/16+0.5), int((g-20)/16+0.5)
	want := faultColor(col+14*row, 0)
	if d := max(abs(r-float64(want.R)), abs(g-float64(want.G))); d > 5 {
		t.Fatalf("photo's mean colour %.0f,%.0f,%.0f is %.1f away from any object's", r, g, b, d)
	}
	switch {
	case abs(b-40) <= 5:
		return col + 14*row, 0
	case abs(b-210) <= 5:
		return col + 14*row, 1
	}
	t.Fatalf("photo's mean blue %.1f is neither generation's", b)
	return 0, 0
}

func abs(f float64) float64 { return max(f, -f) }

func flatJPEG(t testing.TB, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 96, 80))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// faultObject is one uploaded object and what the run did with it.
type faultObject struct {
	index   int
	name    string
	account string
	contact string
	bad     string // for an object that fails for good, its expected status

	mu          sync.Mutex
	generations []int64 // in upload order; the last is live
}

func (o *faultObject) latest() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.generations[len(o.generations)-1]
}

// faultRun delivers events the way Eventarc does: each event until the
// function acknowledges it, with a backoff between attempts; some events
// twice; several at a time.
type faultRun struct {
	t      *testing.T
	p      *Pipeline
	bucket string

	queue   chan func()
	pending sync.WaitGroup

	mu  sync.Mutex
	rng *rand.Rand

	deliveries, retries, duplicates, lost atomic.Int64
	// retriedPermanent counts deliveries that asked for a retry of an
	// object that fails for good, and its ERROR lines beyond the first.
	retriedPermanent atomic.Int64
}

func (r *faultRun) chance(p float64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.Float64() < p
}

func (r *faultRun) jitter(d time.Duration) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Duration(r.rng.Int64N(int64(d) + 1))
}

// schedule runs f on a delivery worker after delay.
func (r *faultRun) schedule(delay time.Duration, f func()) {
	r.pending.Add(1)
	time.AfterFunc(delay, func() { r.queue <- f })
}

// publish emits the event of a new generation, sometimes twice.
func (r *faultRun) publish(o *faultObject, gen int64, size int64, onFirst func()) {
	ev, err := eventarc.FinalizedEvent(fmt.Sprintf("%s#%d", o.name, gen), eventarc.Object{
		Bucket: r.bucket, Name: o.name, Generation: gen, Size: size, ContentType: "image/jpeg",
	})
	if err != nil {
		r.t.Error(err)
		return
	}
	var once sync.Once
	first := func() {
		if onFirst != nil {
			once.Do(onFirst)
		}
	}
	r.schedule(r.jitter(20*time.Millisecond), func() { r.deliver(o, gen, ev, 1, first) })
	if r.chance(faultDuplicates) {
		r.duplicates.Add(1)
		r.schedule(r.jitter(60*time.Millisecond), func() { r.deliver(o, gen, ev, 1, first) })
	}
}

// deliver makes one delivery attempt and, when the function asks for a
// retry, schedules the next one.
func (r *faultRun) deliver(o *faultObject, gen int64, ev event.Event, attempt int, first func()) {
	defer r.pending.Done()
	first()
	r.deliveries.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := r.p.HandleEvent(ctx, ev)
	if err == nil {
		return
	}
	r.retries.Add(1)
	if o.bad != "" {
		r.retriedPermanent.Add(1)
		r.t.Errorf("%s fails for good, but a delivery asked for a retry: %v", o.name, err)
	}
	if attempt >= faultMaxAttempts {
		r.lost.Add(1)
		r.t.Errorf("%s generation %d: still failing after %d deliveries: %v", o.name, gen, attempt, err)
		return
	}
	// Eventarc backs off exponentially; the run keeps the steps short.
	backoff := min(10*time.Millisecond<<min(attempt, 5), 300*time.Millisecond)
	r.schedule(backoff/2+r.jitter(backoff/2), func() { r.deliver(o, gen, ev, attempt+1, func() {}) })
}

func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault-injection run takes several seconds")
	}
	accounts := make([]string, faultAccounts)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("account%d", i+1)
	}
	clock := peopletest.NewFakeClock(time.Now())
	peopleOpts := peopletest.Options{
		WriteQuota:  -1, // the client's pacing is tested in package people
		ReadQuota:   faultReadQuota,
		QuotaWindow: faultQuotaWindow,
		Latency:     10 * time.Millisecond,
		Clock:       clock, // the search cache's seconds pass as the client waits
		Seed:        20260527,
		RandomFaults: []peopletest.RandomFault{
			{Fault: peopletest.Fault{Status: http.StatusServiceUnavailable}, Probability: 0.20},
			{Fault: peopletest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second}, Probability: 0.05},
			{Fault: peopletest.Fault{Reset: true}, Probability: 0.02},
		},
	}
	fs, env := newOwnStack(t, peopleOpts, accounts...)
	fs.Secrets.FailNext(2, codes.Unavailable)
	fs.OAuth.FailNext(1, http.StatusInternalServerError)
	env[EnvWritesPerMinute] = "6000"
	env[EnvPhotoSize] = "64"
	env[EnvCrop] = "center"
	p, logs := newOwnPipelineWith(t, env, &PipelineOptions{Clock: clock})
	const bucket = "fault-photos"
	stack.Storage.CreateBucket(bucket)

	run := &faultRun{
		t: t, p: p, bucket: bucket,
		queue: make(chan func(), 4*(faultUploads+faultBadUploads)),
		rng:   rand.New(rand.NewPCG(1, 2)),
	}
	var workers sync.WaitGroup
	for range faultConcurrency {
		workers.Go(func() {
			for f := range run.queue {
				f()
			}
		})
	}

	// Access tokens end early a few times: the API answers 401
	// ACCESS_TOKEN_EXPIRED to tokens the function still holds as valid.
	stopExpiring := make(chan struct{})
	var expiring sync.WaitGroup
	var expirations atomic.Int64
	expiring.Go(func() {
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stopExpiring:
				return
			case <-tick.C:
				fs.OAuth.ExpireAccessTokens()
				expirations.Add(1)
			}
		}
	})
	// Two other instances set photos in the same accounts meanwhile. Their
	// writes come in pairs, one from each, for one account at the same
	// moment, so that the API's refusal of overlapping writes is met
	// whatever the machine's load (each instance paces its own writes, so
	// only writes of different instances overlap).
	var neighbourClients [2]*people.Client
	for k := range neighbourClients {
		c, err := people.New(p.tokens, &people.Options{Endpoint: env[EnvPeopleEndpoint], WritesPerMinute: 6000, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		neighbourClients[k] = c
	}
	var neighbourErrs atomic.Int64
	var neighbours sync.WaitGroup
	neighbourPhoto := flatJPEG(t, color.RGBA{1, 2, 3, 255})
	neighbourStart := time.Now().Add(200 * time.Millisecond)
	for i := range faultNeighbourWrites {
		pair := i / 2
		neighbour := neighbourClients[i%2]
		account, contact := accounts[pair%faultAccounts], fmt.Sprintf("people/c%d", 9900000000+i)
		fs.People.AddContact(account, contact)
		neighbours.Go(func() {
			time.Sleep(time.Until(neighbourStart.Add(time.Duration(pair) * 30 * time.Millisecond)))
			// Retried like an event: until it lands or fails for good.
			for attempt := 1; ; attempt++ {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, err := neighbour.UpdatePhoto(ctx, account, contact, neighbourPhoto)
				cancel()
				if err == nil {
					return
				}
				if IsPermanent(err) || attempt == faultMaxAttempts {
					neighbourErrs.Add(1)
					t.Errorf("the other instance's photo for %s: %v", contact, err)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}

	start := time.Now()
	var objects []*faultObject
	var byEmail []*faultObject
	overwrites := 0
	for i := range faultUploads + faultBadUploads {
		o := &faultObject{index: i, name: fmt.Sprintf("fault/%03d.jpg", i), account: accounts[i%faultAccounts]}
		o.contact = fmt.Sprintf("people/c%d", 7700000000+i)
		md := map[string]string{"resourceName": o.contact, "account": o.account}
		if i < faultUploads && i%faultByEmail == 1 {
			email := fmt.Sprintf("person%03d@example.com", i)
			md["resourceName"] = email
			byEmail = append(byEmail, o)
			// Created just before its upload, while the run is under way.
			// From the second half on, only once the account's search
			// cache has refreshed, so that some lookups meet a cache that
			// lacks their contact however fast the machine runs.
			if i >= faultUploads/2 {
				waitFor(t, 30*time.Second, func() bool { return fs.People.SearchCacheRefreshed(o.account) })
			}
			fs.People.AddContact(o.account, o.contact, email)
		} else {
			fs.People.AddContact(o.account, o.contact)
		}
		data := flatJPEG(t, faultColor(i, 0))
		switch {
		case i >= faultUploads && i%2 == 0:
			md["resourceName"] = "people/me"
			o.bad = "failed: invalid contact"
		case i >= faultUploads:
			data = []byte("<html><body>not a photo</body></html>")
			o.bad = "failed: unsupported image format"
		}
		gen, err := stack.Storage.Put(bucket, o.name, "image/jpeg", data, md)
		if err != nil {
			t.Fatal(err)
		}
		o.generations = []int64{gen}
		objects = append(objects, o)
		var overwrite func()
		if o.bad == "" && i%faultOverwriteOne == 0 {
			overwrites++
			// Overwrite the object while its first event is being
			// delivered: that event must then never send the old photo.
			overwrite = func() {
				time.Sleep(run.jitter(15 * time.Millisecond))
				next := flatJPEG(t, faultColor(i, 1))
				gen, err := stack.Storage.Put(bucket, o.name, "image/jpeg", next, md)
				if err != nil {
					t.Error(err)
					return
				}
				o.mu.Lock()
				o.generations = append(o.generations, gen)
				o.mu.Unlock()
				run.publish(o, gen, int64(len(next)), nil)
			}
		}
		run.publish(o, gen, int64(len(data)), func() {
			if overwrite != nil {
				run.pending.Add(1)
				go func() { defer run.pending.Done(); overwrite() }()
			}
		})
	}
	run.pending.Wait()
	close(run.queue)
	workers.Wait()
	neighbours.Wait()
	close(stopExpiring)
	expiring.Wait()
	elapsed := time.Since(start)

	// Successful updates per object generation, in the order the People
	// API applied them.
	type genKey struct {
		object int
		gen    int
	}
	updates := map[genKey]int{}
	order := map[string][]int{} // contact -> generations updated, in order
	for _, u := range fs.People.Updates() {
		if strings.HasPrefix(u.ResourceName, "people/c99") {
			continue // the other instance's
		}
		i, gen := identifyColor(t, u.Photo)
		if i >= len(objects) {
			t.Fatalf("%s received a photo of no object", u.ResourceName)
		}
		if o := objects[i]; u.ResourceName != o.contact || u.Account != o.account {
			t.Errorf("the photo of %s went to %s of account %q, want %s of %q", o.name, u.ResourceName, u.Account, o.contact, o.account)
		}
		updates[genKey{i, gen}]++
		order[u.ResourceName] = append(order[u.ResourceName], gen)
	}

	var lost, duplicated, wrongStatus, staleSent int
	for _, o := range objects {
		errorLines := len(severe(logs.entries(o.name)))
		md := metadataIn(t, bucket, o.name)
		latest := o.latest()
		if o.bad != "" {
			if errorLines > 1 {
				run.retriedPermanent.Add(int64(errorLines - 1))
			}
			if errorLines != 1 {
				t.Errorf("%s: %d ERROR lines for its permanent failure, want exactly 1", o.name, errorLines)
			}
			if md[StatusKey] != o.bad || md[StatusGenerationKey] != strconv.FormatInt(latest, 10) {
				wrongStatus++
				t.Errorf("%s: status %q for generation %q, want %q for %d", o.name, md[StatusKey], md[StatusGenerationKey], o.bad, latest)
			}
			continue
		}
		if errorLines != 0 {
			t.Errorf("%s: %d ERROR lines, want none: %v", o.name, errorLines, severe(logs.entries(o.name)))
		}
		lastGen := len(o.generations) - 1
		photo, ok := fs.People.Photo(o.account, o.contact)
		switch {
		case !ok:
			lost++
			t.Errorf("%s: contact %s has no photo", o.name, o.contact)
		default:
			if i, gen := identifyColor(t, photo.Photo); i != o.index || gen != lastGen {
				lost++
				t.Errorf("%s: contact %s shows generation %d of object %d, want generation %d of object %d (updates in order: %v)",
					o.name, o.contact, gen, i, lastGen, o.index, order[o.contact])
			}
		}
		if n := updates[genKey{o.index, lastGen}]; n != 1 {
			if n > 1 {
				duplicated += n - 1
			}
			t.Errorf("%s: the latest generation was sent %d times, want exactly 1", o.name, n)
		}
		if lastGen == 1 {
			n := updates[genKey{o.index, 0}]
			staleSent += n
			if n > 1 {
				duplicated += n - 1
				t.Errorf("%s: the overwritten generation was sent %d times, want at most 1", o.name, n)
			}
		}
		want := map[string]string{
			StatusKey: "updated", StatusGenerationKey: strconv.FormatInt(latest, 10), StatusContactKey: o.contact,
		}
		for k, v := range want {
			if md[k] != v {
				wrongStatus++
				t.Errorf("%s: %s = %q, want %q", o.name, k, md[k], v)
			}
		}
		if _, err := time.Parse(time.RFC3339, md[StatusUpdatedKey]); err != nil {
			wrongStatus++
			t.Errorf("%s: %s = %q: %v", o.name, StatusUpdatedKey, md[StatusUpdatedKey], err)
		}
	}

	st := fs.People.Stats()
	// Each faulty path must have been taken, or the run proved nothing.
	if run.retries.Load() == 0 || st.Faults == 0 {
		t.Errorf("no delivery was retried and %d faults were injected: the run proved nothing", st.Faults)
	}
	if st.Overlaps == 0 {
		t.Error("no write overlapped the other instance's: FAILED_PRECONDITION was never answered")
	}
	if st.Unauthenticated == 0 {
		t.Error("no access token expired early: 401 was never answered")
	}
	if st.StaleSearches == 0 {
		t.Error("no search missed a new contact in the search cache")
	}
	if st.ReadQuotaRejections == 0 {
		t.Error("the read quota never ran out")
	}
	for _, o := range byEmail {
		if md := metadataIn(t, bucket, o.name); md[StatusContactKey] != o.contact {
			t.Errorf("%s named its contact by email: status contact %q, want %s", o.name, md[StatusContactKey], o.contact)
		}
	}
	// Each account's secret is read once and its token fetched once,
	// unless a fault made the call fail.
	secretCalls, tokenCalls := fs.Secrets.Calls("AccessSecretVersion"), fs.OAuth.TokenRequests()
	if secretCalls < faultAccounts+2 || tokenCalls < faultAccounts+1 {
		t.Errorf("Secret Manager saw %d reads and the token endpoint %d requests: the injected faults were not all served", secretCalls, tokenCalls)
	}
	events := faultUploads + faultBadUploads + overwrites
	t.Logf("fault run: %d events (%d uploads, %d overwrites while in flight, %d failing for good) over %d accounts in %v",
		events, faultUploads+faultBadUploads, overwrites, faultBadUploads, faultAccounts, elapsed.Round(time.Millisecond))
	t.Logf("overwritten generations: %d sent before their successor, %d skipped as stale", staleSent, overwrites-staleSent)
	t.Logf("deliveries: %d (%d events delivered twice, %d retried after an error)",
		run.deliveries.Load(), run.duplicates.Load(), run.retries.Load())
	t.Logf("faults injected: People API %d of %d calls (503: %d, 429 with Retry-After: %d, dropped connections: %d); Secret Manager Unavailable: 2 of %d reads; token endpoint 500: 1 of %d requests",
		st.Faults, st.Requests, st.FaultsByStatus[http.StatusServiceUnavailable], st.FaultsByStatus[http.StatusTooManyRequests], st.FaultsByStatus[0],
		secretCalls, tokenCalls)
	t.Logf("faults of the real API's kind: %d writes refused 400 FAILED_PRECONDITION for overlapping another instance's (%d of its writes, %d failed); %d 401s after %d early expiries of access tokens; %d email-keyed photos, %d searches missing a new contact in the search cache over %d warm-ups; %d 429s of the read quota (%d reads per %v)",
		st.Overlaps, faultNeighbourWrites, neighbourErrs.Load(), st.Unauthenticated, expirations.Load(), len(byEmail), st.StaleSearches, st.WarmUps,
		st.ReadQuotaRejections, faultReadQuota, faultQuotaWindow)
	t.Logf("lost: %d, duplicated: %d, overlaps: %d, permanent failures retried: %d, wrong status: %d, successful updates: %d",
		lost+int(run.lost.Load()), duplicated, st.Overlaps, run.retriedPermanent.Load(), wrongStatus, st.Updates)
	if testing.Verbose() && t.Failed() {
		t.Log(strings.TrimSpace(logs.String()))
	}
}

// noisyJPEG is a w x h photo of noise, slow to decode and scale.
func noisyJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 1))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFaultOverwriteWhileProcessing overwrites an object while the event
// of its large first generation is being processed, and handles the small
// second generation's event meanwhile: the contact must end with the
// second photo, whichever event reaches the People API first.
func TestFaultOverwriteWhileProcessing(t *testing.T) {
	ps, env := newOwnStack(t, peopletest.Options{WriteQuota: -1})
	env[EnvWritesPerMinute] = "6000"
	p, _ := newOwnPipeline(t, env)
	const (
		bucket  = "fault-photos"
		name    = "fault/overwritten-while-processing.jpg"
		contact = "people/c5500000001"
	)
	stack.Storage.CreateBucket(bucket)
	ps.People.AddContact("", contact)
	md := map[string]string{"resourceName": contact}
	event := func(id string, data []byte) event.Event {
		t.Helper()
		gen, err := stack.Storage.Put(bucket, name, "image/jpeg", data, md)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := eventarc.FinalizedEvent(id, eventarc.Object{Bucket: bucket, Name: name, Generation: gen, Size: int64(len(data))})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}

	first := make(chan error, 1)
	firstEvent := event("first", noisyJPEG(t, 3000, 2000))
	go func() { first <- p.HandleEvent(context.Background(), firstEvent) }()
	// The first event looks the object up at once, then spends far longer
	// than this decoding and scaling 6 megapixels of noise. Were it slower
	// to start, it would find itself stale and the test would still hold.
	time.Sleep(30 * time.Millisecond)
	second := faultColor(0, 1)
	if err := p.HandleEvent(context.Background(), event("second", flatJPEG(t, second))); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	photo, ok := ps.People.Photo("", contact)
	if !ok {
		t.Fatal("the contact has no photo")
	}
	i, gen := identifyColor(t, photo.Photo)
	if i != 0 || gen != 1 {
		t.Errorf("the contact shows object %d generation %d, want the second generation (%d photos sent)", i, gen, len(ps.People.Updates()))
	}
}

// metadataIn returns the metadata of an object's live generation.
func metadataIn(t testing.TB, bucket, name string) map[string]string {
	t.Helper()
	attrs, err := stack.Storage.Attrs(bucket, name)
	if err != nil {
		t.Fatal(err)
	}
	return attrs.Metadata
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for the run to reach a state", limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
