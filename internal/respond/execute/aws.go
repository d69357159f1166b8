package execute

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailguard/trailguard/internal/respond"
)

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

// AssumeRoleClients returns a ClientFactory that assumes the trailguard-responder role of
// each account (arn:<partition>:iam::<account>:role/trailguard-responder) with cfg's
// credentials (the responder function's role), under the given session name, and makes the
// clients with the resulting credentials.
func AssumeRoleClients(cfg aws.Config, partition string) ClientFactory {
	stsClient := sts.NewFromConfig(cfg)
	return func(ctx context.Context, account, region, session string) (*Clients, error) {
		role := "arn:" + partition + ":iam::" + account + ":role/" + respond.RoleName
		c := cfg.Copy()
		if region != "" {
			c.Region = region
		}
		c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, role, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = session
		}))
		s3c := s3.NewFromConfig(c)
		ct := cloudtrail.NewFromConfig(c)
		return &Clients{
			S3:               s3c,
			S3Control:        s3control.NewFromConfig(c),
			EC2:              ec2.NewFromConfig(c),
			CloudTrail:       ct,
			IAM:              iam.NewFromConfig(c),
			TrailConfig:      ct,
			BucketEncryption: s3c,
			Events:           eventbridge.NewFromConfig(c),
			CloudWatch:       cloudwatch.NewFromConfig(c),
		}, nil
	}
}
