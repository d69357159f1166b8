// Package execute carries out the automatic response's decisions (package respond): in the
// decision's account, through the trailguard-responder role assumed with a session name that
// carries the alert's ID, it re-reads the resource's current state, acts only if it is still
// wrong (and only in enforce mode), reads it again, and returns the before and after state
// for the audit alert. Every action is idempotent: run twice, the second finds nothing to do.
//
// It uses the AWS SDK through small interfaces (S3API, S3ControlAPI, EC2API, CloudTrailAPI,
// IAMAPI, and for the restoring actions CloudTrailConfigAPI, S3EncryptionAPI, EventsAPI,
// CloudWatchAPI), so that its tests and the responder's end-to-end tests run on local fakes.
// Every action is one reconcile (reconcile.go): read, right?, plan, act, read again.
package execute

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/smithy-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/deployed"
	"github.com/trailguard/trailguard/internal/respond"
)

// S3API is the part of the S3 client the actions use.
type S3API interface {
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, opts ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, opts ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, opts ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

// S3ControlAPI is the part of the S3 Control client the account-level action uses.
type S3ControlAPI interface {
	GetPublicAccessBlock(ctx context.Context, in *s3control.GetPublicAccessBlockInput, opts ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3control.PutPublicAccessBlockInput, opts ...func(*s3control.Options)) (*s3control.PutPublicAccessBlockOutput, error)
}

// EC2API is the part of the EC2 client the security group action uses.
type EC2API interface {
	DescribeSecurityGroupRules(ctx context.Context, in *ec2.DescribeSecurityGroupRulesInput, opts ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error)
	RevokeSecurityGroupIngress(ctx context.Context, in *ec2.RevokeSecurityGroupIngressInput, opts ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error)
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
}

// CloudTrailAPI is the part of the CloudTrail client the trail action uses.
type CloudTrailAPI interface {
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	StartLogging(ctx context.Context, in *cloudtrail.StartLoggingInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error)
}

// IAMAPI is the part of the IAM client the access key action uses.
type IAMAPI interface {
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, opts ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, opts ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
}

// Clients are the clients of one account and region, acting as the responder role.
type Clients struct {
	S3         S3API
	S3Control  S3ControlAPI
	EC2        EC2API
	CloudTrail CloudTrailAPI
	IAM        IAMAPI
	// The restoring actions' clients: the trail's configuration and its bucket's default
	// key (cloudtrail-restore-trail), the forwarder rules and their dead-letter queues'
	// alarms (events-restore-forwarder-rule).
	TrailConfig      CloudTrailConfigAPI
	BucketEncryption S3EncryptionAPI
	Events           EventsAPI
	CloudWatch       CloudWatchAPI
}

// ClientFactory returns the clients of account and region, with the responder role's
// session named session (SessionName of the alert ID).
type ClientFactory func(ctx context.Context, account, region, session string) (*Clients, error)

// Results of an execution.
const (
	// Acted: the resource was still wrong and the action changed it (enforce).
	Acted = "acted"
	// WouldAct: the resource is still wrong; in dry-run nothing was changed.
	WouldAct = "would-act"
	// AlreadyRight: the resource is no longer wrong (someone fixed it, or a later event
	// did): nothing to do.
	AlreadyRight = "already-right"
	// Gone: the resource no longer exists.
	Gone = "gone"
	// Skipped: the decision was not to act.
	Skipped = "skipped"
)

// Outcome is what an execution found and did: the audit alert's content.
type Outcome struct {
	// Decision is the decision executed.
	Decision respond.Decision `json:"decision"`
	// Result is one of Acted, WouldAct, AlreadyRight, Gone, Skipped.
	Result string `json:"result"`
	// Before and After are the resource's state read before and after acting.
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
	// Calls are the changing calls made (enforce), or that would have been (dry-run), with
	// their parameters.
	Calls []string `json:"calls,omitempty"`
	// Stack is the CloudFormation stack that manages the resource (its
	// aws:cloudformation:stack-name tag), when it has one.
	Stack string `json:"stack,omitempty"`
	// Session is the role session name the calls were made with.
	Session string `json:"session,omitempty"`
	// Note is a remark for people, such as what was left as it was.
	Note string `json:"note,omitempty"`
}

// Executor runs decisions.
type Executor struct {
	// Clients returns the clients of an account and region.
	Clients ClientFactory
	// Deployed is the configuration synth deployed of the trails and forwarder rules the
	// restoring actions put back (the responder function's bundled deployed.File).
	// Default: none, and those actions leave every resource as it is.
	Deployed *deployed.Definitions
	// Partition is the AWS partition of the ARNs the restoring actions write.
	// Default: aws.
	Partition string
}

func (x *Executor) partition() string {
	if x.Partition == "" {
		return "aws"
	}
	return x.Partition
}

var sessionUnsafe = regexp.MustCompile(`[^\w+=,.@-]`)

// SessionName is the role session name that carries alertID, "<rule id>/<eventID>", so that
// CloudTrail ties the responder's calls back to the alert: STS allows 2-64 characters of
// [\w+=,.@-] (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html), so
// the slash becomes "@" and the rule id is shortened first, keeping the event ID whole.
func SessionName(alertID string) string {
	rule, event, ok := strings.Cut(alertID, "/")
	if !ok {
		rule, event = "", alertID
	}
	rule = sessionUnsafe.ReplaceAllString(rule, "-")
	event = sessionUnsafe.ReplaceAllString(event, "-")
	if len(event) > 63 {
		event = event[len(event)-63:]
	}
	if keep := 64 - 1 - len(event); len(rule) > keep {
		rule = rule[:max(keep, 0)]
	}
	s := rule + "@" + event
	if rule == "" {
		s = event
	}
	for len(s) < 2 {
		s += "-"
	}
	return s
}

// Execute carries out d. An error means the state could not be read or the action failed:
// the caller retries (every action is idempotent).
func (x *Executor) Execute(ctx context.Context, d respond.Decision) (Outcome, error) {
	o := Outcome{Decision: d, Result: Skipped}
	if !d.Act || d.Target == nil || d.Mode == config.ResponseOff {
		return o, nil
	}
	o.Session = SessionName(d.AlertID)
	c, err := x.Clients(ctx, d.Target.Account, d.Target.Region, o.Session)
	if err != nil {
		return o, fmt.Errorf("the responder role in account %s: %w", d.Target.Account, err)
	}
	enforce := d.Mode == config.ResponseEnforce
	t := d.Target
	switch t.Kind {
	case respond.KindBucket:
		err = bucket(ctx, c, t, enforce, &o)
	case respond.KindAccountS3:
		err = accountS3(ctx, c, t, enforce, &o)
	case respond.KindSecurityGroup:
		err = securityGroup(ctx, c, t, enforce, &o)
	case respond.KindTrail:
		err = trail(ctx, c, t, enforce, &o)
	case respond.KindAccessKey:
		err = accessKey(ctx, c, t, enforce, &o)
	case respond.KindTrailConfig:
		err = x.trailConfig(ctx, c, t, enforce, &o)
	case respond.KindRule:
		err = x.rule(ctx, c, t, enforce, &o)
	default:
		err = fmt.Errorf("no executor for %s", t.Kind)
	}
	return o, err
}

// BlockPublicAccess is a Block Public Access configuration.
type BlockPublicAccess struct {
	BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets bool
}

func (b BlockPublicAccess) all() bool {
	return b.BlockPublicAcls && b.IgnorePublicAcls && b.BlockPublicPolicy && b.RestrictPublicBuckets
}

// errorCode returns the API error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// bucket restores all four Block Public Access settings of the bucket: with them on, S3
// ignores public ACLs and refuses access granted by a public policy
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html),
// so the policy and ACLs are left exactly as they are (an owner may need them as evidence).
// A bucket without a configuration answers NoSuchPublicAccessBlockConfiguration.
func bucket(ctx context.Context, c *Clients, t *respond.Target, enforce bool, o *Outcome) error {
	return reconcile(enforce, o, reconciler[BlockPublicAccess]{
		read: func() (BlockPublicAccess, bool, error) {
			out, err := c.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(t.Bucket), ExpectedBucketOwner: aws.String(t.Account)})
			switch code := errorCode(err); {
			case code == "NoSuchPublicAccessBlockConfiguration":
				return BlockPublicAccess{}, true, nil
			case code == "NoSuchBucket":
				return BlockPublicAccess{}, false, nil
			case err != nil:
				return BlockPublicAccess{}, false, fmt.Errorf("read Block Public Access of bucket %s: %w", t.Bucket, err)
			}
			p := out.PublicAccessBlockConfiguration
			return BlockPublicAccess{aws.ToBool(p.BlockPublicAcls), aws.ToBool(p.IgnorePublicAcls), aws.ToBool(p.BlockPublicPolicy), aws.ToBool(p.RestrictPublicBuckets)}, true, nil
		},
		inspect: func(BlockPublicAccess) {
			if tags, err := c.S3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(t.Bucket), ExpectedBucketOwner: aws.String(t.Account)}); err == nil {
				for _, tag := range tags.TagSet {
					if aws.ToString(tag.Key) == "aws:cloudformation:stack-name" {
						o.Stack = aws.ToString(tag.Value)
					}
				}
			}
		},
		right: BlockPublicAccess.all,
		plan: func(BlockPublicAccess) []string {
			o.Note = "the bucket policy and ACLs were left as they are: with Block Public Access on, S3 ignores their public grants; review them"
			return []string{fmt.Sprintf("s3:PutPublicAccessBlock Bucket=%s ExpectedBucketOwner=%s BlockPublicAcls=true IgnorePublicAcls=true BlockPublicPolicy=true RestrictPublicBuckets=true", t.Bucket, t.Account)}
		},
		act: func(BlockPublicAccess) error {
			_, err := c.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
				Bucket:              aws.String(t.Bucket),
				ExpectedBucketOwner: aws.String(t.Account),
				PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
					BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
				},
			})
			if err != nil {
				return fmt.Errorf("put Block Public Access on bucket %s: %w", t.Bucket, err)
			}
			return nil
		},
	})
}

// accountS3 restores the account's Block Public Access (S3 Control; the account's setting
// applies to every bucket in it).
func accountS3(ctx context.Context, c *Clients, t *respond.Target, enforce bool, o *Outcome) error {
	return reconcile(enforce, o, reconciler[BlockPublicAccess]{
		read: func() (BlockPublicAccess, bool, error) {
			out, err := c.S3Control.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(t.Account)})
			if errorCode(err) == "NoSuchPublicAccessBlockConfiguration" {
				return BlockPublicAccess{}, true, nil
			}
			if err != nil {
				return BlockPublicAccess{}, false, fmt.Errorf("read the Block Public Access of account %s: %w", t.Account, err)
			}
			p := out.PublicAccessBlockConfiguration
			return BlockPublicAccess{aws.ToBool(p.BlockPublicAcls), aws.ToBool(p.IgnorePublicAcls), aws.ToBool(p.BlockPublicPolicy), aws.ToBool(p.RestrictPublicBuckets)}, true, nil
		},
		right: BlockPublicAccess.all,
		plan: func(BlockPublicAccess) []string {
			return []string{fmt.Sprintf("s3control:PutPublicAccessBlock AccountId=%s BlockPublicAcls=true IgnorePublicAcls=true BlockPublicPolicy=true RestrictPublicBuckets=true", t.Account)}
		},
		act: func(BlockPublicAccess) error {
			_, err := c.S3Control.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{
				AccountId: aws.String(t.Account),
				PublicAccessBlockConfiguration: &s3ctypes.PublicAccessBlockConfiguration{
					BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
				},
			})
			if err != nil {
				return fmt.Errorf("put the Block Public Access of account %s: %w", t.Account, err)
			}
			return nil
		},
	})
}

// securityGroup revokes, by rule id, the event's rules that still exist unchanged: a rule
// since changed (ModifySecurityGroupRules) or revoked is left alone. A rule the record gave
// no id for is found by exactly its properties (ingress, protocol, ports, address range; not
// a rule naming a group or prefix list): EC2 refuses a rule identical to one the group has
// (InvalidPermission.Duplicate), so the one rule that matches is the one the call added, or
// an identical one added since, which admits the same internet on the same port.
func securityGroup(ctx context.Context, c *Clients, t *respond.Target, enforce bool, o *Outcome) error {
	ids := func(rules []respond.IngressRule) []string {
		out := make([]string, len(rules))
		for i, r := range rules {
			out[i] = r.ID
		}
		return out
	}
	return reconcile(enforce, o, reconciler[[]respond.IngressRule]{
		// A group that no longer exists holds none of the rules: already right.
		read: func() ([]respond.IngressRule, bool, error) {
			out, err := c.EC2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{
				Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{t.GroupID}}},
			})
			if err != nil {
				if errorCode(err) == "InvalidGroup.NotFound" {
					return nil, true, nil
				}
				return nil, false, fmt.Errorf("read the rules of security group %s: %w", t.GroupID, err)
			}
			// Not nil: after a revoke, "none of them left" is the after state the audit shows.
			still := []respond.IngressRule{}
			for _, r := range out.SecurityGroupRules {
				for _, want := range t.Rules {
					cidr := aws.ToString(r.CidrIpv4)
					if cidr == "" {
						cidr = aws.ToString(r.CidrIpv6)
					}
					same := !aws.ToBool(r.IsEgress) && cidr == want.CIDR &&
						int(aws.ToInt32(r.FromPort)) == want.FromPort && int(aws.ToInt32(r.ToPort)) == want.ToPort
					id := aws.ToString(r.SecurityGroupRuleId)
					switch {
					case want.ID != "" && id == want.ID && same:
						still = append(still, want)
					case want.ID == "" && same && protocol(aws.ToString(r.IpProtocol)) == protocol(want.Protocol) &&
						r.ReferencedGroupInfo == nil && aws.ToString(r.PrefixListId) == "":
						found := want
						found.ID = id
						still = append(still, found)
					}
				}
			}
			return still, true, nil
		},
		inspect: func([]respond.IngressRule) {
			if out, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{t.GroupID}}); err == nil && len(out.SecurityGroups) > 0 {
				for _, tag := range out.SecurityGroups[0].Tags {
					if aws.ToString(tag.Key) == "aws:cloudformation:stack-name" {
						o.Stack = aws.ToString(tag.Value)
					}
				}
			}
		},
		right: func(still []respond.IngressRule) bool { return len(still) == 0 },
		plan: func(still []respond.IngressRule) []string {
			return []string{fmt.Sprintf("ec2:RevokeSecurityGroupIngress GroupId=%s SecurityGroupRuleIds=%s", t.GroupID, strings.Join(ids(still), ","))}
		},
		act: func(still []respond.IngressRule) error {
			revoke := ids(still)
			if _, err := c.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(t.GroupID), SecurityGroupRuleIds: revoke}); err != nil {
				// A rule revoked since the read: by rule id EC2 answers InvalidSecurityGroupRuleId.NotFound,
				// by properties InvalidPermission.NotFound
				// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html); the read
				// that follows tells what is left.
				if code := errorCode(err); code != "InvalidSecurityGroupRuleId.NotFound" && code != "InvalidPermission.NotFound" {
					return fmt.Errorf("revoke rules %v of security group %s: %w", revoke, t.GroupID, err)
				}
			}
			return nil
		},
	})
}

// protocol is an IP protocol as EC2 describes a rule's: a name for TCP, UDP, ICMP and ICMPv6,
// which a request may give as numbers
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRule.html).
func protocol(p string) string {
	switch p = strings.ToLower(p); p {
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "1":
		return "icmp"
	case "58":
		return "icmpv6"
	}
	return p
}

// TrailState is a trail's logging status.
type TrailState struct {
	IsLogging bool
}

// trail starts logging on the trail again.
func trail(ctx context.Context, c *Clients, t *respond.Target, enforce bool, o *Outcome) error {
	return reconcile(enforce, o, reconciler[*TrailState]{
		read: func() (*TrailState, bool, error) {
			out, err := c.CloudTrail.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(t.Trail)})
			if errorCode(err) == "TrailNotFoundException" {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, fmt.Errorf("read the status of trail %s: %w", t.Trail, err)
			}
			return &TrailState{IsLogging: aws.ToBool(out.IsLogging)}, true, nil
		},
		right: func(s *TrailState) bool { return s.IsLogging },
		plan:  func(*TrailState) []string { return []string{"cloudtrail:StartLogging Name=" + t.Trail} },
		act: func(*TrailState) error {
			if _, err := c.CloudTrail.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(t.Trail)}); err != nil {
				return fmt.Errorf("start logging on trail %s: %w", t.Trail, err)
			}
			return nil
		},
	})
}

// AccessKeyState is an access key's status.
type AccessKeyState struct {
	Status string
}

// accessKey deactivates the key (never deletes it: its owner, or the investigation, may need
// it, and UpdateAccessKey Active undoes the change).
func accessKey(ctx context.Context, c *Clients, t *respond.Target, enforce bool, o *Outcome) error {
	return reconcile(enforce, o, reconciler[*AccessKeyState]{
		read: func() (*AccessKeyState, bool, error) {
			out, err := c.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(t.UserName)})
			if errorCode(err) == "NoSuchEntity" {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, fmt.Errorf("read the access keys of user %s: %w", t.UserName, err)
			}
			for _, k := range out.AccessKeyMetadata {
				if aws.ToString(k.AccessKeyId) == t.AccessKeyID {
					return &AccessKeyState{Status: string(k.Status)}, true, nil
				}
			}
			return nil, false, nil
		},
		right: func(s *AccessKeyState) bool { return s.Status == string(iamtypes.StatusTypeInactive) },
		plan: func(*AccessKeyState) []string {
			return []string{fmt.Sprintf("iam:UpdateAccessKey UserName=%s AccessKeyId=%s Status=Inactive", t.UserName, t.AccessKeyID)}
		},
		act: func(*AccessKeyState) error {
			if _, err := c.IAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(t.UserName), AccessKeyId: aws.String(t.AccessKeyID), Status: iamtypes.StatusTypeInactive}); err != nil {
				return fmt.Errorf("deactivate access key %s of user %s: %w", t.AccessKeyID, t.UserName, err)
			}
			return nil
		},
	})
}
