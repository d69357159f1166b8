package alerting

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/trailguard/trailguard/detect"
)

// fakeLister serves pages of accounts, or fails.
type fakeLister struct {
	pages [][]string
	err   error
	calls int
}

func (f *fakeLister) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	i := 0
	if in.NextToken != nil {
		i = int((*in.NextToken)[0] - '0')
	}
	out := &organizations.ListAccountsOutput{}
	for _, id := range f.pages[i] {
		out.Accounts = append(out.Accounts, types.Account{Id: aws.String(id)})
	}
	if i+1 < len(f.pages) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func TestRefreshAccounts(t *testing.T) {
	baked := &detect.Context{Organization: detect.Organization{ID: "o-a1b2c3d4e5", Accounts: []string{"111111111111"}}}
	got := RefreshAccounts(context.Background(), &fakeLister{pages: [][]string{{"111111111111", "222222222222"}, {"333333333333"}}}, baked, nil)
	if want := []string{"111111111111", "222222222222", "333333333333"}; !slices.Equal(got.Organization.Accounts, want) {
		t.Errorf("accounts %v, want %v", got.Organization.Accounts, want)
	}
	if got.Organization.ID != "o-a1b2c3d4e5" || len(baked.Organization.Accounts) != 1 {
		t.Errorf("the refresh must keep the organization and leave the baked context alone: %+v, %+v", got, baked)
	}
	failing := &fakeLister{err: errors.New("AccessDeniedException: not a delegated administrator")}
	if got := RefreshAccounts(context.Background(), failing, baked, nil); got != baked {
		t.Errorf("a failing refresh must keep the baked context, got %+v", got)
	}
}

func TestLoadEngineContextFile(t *testing.T) {
	root := t.TempDir()
	getenv := func(k string) string {
		if k == "LAMBDA_TASK_ROOT" {
			return root
		}
		return ""
	}
	if _, err := LoadEngine(getenv); err != nil {
		t.Fatalf("without a context file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, ContextFile), []byte(`{"organization":{"id":"o-1"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadEngine(getenv); err == nil || !strings.Contains(err.Error(), ContextFile) || !strings.Contains(err.Error(), "organization.id") {
		t.Errorf("a bad context file must fail naming it and the field, got %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, ContextFile), []byte(`{"organization":{"id":"o-a1b2c3d4e5","accounts":["111111111111"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	lister := &fakeLister{pages: [][]string{{"222222222222"}}}
	if _, err := LoadEngineWith(context.Background(), getenv, lister, nil); err != nil || lister.calls != 1 {
		t.Errorf("with a context file and a refresh: %v, %d calls", err, lister.calls)
	}
}
