package eventhistory

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
)

// EnabledRegions lists the regions enabled for the caller's account: those
// enabled by default and the opt-in regions the account enabled. It needs the
// permission account:ListRegions. The Account API is small to compile, unlike
// EC2's DescribeRegions.
func EnabledRegions(ctx context.Context, client account.ListRegionsAPIClient) ([]string, error) {
	p := account.NewListRegionsPaginator(client, &account.ListRegionsInput{
		MaxResults: aws.Int32(50),
		RegionOptStatusContains: []accounttypes.RegionOptStatus{
			accounttypes.RegionOptStatusEnabled,
			accounttypes.RegionOptStatusEnabledByDefault,
		},
	})
	var regions []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, describe(err, "", "account:ListRegions", 0)
		}
		for _, r := range page.Regions {
			regions = append(regions, aws.ToString(r.RegionName))
		}
	}
	slices.Sort(regions)
	return slices.Compact(regions), nil
}
