package accounttrail

import (
	"github.com/trailguard/trailguard/deployed"
)

// Definition returns the trail as NewAccountTrail deploys it with props (creating its own
// bucket and key) in region, the account's home region, for the automatic response to
// restore it when it is re-scoped (cloudtrail-restore-trail), with the account and region as
// placeholders (deployed.PlaceholderAccount...): the same template serves every account. The
// key's ARN is not known at synth: the responder reads it from the bucket's default
// encryption, which the construct sets to the same key and the guardrails protect. It has no
// event selectors: a new trail's default (every management event). CloudWatch Logs delivery
// is not part of it. With ExistingBucket or ExistingKey there is no definition (ok false):
// synth cannot name the bucket, or the key may not be the bucket's.
func Definition(props *AccountTrailProps, region string) (d deployed.Trail, ok bool) {
	if props == nil {
		props = &AccountTrailProps{}
	}
	if props.ExistingBucket != nil || props.ExistingKey != nil {
		return deployed.Trail{}, false
	}
	return deployed.Trail{
		Name: trailName(props), Region: region,
		IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, EnableLogFileValidation: true,
		S3BucketName:     BucketNamePrefix + deployed.PlaceholderAccount + "-" + deployed.PlaceholderRegion,
		KmsKeyFromBucket: true,
	}, true
}
