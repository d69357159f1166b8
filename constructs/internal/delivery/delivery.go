// Package delivery holds the alarm every trailguard EventBridge rule gets: it goes off when the
// rule fails to deliver an event to its target, whether or not the dead-letter queue caught it.
package delivery

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/internal/topics"
)

// AlarmProps configure NewFailureAlarm.
type AlarmProps struct {
	// RuleName is the rule's name. Required.
	RuleName *string
	// BusName is the custom event bus the rule is on.
	// Default: the default event bus.
	BusName *string
	// AlarmName names the alarm; give one when something matches alarms by name.
	// Default: a name CloudFormation generates.
	AlarmName *string
	// Topic is notified when the alarm goes off and when it clears.
	// Default: no notification (the alarm state change event is still emitted).
	Topic awssns.ITopic
	// What says what the rule delivers, for the alarm description.
	What string
}

// NewFailureAlarm creates an alarm on the rule's FailedInvocations plus
// InvocationsFailedToBeSentToDlq: events that the target rejected for good (caught by the
// dead-letter queue) or that could not even reach the dead-letter queue (lost). Both metrics
// are in AWS/Events with the dimension RuleName, and EventBusName as well for a rule on a
// custom bus; EventBridge sends them only when they are not zero
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html), so missing
// data is not breaching.
func NewFailureAlarm(scope constructs.Construct, id string, props *AlarmProps) awscloudwatch.Alarm {
	return NewAlarmOnAny(scope, id, props.AlarmName,
		"trailguard: rule "+*props.RuleName+" failed to deliver events to "+props.What+
			" (FailedInvocations + InvocationsFailedToBeSentToDlq). Undelivered events wait in its dead-letter queue unless the queue could not take them either.",
		FailuresMetric(props.RuleName, props.BusName), props.Topic)
}

// FailuresMetric is the rule's failed deliveries in 5 minutes: FailedInvocations plus
// InvocationsFailedToBeSentToDlq, missing data as 0. busName is nil for the default bus.
func FailuresMetric(ruleName, busName *string) awscloudwatch.IMetric {
	dims := map[string]*string{"RuleName": ruleName}
	if busName != nil {
		dims["EventBusName"] = busName
	}
	metric := func(name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String("AWS/Events"),
			MetricName:    jsii.String(name),
			DimensionsMap: &dims,
			Statistic:     jsii.String("Sum"),
			Period:        awscdk.Duration_Minutes(jsii.Number(5)),
		})
	}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(failed, 0) + FILL(lost, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"failed": metric("FailedInvocations"),
			"lost":   metric("InvocationsFailedToBeSentToDlq"),
		},
		Label:  jsii.String("failed deliveries"),
		Period: awscdk.Duration_Minutes(jsii.Number(5)),
	})
}

// NewAlarmOnAny creates an alarm that goes off when metric reaches 1 in one period (missing
// data is not breaching) and notifies topic, if not nil, when it goes off and when it clears.
// name may be nil for a name CloudFormation generates.
func NewAlarmOnAny(scope constructs.Construct, id string, name *string, description string, metric awscloudwatch.IMetric, topic awssns.ITopic) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          name,
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	if topic != nil {
		action := topics.AlarmAction(topic)
		alarm.AddAlarmAction(action)
		alarm.AddOkAction(action)
	}
	return alarm
}
