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

// HighRiskEventPattern returns the EventBridge event pattern of the high-risk events that
// raise an alert: tampering with CloudTrail, with trailguard's forwarding rules, roles,
// buckets and stream, or with the event bus; any activity of a root user; console sign-ins of
// IAM users without MFA; S3 buckets or accounts opened to the public; KMS keys disabled or
// scheduled for deletion; an account leaving the organization or its guardrails being
// removed.
//
// The member accounts' forwarders send the events matching it to the Security account's
// receiving bus, where the alert rule matches it again, so both must use the same pattern.
// Each call returns a fresh value that the caller may modify.
func HighRiskEventPattern() map[string]any {
	prefix := []any{map[string]any{"prefix": ResourcePrefix}}
	call := func(source string, names []string, detail map[string]any) map[string]any {
		d := map[string]any{"eventName": toAny(names)}
		for k, v := range detail {
			d[k] = v
		}
		return map[string]any{"source": []any{source}, "detail": d}
	}
	return map[string]any{
		"detail-type": []any{DetailTypeAPICall, DetailTypeConsoleSignIn},
		"$or": []any{
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
			// The Security stream.
			call("aws.kinesis", []string{"DeleteStream", "StopStreamEncryption", "DecreaseStreamRetentionPeriod", "PutResourcePolicy", "DeleteResourcePolicy",
				"UpdateShardCount", "UpdateStreamMode", "MergeShards", "UpdateMaxRecordSize"}, nil),
			// Any KMS key disabled or scheduled for deletion: the logging keys' ids differ per
			// account, and losing any key is worth a look.
			call("aws.kms", []string{"DisableKey", "ScheduleKeyDeletion"}, nil),
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
		},
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
