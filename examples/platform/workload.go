package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/historyreader"
)

// newAccountStack is one account's stack in one region: the event forwarder to the Security
// account's stream and bus; in the home region only, the Event History reader role (IAM is
// global: the forwarder's HomeRegionCondition decides, so the template is the same in every
// region) and, with localTrail, the account's own trail (addLocalTrail).
func newAccountStack(scope constructs.Construct, name, account, region string, localTrail bool) awscdk.Stack {
	stack := newStack(scope, name+"-"+region, account, region,
		"Platform: real-time forwarding of the account's API calls to the Security account")

	fwd := eventforwarder.NewEventForwarder(stack, jsii.String("EventForwarder"), &eventforwarder.EventForwarderProps{
		// The Security account's stream and bus, by ARN: they are in another account.
		StreamArn:       jsii.String(streamArn()),
		StreamKeyAlias:  jsii.String(streamKeyAlias),
		ReceivingBusArn: jsii.String(busArn()),
		AlarmEmails:     jsii.Strings("platform-oncall@platform.example.com"),
	})

	reader := historyreader.NewHistoryReader(stack, jsii.String("EventHistoryReader"), &historyreader.HistoryReaderProps{
		InvestigatorArns: jsii.Strings(investigatorRole),
	})
	eventforwarder.SetCondition(reader, fwd.HomeRegionCondition())

	if localTrail && region == homeRegion {
		addLocalTrail(stack, account)
	}
	return stack
}

// Every workload account has a logging bucket and key from the platform's account baseline,
// in the home region (the names are the baseline's). The baseline gives the key the
// statements accounttrail.KeyPolicyStatements returns (an imported key's policy cannot be
// changed here) and leaves the bucket's policy to this stack.
const (
	localTrailBucketPrefix = "trailguard-platform-local-"
	localTrailKeyAlias     = "alias/trailguard/platform-local-trail"
)

// addLocalTrail adds the account's own multi-region trail, delivering to the account's
// existing logging bucket and key. They are in the home region, so only the home-region
// stack has the trail (one multi-region trail is enough).
func addLocalTrail(stack awscdk.Stack, account string) {
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("LocalTrailBucket"),
		jsii.String(localTrailBucketPrefix+account))
	key := awskms.Key_FromKeyArn(stack, jsii.String("LocalTrailKey"),
		jsii.String("arn:aws:kms:"+homeRegion+":"+account+":"+localTrailKeyAlias))
	// The construct writes the bucket's policy (CloudTrail's statements and TLS only); it
	// replaces any policy the bucket had, so the baseline leaves it none.
	accounttrail.NewAccountTrail(stack, jsii.String("AccountTrail"), &accounttrail.AccountTrailProps{
		ExistingBucket: bucket,
		ExistingKey:    key,
	})
}
