package eventsink

// ResourcePrefix starts the names of the resources trailguard creates in every account (rules,
// roles, buckets, streams). The alert pattern uses it to recognise tampering with the logging
// itself; keep it in every name you give a trailguard resource.
const ResourcePrefix = "trailguard-"

// Detail types of the CloudTrail events EventBridge delivers.
const (
	// DetailTypeAPICall is the detail-type of CloudTrail management events.
	DetailTypeAPICall = "AWS API Call via CloudTrail"
	// DetailTypeConsoleSignIn is the detail-type of AWS console sign-in events.
	DetailTypeConsoleSignIn = "AWS Console Sign In via CloudTrail"
)

// DetailTypeAlarmStateChange is the detail-type of CloudWatch alarm state changes.
const DetailTypeAlarmStateChange = "CloudWatch Alarm State Change"

// ForwarderAlarmPrefix starts the name of every alarm the forwarders create. The forwarders
// send these alarms' state changes to the Security account, where the delivery alert rule
// matches them by this prefix (alarm names are per account and region, and each account and
// region has one forwarder, so fixed names are unique).
const ForwarderAlarmPrefix = ResourcePrefix + "forwarder-"

// AlertPattern is one EventBridge event pattern of the alerts, with the short name that tells
// its rules apart.
type AlertPattern struct {
	// Name is a short lowercase name, part of the names of the rules that use the pattern.
	Name string
	// Pattern is the event pattern. Each call of AlertPatterns returns fresh values that the
	// caller may modify.
	Pattern map[string]any
	// CloudTrail is true for patterns over CloudTrail events (the forwarders' home-region
	// high-risk rules send these to the receiving bus); false for the delivery alarms, which
	// every region forwards.
	CloudTrail bool
}

// AlertPatterns returns the event patterns of the events that raise an alert:
//
//   - "tampering": the trails stopped, deleted or re-scoped; trailguard's forwarding rules,
//     targets, roles and stream changed; event bus permissions changed; KMS keys disabled or
//     scheduled for deletion;
//   - "exposure": the trail buckets' policies and protection changed; buckets or accounts
//     opened to the public; an account leaving the organization or the guardrails removed; any
//     activity of a root user; console sign-ins of IAM users without MFA;
//   - "delivery": a forwarder's alarm going off (events not delivered).
//
// The alerts are several patterns because EventBridge's "Event pattern size" quota is 2,048
// characters (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html), and
// the forwarders add their account and region to each. The limits gate at synth measures
// every rendered pattern against it.
//
// The member accounts' forwarders send the events matching the CloudTrail patterns to the
// Security account's receiving bus, where the alert rules match them again, so both use
// these patterns.
func AlertPatterns() []AlertPattern {
	prefix := []any{map[string]any{"prefix": ResourcePrefix}}
	call := func(source string, names []string, detail map[string]any) map[string]any {
		d := map[string]any{"eventName": toAny(names)}
		for k, v := range detail {
			d[k] = v
		}
		return map[string]any{"source": []any{source}, "detail": d}
	}
	cloudTrail := func(or ...any) map[string]any {
		return map[string]any{"detail-type": []any{DetailTypeAPICall, DetailTypeConsoleSignIn}, "$or": or}
	}
	tampering := cloudTrail(
		// The trails themselves (the organization trail, the local trails, any other).
		call("aws.cloudtrail", []string{"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"}, nil),
		// The forwarding rules: disabled, deleted, re-targeted or re-patterned.
		call("aws.events", []string{"DisableRule", "DeleteRule", "PutRule"}, map[string]any{
			"requestParameters": map[string]any{"name": prefix},
		}),
		call("aws.events", []string{"RemoveTargets", "PutTargets"}, map[string]any{
			"requestParameters": map[string]any{"rule": prefix},
		}),
		// Event bus permissions: the receiving bus's policy, or a bus removed.
		call("aws.events", []string{"PutPermission", "RemovePermission", "DeleteEventBus", "UpdateEventBus"}, nil),
		// The forwarders' roles: deleted or their permissions or trust changed.
		call("aws.iam", []string{"DeleteRole", "PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy", "UpdateAssumeRolePolicy", "PutRolePermissionsBoundary"}, map[string]any{
			"requestParameters": map[string]any{"roleName": prefix},
		}),
		// The Security stream.
		call("aws.kinesis", []string{"DeleteStream", "StopStreamEncryption", "DecreaseStreamRetentionPeriod", "PutResourcePolicy", "DeleteResourcePolicy",
			"UpdateShardCount", "UpdateStreamMode", "MergeShards", "UpdateMaxRecordSize"}, nil),
		// Any KMS key disabled or scheduled for deletion: the logging keys' ids differ per
		// account, and losing any key is worth a look.
		call("aws.kms", []string{"DisableKey", "ScheduleKeyDeletion"}, nil),
	)
	exposure := cloudTrail(
		// The trail buckets: policy, lifecycle, versioning or the bucket itself.
		call("aws.s3", []string{"DeleteBucket", "DeleteBucketPolicy", "PutBucketPolicy", "PutBucketLifecycle", "PutBucketVersioning", "DeleteBucketLifecycle", "PutBucketLogging", "PutBucketEncryption", "DeleteBucketEncryption"}, map[string]any{
			"requestParameters": map[string]any{"bucketName": prefix},
		}),
		// Any bucket or account opened to the public.
		call("aws.s3", []string{"DeleteBucketPublicAccessBlock", "DeleteAccountPublicAccessBlock"}, nil),
		call("aws.s3", []string{"PutBucketPolicy"}, map[string]any{
			"requestParameters": map[string]any{"bucketPolicy": map[string]any{"Statement": map[string]any{
				"$or": []any{
					map[string]any{"Principal": []any{"*"}},
					map[string]any{"Principal": map[string]any{"AWS": []any{"*"}}},
				},
			}}},
		}),
		call("aws.s3", []string{"PutBucketAcl"}, map[string]any{
			"requestParameters": map[string]any{"x-amz-acl": []any{"public-read", "public-read-write", "authenticated-read"}},
		}),
		// An account leaving the organization, or the guardrails being removed.
		call("aws.organizations", []string{"LeaveOrganization", "RemoveAccountFromOrganization", "DetachPolicy", "DeletePolicy", "DisablePolicyType", "DisableAWSServiceAccess"}, nil),
		// Root user activity, including root console sign-in.
		map[string]any{"detail": map[string]any{"userIdentity": map[string]any{"type": []any{"Root"}}}},
		// IAM users signing in to the console without MFA (federated sign-ins do MFA at
		// the identity provider and always report "No").
		map[string]any{
			"detail-type": []any{DetailTypeConsoleSignIn},
			"detail": map[string]any{
				"eventName":           []any{"ConsoleLogin"},
				"userIdentity":        map[string]any{"type": []any{"IAMUser"}},
				"additionalEventData": map[string]any{"MFAUsed": []any{"No"}},
				"responseElements":    map[string]any{"ConsoleLogin": []any{"Success"}},
			},
		},
	)
	delivery := map[string]any{
		"source":      []any{"aws.cloudwatch"},
		"detail-type": []any{DetailTypeAlarmStateChange},
		"detail": map[string]any{
			"alarmName": []any{map[string]any{"prefix": ForwarderAlarmPrefix}},
			"state":     map[string]any{"value": []any{"ALARM"}},
		},
	}
	return []AlertPattern{
		{Name: "tampering", Pattern: tampering, CloudTrail: true},
		{Name: "exposure", Pattern: exposure, CloudTrail: true},
		{Name: "delivery", Pattern: delivery},
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
