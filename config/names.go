package config

import (
	"fmt"
	"strings"
)

// Names and ARNs computed from the config. Stacks of different accounts never reference each
// other's CDK objects (cross-environment references fail); they agree on these instead, so
// each stack can be synthesized and deployed on its own.

// Partition is the ARN partition of the organization ("aws", "aws-cn", "aws-us-gov", ...).
func (c *Config) Partition() string {
	return Partition(c.HomeRegion)
}

// OrganizationTrailARN is the ARN of the organization trail in the management account.
func (c *Config) OrganizationTrailARN() string {
	return fmt.Sprintf("arn:%s:cloudtrail:%s:%s:trail/%s", c.Partition(), c.HomeRegion, c.Organization.ManagementAccount, c.OrganizationTrail.Name)
}

// LogArchiveBucketARN is the ARN of the log archive bucket in the Security account.
func (c *Config) LogArchiveBucketARN() string {
	return fmt.Sprintf("arn:%s:s3:::%s", c.Partition(), c.LogArchive.BucketName)
}

// AccessLogBucketName is the name of the bucket that receives the log archive bucket's server
// access logs: the archive bucket's name with "-access-logs", the archive's part shortened
// if needed to stay within S3's 63 characters. The organization trail needs it too, to
// exclude the bucket from S3 data events.
func (c *Config) AccessLogBucketName() string {
	const suffix = "-access-logs"
	name := c.LogArchive.BucketName
	if limit := 63 - len(suffix); len(name) > limit {
		name = strings.TrimRight(name[:limit], "-")
	}
	return name + suffix
}

// TrailKeyAlias is the alias of the KMS key that encrypts the organization trail's logs.
const TrailKeyAlias = "alias/trailguard/organization-trail"

// StreamKeyAlias is the alias of the KMS key that encrypts the Security event stream.
const StreamKeyAlias = "alias/trailguard/security-events"

// TrailKeyAliasARN is the ARN of the trail key's alias in the Security account. The trail
// refers to the key by this ARN because the key id is not known before the Security stack is
// deployed.
func (c *Config) TrailKeyAliasARN() string {
	return fmt.Sprintf("arn:%s:kms:%s:%s:%s", c.Partition(), c.HomeRegion, c.Organization.SecurityAccount, TrailKeyAlias)
}

// StreamARN is the ARN of the Security account's Kinesis stream.
func (c *Config) StreamARN() string {
	return fmt.Sprintf("arn:%s:kinesis:%s:%s:stream/%s", c.Partition(), c.HomeRegion, c.Organization.SecurityAccount, c.EventStream.StreamName)
}

// ReceivingBusARN is the ARN of the Security account's receiving event bus.
func (c *Config) ReceivingBusARN() string {
	return fmt.Sprintf("arn:%s:events:%s:%s:event-bus/%s", c.Partition(), c.HomeRegion, c.Organization.SecurityAccount, c.EventStream.BusName)
}

// CloudFormationExecutionRoleARN is the role the cdk bootstrap stack creates for CloudFormation
// to deploy with in account and region. Policies that lock a resource down must still let it
// through, or the stack can no longer update itself.
func (c *Config) CloudFormationExecutionRoleARN(account, region string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-cfn-exec-role-%s-%s", c.Partition(), account, c.Deployment.Qualifier, account, region)
}

// Stack names. They are deterministic so that `cdk deploy <stack>` works from any config
// checkout and each account's stacks can be deployed on their own.

// SecurityStackName is the name of the Security account's stack.
func (c *Config) SecurityStackName() string { return "trailguard-security" }

// ManagementStackName is the name of the management account's stack.
func (c *Config) ManagementStackName() string { return "trailguard-management" }

// ForwarderStackName is the name of the stack that forwards the management or the Security
// account's events of region in real time; role is "management" or "security".
func (c *Config) ForwarderStackName(role, region string) string {
	return fmt.Sprintf("trailguard-forwarder-%s-%s", role, region)
}

// ForwarderAccounts are the accounts that get forwarder stacks of their own (no local trail:
// the organization trail records them), by role name: the management account, then the
// Security account (whose id the forwarder template names, in the stream's ARN, so it cannot
// be the prototype the other is replicated from). SCPs do not restrict the management account, and it is where the
// organization trail, the SCPs and the organization itself are changed, so it needs real-time
// coverage like every other account.
func (c *Config) ForwarderAccounts() []Member {
	return []Member{
		{ID: c.Organization.ManagementAccount, Name: "management", Regions: c.Regions},
		{ID: c.Organization.SecurityAccount, Name: "security", Regions: c.Regions},
	}
}

// MemberStackName is the name of member m's stack in region.
func (c *Config) MemberStackName(m Member, region string) string {
	return fmt.Sprintf("trailguard-member-%s-%s", m.Name, region)
}
