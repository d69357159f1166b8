package orgtrail

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"

	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/deployed"
)

// Definition returns the trail as NewOrganizationTrail deploys it with props in region (the
// management account's home region), for the automatic response to restore it when it is
// re-scoped (cloudtrail-restore-trail). It reads the same props and builds the same selectors
// as the construct, so the two cannot diverge. The key is KmsKeyArn (the alias ARN the
// config names). CloudWatch Logs delivery is not part of it.
func Definition(props *OrganizationTrailProps, region string) deployed.Trail {
	partition := "aws"
	if a, ok := check.ParseARN(*props.KmsKeyArn); ok {
		partition = a.Partition
	}
	d := deployed.Trail{
		Name: *props.TrailName, Region: region,
		IsMultiRegionTrail: true, IsOrganizationTrail: true, IncludeGlobalServiceEvents: true, EnableLogFileValidation: true,
		S3BucketName: *props.BucketName, KmsKeyId: *props.KmsKeyArn,
		InsightTypes: check.Strings(props.InsightTypes),
	}
	for _, s := range *selectors(props, partition) {
		d.AdvancedEventSelectors = append(d.AdvancedEventSelectors, advanced(s))
	}
	return d
}

func advanced(s *awscloudtrail.CfnTrail_AdvancedEventSelectorProperty) deployed.AdvancedEventSelector {
	out := deployed.AdvancedEventSelector{Name: deref(s.Name)}
	for _, f := range s.FieldSelectors.([]*awscloudtrail.CfnTrail_AdvancedFieldSelectorProperty) {
		out.FieldSelectors = append(out.FieldSelectors, deployed.FieldSelector{
			Field: deref(f.Field), Equals: strs(f.EqualTo), StartsWith: strs(f.StartsWith), EndsWith: strs(f.EndsWith),
			NotEquals: strs(f.NotEquals), NotStartsWith: strs(f.NotStartsWith), NotEndsWith: strs(f.NotEndsWith),
		})
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func strs(l *[]*string) []string {
	if l == nil {
		return nil
	}
	return check.Strings(l)
}
