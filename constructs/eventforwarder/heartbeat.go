package eventforwarder

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/internal/coveragespec"
)

// Names of the heartbeat's resources. A schedule's name is unique per account, region and
// schedule group; IAM names are global per account, so the role's includes the region.
const (
	// HeartbeatScheduleName names the schedule in the default schedule group.
	HeartbeatScheduleName = eventsink.ResourcePrefix + "heartbeat"
	// HeartbeatRoleNamePrefix starts the name of the schedule's role and its policy; the
	// region follows.
	HeartbeatRoleNamePrefix = eventsink.ResourcePrefix + "heartbeat-"
)

// addHeartbeat adds the schedule that puts a heartbeat (coverage.Source, coverage.DetailType)
// on this account's default bus every coverage.HeartbeatInterval. The forwarding rules match
// it like a CloudTrail event, so it reaches the Security stream by the same path (directly in
// the home region, through the receiving bus elsewhere) and stops when that path breaks: the
// coverage monitor alerts on the silence.
//
// EventBridge Scheduler's templated PutEvents target: the schedule's target is the bus ARN,
// EventBridgeParameters set detail-type and source, Input is the detail
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html);
// the execution role needs events:PutEvents on the bus and trusts scheduler.amazonaws.com,
// scoped to the account and the schedule group
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
func (f *eventForwarder) addHeartbeat() {
	defaultBus := f.join(jsii.String("arn:"), f.partition, jsii.String(":events:"), f.region, jsii.String(":"), f.account, jsii.String(":event-bus/default"))
	group := f.join(jsii.String("arn:"), f.partition, jsii.String(":scheduler:"), f.region, jsii.String(":"), f.account, jsii.String(":schedule-group/default"))
	role := awsiam.NewRole(f, jsii.String("HeartbeatRole"), &awsiam.RoleProps{
		RoleName:    f.join(jsii.String(HeartbeatRoleNamePrefix), f.region),
		Description: jsii.String("trailguard: lets the heartbeat schedule put the heartbeat on this account's default bus"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": f.account, "aws:SourceArn": group},
		}),
	})
	policy := awsiam.NewManagedPolicy(f, jsii.String("HeartbeatRolePolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: f.join(jsii.String(HeartbeatRoleNamePrefix), f.region),
		Description:       jsii.String("trailguard: put the heartbeat on this account's default bus"),
		Roles:             &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("PutHeartbeat"),
			Actions:   jsii.Strings("events:PutEvents"),
			Resources: &[]*string{defaultBus},
		})},
	})
	// Scheduler replaces the context attribute <aws.scheduler.scheduled-time> in Input at each
	// invocation; written out literally (json.Marshal would escape its angle brackets).
	detail := fmt.Sprintf(`{"intervalMinutes":%d,"scheduledTime":"<aws.scheduler.scheduled-time>"}`, int(coveragespec.HeartbeatInterval.Minutes()))
	schedule := awsscheduler.NewCfnSchedule(f, jsii.String("Heartbeat"), &awsscheduler.CfnScheduleProps{
		Name:               jsii.String(HeartbeatScheduleName),
		Description:        jsii.String("trailguard: a heartbeat through this forwarder to the Security stream; the coverage monitor alerts when it stops"),
		ScheduleExpression: jsii.String(fmt.Sprintf("rate(%d minutes)", int(coveragespec.HeartbeatInterval.Minutes()))),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:              jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     defaultBus,
			RoleArn: role.RoleArn(),
			Input:   jsii.String(detail),
			EventBridgeParameters: &awsscheduler.CfnSchedule_EventBridgeParametersProperty{
				DetailType: jsii.String(coveragespec.DetailType),
				Source:     jsii.String(coveragespec.Source),
			},
			// A late heartbeat is worth nothing: the next one is due in an interval.
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumEventAgeInSeconds: jsii.Number(coveragespec.HeartbeatInterval.Seconds()),
				MaximumRetryAttempts:     jsii.Number(3),
			},
		},
	})
	// The role's policy must exist before Scheduler first uses it.
	schedule.Node().AddDependency(policy)
}
