package execute

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/respond"
)

func TestSessionName(t *testing.T) {
	valid := regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	event := "3b1f5a3e-8f7e-4b5c-9d2a-1e2f3a4b5c6d"
	for _, tc := range []struct{ alertID, want string }{
		{"s3-bucket-made-public/" + event, "s3-bucket-made-public@" + event},
		// A long rule id is cut; the event ID is kept whole.
		{"a-rule-with-a-very-long-identifier-indeed/" + event, "a-rule-with-a-very-long-ide@" + event},
		// A record without an eventID: the tail of its hash, which is unique enough.
		{"r/sha256:" + strings.Repeat("ab", 32), ("sha256-" + strings.Repeat("ab", 32))[8:]},
	} {
		got := SessionName(tc.alertID)
		if !valid.MatchString(got) {
			t.Errorf("SessionName(%q) = %q: not a valid role session name", tc.alertID, got)
		}
		if got != tc.want {
			t.Errorf("SessionName(%q) = %q, want %q", tc.alertID, got, tc.want)
		}
	}
}

func TestMemoryLedger(t *testing.T) {
	ctx := context.Background()
	l := &MemoryLedger{}
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	a := &respond.Target{Kind: respond.KindBucket, Bucket: "a", Account: "333333333333"}
	b := &respond.Target{Kind: respond.KindBucket, Bucket: "b", Account: "333333333333"}
	l.Record(ctx, a, "r/e1", now.Add(-2*time.Hour)) // outside the window
	l.Record(ctx, a, "r/e2", now)
	l.Record(ctx, a, "r/e2", now) // a retry counts once
	l.Record(ctx, b, "r/e3", now)
	got, _ := l.Counts(ctx, a, now.Add(-Window))
	if want := (respond.Counts{Resource: 1, Account: 2}); got != want {
		t.Errorf("Counts = %+v, want %+v", got, want)
	}
}
