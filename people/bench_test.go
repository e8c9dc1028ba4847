package people

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/people/peopletest"
)

// BenchmarkBulkUpload120 drops 120 photos for one account at once, as a
// bulk upload does, with the stand-in answering in 150 ms like the real
// API, its default quota (60 writes a minute) and the client's defaults
// (50 writes a minute). It reports the wall time until the last photo is
// set; it takes well over two minutes, so run it alone:
//
//	go test ./people -run '^$' -bench BulkUpload120 -benchtime 1x
func BenchmarkBulkUpload120(b *testing.B) {
	const n, latency = 120, 150 * time.Millisecond
	photo := testJPEG(b, 720, 720)
	for b.Loop() {
		srv := newServer(b, &peopletest.Options{Latency: latency})
		for i := range n {
			srv.AddContact("", fmt.Sprintf("people/c%d", i))
		}
		c, err := New(&testTokens{}, &Options{Endpoint: srv.URL, HTTPClient: srv.Client()})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if _, err := c.UpdatePhoto(context.Background(), "", fmt.Sprintf("people/c%d", i), photo); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		st := srv.Stats()
		if st.Updates != n || st.Overlaps != 0 || st.QuotaRejections != 0 {
			b.Fatalf("stand-in stats %+v; want %d updates, no overlap, no 429", st, n)
		}
		b.ReportMetric(elapsed.Seconds(), "s/120-updates")
		b.Logf("%d updates for one account at %v latency: %v (%d quota rejections, %d overlaps)",
			n, latency, elapsed.Round(100*time.Millisecond), st.QuotaRejections, st.Overlaps)
	}
	b.ReportMetric(0, "ns/op")
}
