package alerting

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/trailguard/trailguard/detect"
)

// AccountLister is what RefreshAccounts needs of the Organizations client.
type AccountLister interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

// refreshTimeout bounds the refresh at cold start: a slow Organizations call must not hold
// detection back.
const refreshTimeout = 10 * time.Second

// RefreshAccounts returns the context with the accounts Organizations lists added to the baked
// ones (a stackset deployment reaches accounts the config does not list; accounts join after
// the synth). ListAccounts works from the management account or a delegated administrator
// (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html); any
// failure keeps the baked context, logged. Accounts are only added, never removed: an
// account that left is iam's and organizations' rules' news, not a reason to forget it.
func RefreshAccounts(ctx context.Context, lister AccountLister, c *detect.Context, log *slog.Logger) *detect.Context {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	var listed []string
	p := organizations.NewListAccountsPaginator(lister, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			log.Warn("organization accounts not refreshed: keeping the accounts baked at synth", "error", err)
			return c
		}
		for _, a := range page.Accounts {
			if a.Id != nil {
				listed = append(listed, *a.Id)
			}
		}
	}
	out := &detect.Context{}
	if c != nil {
		cp := *c
		out = &cp
	}
	accounts := slices.Clone(out.Organization.Accounts)
	for _, a := range listed {
		if !slices.Contains(accounts, a) {
			accounts = append(accounts, a)
		}
	}
	out.Organization.Accounts = accounts
	log.Info("organization accounts refreshed", "listed", len(listed), "accounts", len(accounts))
	return out
}
