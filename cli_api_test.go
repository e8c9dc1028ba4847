package contactphoto

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/people"
)

func TestPlanObject(t *testing.T) {
	base := func() *Config {
		cfg, err := LoadToolConfig(func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	tests := []struct {
		name        string
		cfg         func(*Config)
		objName     string
		size        int64
		md          map[string]string
		retryFailed bool
		want        *ObjectPlan
		wantReason  string
	}{
		{name: "contact and account", objName: "a.jpg", md: map[string]string{"ResourceName": "c12", "Account": "work"},
			want: &ObjectPlan{Contact: people.ContactRef{ResourceName: "people/c12"}, Account: "work"}},
		{name: "recorded for this generation", objName: "a.jpg",
			md: map[string]string{"resourceName": "people/c1", StatusKey: "updated", StatusGenerationKey: "7"},
			want: &ObjectPlan{Recorded: Recorded{Status: "updated"},
				Skip: "generation already processed (contactphoto-status: updated)"}},
		{name: "failed before a digest was kept", objName: "a.jpg",
			md: map[string]string{"resourceName": "people/c1", StatusKey: "failed: no contact", StatusGenerationKey: "7"},
			want: &ObjectPlan{Recorded: Recorded{Status: "failed: no contact"},
				Skip: "failed before (failed: no contact) and its contact and account metadata have not changed since"}},
		{name: "failed, unchanged", objName: "a.jpg",
			md: map[string]string{"resourceName": "people/c1", StatusKey: "failed: contact not found", StatusGenerationKey: "7",
				StatusInputsKey: digest(map[string]string{"resourceName": "people/c1", "other": "x"})},
			want: &ObjectPlan{Recorded: Recorded{Status: "failed: contact not found"},
				Skip: "failed before (failed: contact not found) and its contact and account metadata have not changed since"}},
		{name: "failed, unchanged, retried", objName: "a.jpg", retryFailed: true,
			md: map[string]string{"resourceName": "people/c1", StatusKey: "failed: contact not found", StatusGenerationKey: "7",
				StatusInputsKey: digest(map[string]string{"resourceName": "people/c1"})},
			want: &ObjectPlan{Recorded: Recorded{Status: "failed: contact not found"}, Contact: people.ContactRef{ResourceName: "people/c1"}}},
		{name: "failed, contact changed since", objName: "a.jpg",
			md: map[string]string{"resourceName": "people/c2", StatusKey: "failed: contact not found", StatusGenerationKey: "7",
				StatusInputsKey: digest(map[string]string{"resourceName": "people/c1"})},
			want: &ObjectPlan{Recorded: Recorded{Status: "failed: contact not found", InputsChanged: true}, Contact: people.ContactRef{ResourceName: "people/c2"}}},
		{name: "failed, account added since", objName: "a.jpg",
			md: map[string]string{"resourceName": "people/c1", "Account": "work", StatusKey: "failed: contact not found", StatusGenerationKey: "7",
				StatusInputsKey: digest(map[string]string{"resourceName": "people/c1"})},
			want: &ObjectPlan{Recorded: Recorded{Status: "failed: contact not found", InputsChanged: true},
				Contact: people.ContactRef{ResourceName: "people/c1"}, Account: "work"}},
		{name: "updated, retry failed", objName: "a.jpg", retryFailed: true,
			md: map[string]string{"resourceName": "people/c1", StatusKey: "updated", StatusGenerationKey: "7"},
			want: &ObjectPlan{Recorded: Recorded{Status: "updated"},
				Skip: "generation already processed (contactphoto-status: updated)"}},
		{name: "recorded for an older generation", objName: "a.jpg",
			md:   map[string]string{"resourceName": "people/c1", StatusKey: "updated", StatusGenerationKey: "6"},
			want: &ObjectPlan{Contact: people.ContactRef{ResourceName: "people/c1"}}},
		{name: "recorded, but write-back off", objName: "a.jpg", cfg: func(c *Config) { c.StatusWriteback = false },
			md:   map[string]string{"resourceName": "people/c1", StatusKey: "updated", StatusGenerationKey: "7"},
			want: &ObjectPlan{Recorded: Recorded{Status: "updated"}, Contact: people.ContactRef{ResourceName: "people/c1"}}},
		{name: "file name fallback", objName: "x/bob@example.com.png", cfg: func(c *Config) { c.ContactFromFilename = true },
			want: &ObjectPlan{Contact: people.ContactRef{Email: "bob@example.com"}}},
		{name: "no contact", objName: "x/bob@example.com.png", wantReason: "no contact"},
		{name: "bad contact", objName: "a.jpg", md: map[string]string{"resourceName": "people/../x"}, wantReason: "invalid contact"},
		{name: "two spellings", objName: "a.jpg", md: map[string]string{"resourceName": "people/c1", "RESOURCENAME": "people/c2"},
			wantReason: "conflicting metadata"},
		{name: "too large", objName: "a.jpg", size: DefaultMaxObjectBytes + 1, md: map[string]string{"resourceName": "people/c1"},
			wantReason: "object too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			obj := &gcs.Object{Bucket: "b", Name: tt.objName, Generation: 7, Size: tt.size, Metadata: tt.md}
			got, err := cfg.PlanObject(obj, tt.retryFailed)
			if tt.wantReason != "" {
				if err == nil || !IsPermanent(err) || FailureReason(err) != tt.wantReason {
					t.Fatalf("got %+v, %v; want a permanent %q failure", got, err, tt.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PlanObject (-want +got):\n%s", diff)
			}
		})
	}
}

// digest is the inputs digest of an object with metadata md under the
// default configuration.
func digest(md map[string]string) string {
	cfg, err := LoadToolConfig(func(string) string { return "" })
	if err != nil {
		panic(err)
	}
	return cfg.inputsOf(&gcs.Object{Metadata: md})
}

func TestRecordedFailure(t *testing.T) {
	tests := []struct {
		status, reason string
		failed         bool
	}{
		{"failed: no contact", "no contact", true},
		{"updated", "", false},
	}
	for _, tt := range tests {
		reason, failed := RecordedFailure(tt.status)
		if failed != tt.failed || reason != tt.reason {
			t.Errorf("RecordedFailure(%q) = %q, %v; want %q, %v", tt.status, reason, failed, tt.reason, tt.failed)
		}
	}
}

// TestSkipRecorded: which recorded outcomes each way in runs again.
func TestSkipRecorded(t *testing.T) {
	cfg, err := LoadToolConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	md := func(status, inputs string) map[string]string {
		m := map[string]string{"resourceName": "people/c1", StatusGenerationKey: "7"}
		if status != "" {
			m[StatusKey] = status
		}
		if inputs != "" {
			m[StatusInputsKey] = inputs
		}
		return m
	}
	same := digest(map[string]string{"resourceName": "people/c1"})
	other := digest(map[string]string{"resourceName": "people/c2"})
	tests := []struct {
		name      string
		md        map[string]string
		writeback bool
		runs      map[runMode]bool
	}{
		{"nothing recorded", md("", ""), true,
			map[runMode]bool{runUpload: true, runChanged: false, runBackfill: true, runRetryFailed: true, runForced: true}},
		{"updated", md(StatusUpdated, same), true,
			map[runMode]bool{runUpload: false, runChanged: false, runBackfill: false, runRetryFailed: false, runForced: true}},
		{"failed, unchanged", md("failed: no contact", same), true,
			map[runMode]bool{runUpload: false, runChanged: false, runBackfill: false, runRetryFailed: true, runForced: true}},
		{"failed, changed", md("failed: no contact", other), true,
			map[runMode]bool{runUpload: false, runChanged: true, runBackfill: true, runRetryFailed: true, runForced: true}},
		{"failed, no digest", md("failed: no contact", ""), true,
			map[runMode]bool{runUpload: false, runChanged: true, runBackfill: false, runRetryFailed: true, runForced: true}},
		{"write-back off", md("failed: no contact", other), false,
			map[runMode]bool{runUpload: true, runChanged: false, runBackfill: true, runRetryFailed: true, runForced: true}},
	}
	for _, tt := range tests {
		c := *cfg
		c.StatusWriteback = tt.writeback
		obj := &gcs.Object{Bucket: "b", Name: "a.jpg", Generation: 7, Metadata: tt.md}
		for mode, want := range tt.runs {
			if got := c.skipRecorded(obj, mode) == ""; got != want {
				t.Errorf("%s, mode %d: runs=%t, want %t (%q)", tt.name, mode, got, want, c.skipRecorded(obj, mode))
			}
		}
	}
}
