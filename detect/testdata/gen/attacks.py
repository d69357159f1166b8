"""Attacker variants for detect/testdata/attacks (regenerate from the repository root):

    cd detect/testdata/gen && python3 attacks.py ../attacks

writes one CloudTrail log file per variant and manifest.yaml. Records are deterministic
(event IDs are UUIDv5 of their content, times from a fixed clock per variant)."""
import json, os, urllib.parse, sys
from ct import *

A = iam_user("legacy-ci")                     # stolen long-term keys
R = role_session("ops-automation", "botocore-session-1733480000")  # stolen role session

def pol(*stmts):
    return {"Version": "2012-10-17", "Statement": list(stmts)}

def text(d):
    return json.dumps(d, indent=4)

B = []  # behaviours: (id, title, [(variant, rules, records)])

def behaviour(bid, title):
    vs = []
    B.append((bid, title, vs))
    def add(name, rules):
        def deco(f):
            c = Clock()
            vs.append((name, rules, f(c)))
            return f
        return deco
    return add

# 1 ------------------------------------------------------------------ logging silenced
add = behaviour("logging-silenced", "CloudTrail, Config or their storage silenced")
KEY = f"arn:aws:kms:eu-west-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TRAIL = f"arn:aws:cloudtrail:eu-west-1:{ACCT}:trail/management-events"
LOGR = ["cloudtrail-logging-stopped", "cloudtrail-trail-changed", "s3-lifecycle-short-expiration", "config-recording-stopped"]
@add("stop-logging", ["cloudtrail-logging-stopped"])
def _(c): return [rec(c, "cloudtrail.amazonaws.com", "StopLogging", A, {"name": TRAIL})]
@add("delete-trail", ["cloudtrail-logging-stopped"])
def _(c): return [rec(c, "cloudtrail.amazonaws.com", "DeleteTrail", R, {"name": "management-events"})]
@add("trail-made-single-region", ["cloudtrail-trail-changed"])
def _(c): return [rec(c, "cloudtrail.amazonaws.com", "UpdateTrail", A, {"name": "management-events", "isMultiRegionTrail": False, "includeGlobalServiceEvents": False},
                      {"name": "management-events", "s3BucketName": "org-cloudtrail-logs", "includeGlobalServiceEvents": False, "isMultiRegionTrail": False, "trailARN": TRAIL, "logFileValidationEnabled": True, "isOrganizationTrail": False})]
@add("event-selectors-write-only-no-management", ["cloudtrail-trail-changed"])
def _(c): return [rec(c, "cloudtrail.amazonaws.com", "PutEventSelectors", A, {"trailName": "management-events", "eventSelectors": [{"readWriteType": "ReadOnly", "includeManagementEvents": False, "dataResources": [], "excludeManagementEventSources": []}]},
                      {"trailARN": TRAIL, "eventSelectors": [{"readWriteType": "ReadOnly", "includeManagementEvents": False, "dataResources": [], "excludeManagementEventSources": []}]})]
@add("advanced-selectors-exclude-iam", ["cloudtrail-trail-changed"])
def _(c): return [rec(c, "cloudtrail.amazonaws.com", "PutEventSelectors", R, {"trailName": "management-events", "advancedEventSelectors": [{"name": "Management events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}, {"field": "eventSource", "notEquals": ["iam.amazonaws.com", "sts.amazonaws.com"]}]}]}, None)]
@add("insight-selectors-cleared", ["cloudtrail-trail-changed"])
def _(c): return [rec(c, "cloudtrail.amazonaws.com", "PutInsightSelectors", A, {"trailName": "management-events", "insightSelectors": []}, {"trailARN": TRAIL, "insightSelectors": []})]
@add("log-bucket-lifecycle-one-day", ["s3-lifecycle-short-expiration"])
def _(c): return [rec(c, "s3.amazonaws.com", "PutBucketLifecycle", A, {"bucketName": "org-cloudtrail-logs", "Host": "org-cloudtrail-logs.s3.eu-west-1.amazonaws.com", "lifecycle": "",
                      "LifecycleConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "Rule": {"ID": "cleanup", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}}})]
@add("log-bucket-lifecycle-by-date", ["s3-lifecycle-short-expiration"])
def _(c): return [rec(c, "s3.amazonaws.com", "PutBucketLifecycle", R, {"bucketName": "org-cloudtrail-logs", "Host": "org-cloudtrail-logs.s3.eu-west-1.amazonaws.com", "lifecycle": "",
                      "LifecycleConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "Rule": [{"ID": "archive-policy", "Status": "Enabled", "Filter": {"Prefix": "AWSLogs/"}, "Expiration": {"Date": "2026-11-03T00:00:00Z"}}]}})]
@add("log-bucket-noncurrent-versions-expired", ["s3-lifecycle-short-expiration"])
def _(c): return [rec(c, "s3.amazonaws.com", "PutBucketLifecycle", A, {"bucketName": "org-cloudtrail-logs", "Host": "org-cloudtrail-logs.s3.eu-west-1.amazonaws.com", "lifecycle": "",
                      "LifecycleConfiguration": {"Rule": [{"ID": "tidy", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 30},
                                                           "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]}})]
@add("config-recorder-stopped", ["config-recording-stopped"])
def _(c): return [rec(c, "config.amazonaws.com", "StopConfigurationRecorder", R, {"configurationRecorderName": "default"})]
@add("config-recorder-excludes-iam", ["config-recording-stopped"])
def _(c): return [rec(c, "config.amazonaws.com", "PutConfigurationRecorder", A, {"configurationRecorder": {"name": "default", "roleARN": f"arn:aws:iam::{ACCT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
                      "recordingGroup": {"allSupported": False, "includeGlobalResourceTypes": False, "resourceTypes": [], "exclusionByResourceTypes": {"resourceTypes": ["AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::User"]}, "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}}}})]
@add("event-data-store-ingestion-stopped", ["cloudtrail-logging-stopped"])
def _(c): return [rec(c, "cloudtrail.amazonaws.com", "StopEventDataStoreIngestion", A, {"eventDataStore": f"arn:aws:cloudtrail:eu-west-1:{ACCT}:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"})]

@add("log-bucket-refuses-cloudtrail", ["log-delivery-blocked"])
def _(c): return [rec(c, "s3.amazonaws.com", "PutBucketPolicy", A, {"bucketName": "org-cloudtrail-logs", "Host": "org-cloudtrail-logs.s3.eu-west-1.amazonaws.com", "policy": [""],
                      "bucketPolicy": pol({"Sid": "Maintenance", "Effect": "Deny", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::org-cloudtrail-logs/*"})})]
@add("trail-key-refuses-cloudtrail", ["log-delivery-blocked"])
def _(c): return [rec(c, "kms.amazonaws.com", "PutKeyPolicy", R, {"keyId": KEY, "policyName": "default", "bypassPolicyLockoutSafetyCheck": False,
                      "policy": text(pol({"Sid": "Enable IAM", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "kms:*", "Resource": "*"},
                                         {"Sid": "NoTrail", "Effect": "Deny", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*"}))})]

# 2 ------------------------------------------------------------------ public bucket
add = behaviour("s3-bucket-public", "S3 bucket or objects opened to everyone")
def bp(c, who, policy, seed=""):
    return [rec(c, "s3.amazonaws.com", "PutBucketPolicy", who, {"bucketName": "customer-exports", "Host": "customer-exports.s3.eu-west-1.amazonaws.com", "policy": [""], "bucketPolicy": policy}, seed=seed)]
PUB = ["s3-bucket-made-public"]
@add("policy-principal-star", PUB)
def _(c): return bp(c, A, pol({"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::customer-exports/*"}))
@add("policy-with-secure-transport-condition", PUB)
def _(c): return bp(c, A, pol({"Sid": "PublicTLS", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::customer-exports", "arn:aws:s3:::customer-exports/*"], "Condition": {"Bool": {"aws:SecureTransport": "true"}}}))
@add("policy-with-prefix-and-date-conditions", PUB)
def _(c): return bp(c, R, pol({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::customer-exports/*", "Condition": {"StringLike": {"s3:prefix": ["exports/*"]}, "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}}))
@add("policy-not-principal", PUB)
def _(c): return bp(c, A, pol({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCT}:role/auditor"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::customer-exports/*"}))
@add("policy-source-ip-halves", PUB)
def _(c): return bp(c, A, pol({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::customer-exports/*", "Condition": {"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}}))
@add("acl-canned-public-read", PUB)
def _(c): return [rec(c, "s3.amazonaws.com", "PutBucketAcl", A, {"bucketName": "customer-exports", "Host": "customer-exports.s3.eu-west-1.amazonaws.com", "acl": "", "x-amz-acl": ["public-read"]})]
@add("acl-grant-all-users", PUB)
def _(c): return [rec(c, "s3.amazonaws.com", "PutBucketAcl", R, {"bucketName": "customer-exports", "Host": "customer-exports.s3.eu-west-1.amazonaws.com", "acl": "",
                      "AccessControlPolicy": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "Owner": {"ID": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
                                              "AccessControlList": {"Grant": [{"Grantee": {"xsi:type": "CanonicalUser", "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "ID": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, "Permission": "FULL_CONTROL"},
                                                                              {"Grantee": {"xsi:type": "Group", "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}]}}})]
@add("acl-grant-header-authenticated-users", PUB)
def _(c): return [rec(c, "s3.amazonaws.com", "PutBucketAcl", A, {"bucketName": "customer-exports", "Host": "customer-exports.s3.eu-west-1.amazonaws.com", "acl": "", "x-amz-grant-read": ["uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\""]})]
@add("block-public-access-deleted", PUB)
def _(c): return [rec(c, "s3.amazonaws.com", "DeleteBucketPublicAccessBlock", A, {"bucketName": "customer-exports", "Host": "customer-exports.s3.eu-west-1.amazonaws.com", "publicAccessBlock": ""})]
@add("account-block-public-access-weakened", PUB)
def _(c): return [rec(c, "s3.amazonaws.com", "PutAccountPublicAccessBlock", R, {"PublicAccessBlockConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}, "Host": f"{ACCT}.s3-control.eu-west-1.amazonaws.com"})]

# 3 ------------------------------------------------------------------ admin
add = behaviour("iam-admin-granted", "Administrator access granted")
ADM = ["iam-admin-policy-attached"]
@add("administratoraccess-attached-to-user", ADM)
def _(c): return [rec(c, "iam.amazonaws.com", "AttachUserPolicy", A, {"userName": "backup-svc", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, region="us-east-1")]
@add("iamfullaccess-attached-to-role", ADM)
def _(c): return [rec(c, "iam.amazonaws.com", "AttachRolePolicy", R, {"roleName": "lambda-report", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}, region="us-east-1")]
@add("inline-star-on-star", ADM)
def _(c): return [rec(c, "iam.amazonaws.com", "PutRolePolicy", A, {"roleName": "lambda-report", "policyName": "ops", "policyDocument": text(pol({"Effect": "Allow", "Action": "*:*", "Resource": "*"}))}, region="us-east-1")]
@add("inline-not-action", ADM)
def _(c): return [rec(c, "iam.amazonaws.com", "PutUserPolicy", A, {"userName": "backup-svc", "policyName": "backup", "policyDocument": text(pol({"Effect": "Allow", "NotAction": ["s3:DeleteBucket"], "Resource": "*"}))}, region="us-east-1")]
@add("inline-iam-put-wildcard", ADM)
def _(c): return [rec(c, "iam.amazonaws.com", "PutGroupPolicy", R, {"groupName": "developers", "policyName": "self-service", "policyDocument": text(pol({"Effect": "Allow", "Action": ["iam:Put*", "iam:Get*"], "Resource": "*"}))}, region="us-east-1")]
@add("customer-policy-created-then-attached", ADM)
def _(c):
    arn = f"arn:aws:iam::{ACCT}:policy/ops-maintenance"
    return [rec(c, "iam.amazonaws.com", "CreatePolicy", A, {"policyName": "ops-maintenance", "policyDocument": text(pol({"Sid": "Maint", "Effect": "Allow", "Action": "*", "Resource": "*"})), "description": "maintenance"},
                {"policy": {"policyName": "ops-maintenance", "policyId": "ANPAEXAMPLEOPSMAINT01", "arn": arn, "path": "/", "defaultVersionId": "v1", "attachmentCount": 0, "permissionsBoundaryUsageCount": 0, "isAttachable": True, "createDate": "Nov 2, 2026, 10:00:17 AM", "updateDate": "Nov 2, 2026, 10:00:17 AM"}}, region="us-east-1"),
            rec(c, "iam.amazonaws.com", "AttachUserPolicy", A, {"userName": "legacy-ci", "policyArn": arn}, region="us-east-1")]
@add("customer-policy-attached-to-group-and-role", ADM)
def _(c):
    arn = f"arn:aws:iam::{ACCT}:policy/break-glass"
    return [rec(c, "iam.amazonaws.com", "CreatePolicy", R, {"policyName": "break-glass", "policyDocument": urllib.parse.quote(json.dumps(pol({"Effect": "Allow", "Action": ["iam:*", "sts:*"], "Resource": "*"}))), "path": "/"}, {"policy": {"policyName": "break-glass", "arn": arn}}, region="us-east-1"),
            rec(c, "iam.amazonaws.com", "AttachGroupPolicy", R, {"groupName": "developers", "policyArn": arn}, region="us-east-1"),
            rec(c, "iam.amazonaws.com", "AttachRolePolicy", R, {"roleName": "ops-automation", "policyArn": arn}, region="us-east-1")]
@add("new-default-policy-version", ADM)
def _(c): return [rec(c, "iam.amazonaws.com", "CreatePolicyVersion", A, {"policyArn": f"arn:aws:iam::{ACCT}:policy/ci-deploy", "policyDocument": text(pol({"Effect": "Allow", "Action": "*", "Resource": "*"})), "setAsDefault": True},
                      {"policyVersion": {"versionId": "v4", "isDefaultVersion": True, "createDate": "Nov 2, 2026, 10:00:17 AM"}}, region="us-east-1")]
@add("added-to-administrators-group", ADM)
def _(c): return [rec(c, "iam.amazonaws.com", "AddUserToGroup", A, {"groupName": "Administrators", "userName": "legacy-ci"}, region="us-east-1")]
@add("identity-center-permission-set-admin", ADM)
def _(c): return [rec(c, "sso.amazonaws.com", "AttachManagedPolicyToPermissionSet", R, {"instanceArn": "arn:aws:sso:::instance/ssoins-1111111111111111", "permissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222", "managedPolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})]

# 4 ------------------------------------------------------------------ security group
add = behaviour("security-group-open-to-internet", "Security group opened to the internet on admin or all ports")
SG = ["ec2-security-group-open-to-world"]
def perm(proto, frm, to, v4=(), v6=()):
    p = {"ipProtocol": proto, "groups": {}, "ipRanges": {"items": [{"cidrIp": x} for x in v4]} if v4 else {},
         "ipv6Ranges": {"items": [{"cidrIpv6": x} for x in v6]} if v6 else {}, "prefixListIds": {}}
    if frm is not None:
        p["fromPort"], p["toPort"] = frm, to
    return p
def sgi(c, who, *perms):
    return [rec(c, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", who, {"groupId": "sg-0b1c2d3e4f5a6b7c8", "ipPermissions": {"items": list(perms)}},
                {"requestId": "f2c8a4e0-1b2c-4d5e-8f90-0a1b2c3d4e5f", "_return": True, "securityGroupRuleSet": {"items": []}})]
@add("ssh-from-anywhere", SG)
def _(c): return sgi(c, A, perm("tcp", 22, 22, ["0.0.0.0/0"]))
@add("ssh-from-two-halves", SG)
def _(c): return sgi(c, A, perm("tcp", 22, 22, ["0.0.0.0/1", "128.0.0.0/1"]))
@add("rdp-from-ipv6-halves", SG)
def _(c): return sgi(c, R, perm("tcp", 3389, 3389, v6=["::/1", "8000::/1"]))
@add("ssh-from-four-large-prefixes", SG)
def _(c): return sgi(c, A, perm("tcp", 22, 22, ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"]))
@add("all-traffic-protocol-minus-one", SG)
def _(c): return sgi(c, R, perm("-1", None, None, ["0.0.0.0/0"]))
@add("port-range-spanning-ssh", SG)
def _(c): return sgi(c, A, perm("tcp", 20, 30, ["0.0.0.0/0"]))
@add("database-port-from-half-the-internet", SG)
def _(c): return sgi(c, A, perm("tcp", 5432, 5432, ["128.0.0.0/1"]))
@add("legacy-cidr-ip-form", SG)
def _(c): return [rec(c, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", A, {"groupId": "sg-0b1c2d3e4f5a6b7c8", "ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrIp": "0.0.0.0/0"})]
@add("modify-security-group-rules-halves", SG)
def _(c): return [rec(c, "ec2.amazonaws.com", "ModifySecurityGroupRules", A, {"ModifySecurityGroupRulesRequest": {"GroupId": "sg-0b1c2d3e4f5a6b7c8", "SecurityGroupRule": [
        {"SecurityGroupRuleId": "sgr-0a1b2c3d4e5f60001", "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv4": "0.0.0.0/1", "Description": ""}, "tag": 1},
        {"SecurityGroupRuleId": "sgr-0a1b2c3d4e5f60002", "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv4": "128.0.0.0/1", "Description": ""}, "tag": 2}]}},
        {"ModifySecurityGroupRulesResponse": {"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "requestId": "3be8e7c6-2f3a-4a7e-9d3c-0a1b2c3d4e5f", "return": True}})]
@add("modify-security-group-rules-ipv6-all-ports", SG)
def _(c): return [rec(c, "ec2.amazonaws.com", "ModifySecurityGroupRules", R, {"ModifySecurityGroupRulesRequest": {"GroupId": "sg-0b1c2d3e4f5a6b7c8", "SecurityGroupRule": {"SecurityGroupRuleId": "sgr-0a1b2c3d4e5f60003", "SecurityGroupRule": {"IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "CidrIpv6": "::/0"}, "tag": 1}}})]

# 5 ------------------------------------------------------------------ GPU
add = behaviour("gpu-instances-launched", "GPU or accelerated instances launched (cryptomining)")
GPU = ["ec2-unusual-instances-launched"]
@add("run-instances", GPU)
def _(c): return [rec(c, "ec2.amazonaws.com", "RunInstances", A, {"instancesSet": {"items": [{"imageId": "ami-0c1d2e3f4a5b6c7d8", "minCount": 1, "maxCount": 20}]}, "instanceType": "p4d.24xlarge", "blockDeviceMapping": {}, "monitoring": {"enabled": False}, "disableApiTermination": False, "disableApiStop": False, "clientToken": "d1b3f3c6-5a2e-4f7b-9a70-1c2d3e4f5a6b"}, None, error=("Client.InsufficientInstanceCapacity", "We currently do not have sufficient p4d.24xlarge capacity"))]
@add("create-fleet", GPU)
def _(c): return [rec(c, "ec2.amazonaws.com", "CreateFleet", A, {"CreateFleetRequest": {"TargetCapacitySpecification": {"DefaultTargetCapacityType": "spot", "TotalTargetCapacity": 10},
        "Type": "instant", "LaunchTemplateConfigs": {"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0a1b2c3d4e5f67890", "Version": "1"},
        "Overrides": [{"InstanceType": "g5.12xlarge", "tag": 1}, {"InstanceType": "g6.12xlarge", "tag": 2}], "tag": 1}}})]
@add("request-spot-fleet", GPU)
def _(c): return [rec(c, "ec2.amazonaws.com", "RequestSpotFleet", R, {"spotFleetRequestConfig": {"iamFleetRole": f"arn:aws:iam::{ACCT}:role/aws-ec2-spot-fleet-tagging-role", "targetCapacity": 8, "allocationStrategy": "lowestPrice",
        "launchSpecifications": {"items": [{"imageId": "ami-0c1d2e3f4a5b6c7d8", "instanceType": "p3.8xlarge", "tag": 1}]}}})]
@add("request-spot-instances", GPU)
def _(c): return [rec(c, "ec2.amazonaws.com", "RequestSpotInstances", A, {"spotPrice": "9.00", "instanceCount": 5, "type": "one-time", "launchSpecification": {"imageId": "ami-0c1d2e3f4a5b6c7d8", "instanceType": "g4dn.12xlarge", "monitoring": {"enabled": False}}})]
@add("launch-template-then-run", GPU)
def _(c): return [rec(c, "ec2.amazonaws.com", "CreateLaunchTemplate", A, {"CreateLaunchTemplateRequest": {"LaunchTemplateName": "batch-worker", "LaunchTemplateData": {"ImageId": "ami-0c1d2e3f4a5b6c7d8", "InstanceType": "p5.48xlarge", "UserData": "<sensitiveDataRemoved>"}}}),
                  rec(c, "ec2.amazonaws.com", "RunInstances", A, {"instancesSet": {"items": [{"minCount": 1, "maxCount": 4}]}, "launchTemplate": {"launchTemplateName": "batch-worker", "version": "$Latest"}, "blockDeviceMapping": {}, "monitoring": {"enabled": False}})]
@add("launch-template-version", GPU)
def _(c): return [rec(c, "ec2.amazonaws.com", "CreateLaunchTemplateVersion", R, {"CreateLaunchTemplateVersionRequest": {"LaunchTemplateId": "lt-0a1b2c3d4e5f67890", "SourceVersion": "1", "LaunchTemplateData": {"InstanceType": "trn1.32xlarge"}}})]
@add("auto-scaling-mixed-instances", GPU)
def _(c): return [rec(c, "autoscaling.amazonaws.com", "CreateAutoScalingGroup", A, {"autoScalingGroupName": "render-farm", "minSize": 10, "maxSize": 50, "desiredCapacity": 20, "vPCZoneIdentifier": "subnet-0a1b2c3d,subnet-4e5f6a7b",
        "mixedInstancesPolicy": {"launchTemplate": {"launchTemplateSpecification": {"launchTemplateId": "lt-0a1b2c3d4e5f67890", "version": "$Latest"}, "overrides": [{"instanceType": "g5.xlarge"}, {"instanceType": "g5.2xlarge"}]}}})]
@add("auto-scaling-launch-configuration", GPU)
def _(c): return [rec(c, "autoscaling.amazonaws.com", "CreateLaunchConfiguration", R, {"launchConfigurationName": "miner-lc", "imageId": "ami-0c1d2e3f4a5b6c7d8", "instanceType": "p3.16xlarge", "userData": "<sensitiveDataRemoved>"})]
@add("fleet-by-gpu-attributes", GPU)
def _(c): return [rec(c, "ec2.amazonaws.com", "CreateFleet", A, {"CreateFleetRequest": {"TargetCapacitySpecification": {"DefaultTargetCapacityType": "spot", "TotalTargetCapacity": 16}, "Type": "maintain",
        "LaunchTemplateConfigs": {"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0a1b2c3d4e5f67890", "Version": "1"}, "Overrides": {"InstanceRequirements": {"VCpuCount": {"Min": 4}, "MemoryMiB": {"Min": 16384}, "AcceleratorTypes": {"item": "gpu", "tag": 1}, "AcceleratorCount": {"Min": 1}}, "tag": 1}, "tag": 1}}})]
@add("stopped-instance-resized", GPU)
def _(c): return [rec(c, "ec2.amazonaws.com", "ModifyInstanceAttribute", R, {"instanceId": "i-0f1e2d3c4b5a69788", "instanceType": {"value": "p4d.24xlarge"}})]

# 6 ------------------------------------------------------------------ GuardDuty
add = behaviour("guardduty-impaired", "GuardDuty disabled, or left enabled with its protections off")
GD = ["guardduty-disabled", "guardduty-findings-suppressed"]
DET = "12abc34d567e8fa901bc2d34eexample"
@add("detector-deleted", ["guardduty-disabled"])
def _(c): return [rec(c, "guardduty.amazonaws.com", "DeleteDetector", A, {"detectorId": DET})]
@add("detector-disabled", ["guardduty-disabled"])
def _(c): return [rec(c, "guardduty.amazonaws.com", "UpdateDetector", A, {"detectorId": DET, "enable": False})]
@add("features-disabled", ["guardduty-disabled"])
def _(c): return [rec(c, "guardduty.amazonaws.com", "UpdateDetector", R, {"detectorId": DET, "features": [{"name": "S3_DATA_EVENTS", "status": "DISABLED"}, {"name": "EBS_MALWARE_PROTECTION", "status": "DISABLED"}, {"name": "RUNTIME_MONITORING", "status": "DISABLED", "additionalConfiguration": [{"name": "EC2_AGENT_MANAGEMENT", "status": "DISABLED"}]}]})]
@add("data-sources-disabled", ["guardduty-disabled"])
def _(c): return [rec(c, "guardduty.amazonaws.com", "UpdateDetector", A, {"detectorId": DET, "dataSources": {"s3Logs": {"enable": False}, "kubernetes": {"auditLogs": {"enable": False}}, "malwareProtection": {"scanEc2InstanceWithFindings": {"ebsVolumes": False}}}})]
@add("malware-scan-excludes-tag", ["guardduty-disabled"])
def _(c): return [rec(c, "guardduty.amazonaws.com", "UpdateMalwareScanSettings", R, {"detectorId": DET, "scanResourceCriteria": {"exclude": {"EC2_INSTANCE_TAG": {"mapEquals": [{"key": "scan", "value": "skip"}]}}}, "ebsSnapshotPreservation": "NO_RETENTION"})]
@add("left-administrator", ["guardduty-disabled"])
def _(c): return [rec(c, "guardduty.amazonaws.com", "DisassociateFromAdministratorAccount", A, {"detectorId": DET})]
@add("archive-filter", ["guardduty-findings-suppressed"])
def _(c): return [rec(c, "guardduty.amazonaws.com", "CreateFilter", A, {"detectorId": DET, "name": "noise", "action": "ARCHIVE", "rank": 1, "findingCriteria": {"criterion": {"severity": {"gte": 1}}}})]
@add("archive-filter-widened", ["guardduty-findings-suppressed"])
def _(c): return [rec(c, "guardduty.amazonaws.com", "UpdateFilter", R, {"detectorId": DET, "filterName": "known-scanners", "findingCriteria": {"criterion": {"type": {"eq": ["UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "Discovery:IAMUser/AnomalousBehavior"]}}}})]
@add("organization-auto-enable-off", ["guardduty-disabled"])
def _(c): return [rec(c, "guardduty.amazonaws.com", "UpdateOrganizationConfiguration", R, {"detectorId": DET, "autoEnableOrganizationMembers": "NONE", "features": [{"name": "S3_DATA_EVENTS", "autoEnable": "NONE"}]})]
@add("trusted-ip-list", ["guardduty-findings-suppressed"])
def _(c): return [rec(c, "guardduty.amazonaws.com", "CreateIPSet", A, {"detectorId": DET, "name": "office", "format": "TXT", "location": "https://s3.amazonaws.com/tmp-lists/ips.txt", "activate": True})]

# 7 ---------------- root
add = behaviour("root-user-activity", "Root user activity")
@add("root-console-sign-in", ["root-activity"])
def _(c):
    r = rec(c, "signin.amazonaws.com", "ConsoleLogin", root(), None, {"ConsoleLogin": "Success"}, ua=UA_CONSOLE, region="us-east-1",
            extra={"additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "Yes"}, "eventType": "AwsConsoleSignIn"})
    return [r]
@add("root-access-key-created", ["root-activity"])
def _(c): return [rec(c, "iam.amazonaws.com", "CreateAccessKey", root(), {}, {"accessKey": {"accessKeyId": "AKIAEXAMPLEROOTKEY01", "status": "Active", "createDate": "Nov 2, 2026, 10:00:17 AM"}}, region="us-east-1")]

# 8 ---------------- console without MFA
add = behaviour("console-sign-in-without-mfa", "Console sign-in without MFA")
@add("iam-user-password-only", ["console-login-without-mfa"])
def _(c): return [rec(c, "signin.amazonaws.com", "ConsoleLogin", {"type": "IAMUser", "principalId": "AIDAEXAMPLEBOBUSER01", "arn": f"arn:aws:iam::{ACCT}:user/bob", "accountId": ACCT, "userName": "bob"}, None, {"ConsoleLogin": "Success"}, ua=UA_CONSOLE, region="us-east-1",
                      extra={"additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No"}, "eventType": "AwsConsoleSignIn"})]

# 9 ---------------- IAM user backdoors
add = behaviour("iam-user-backdoor", "Credentials made for another IAM user")
@add("access-key-for-other-user", ["iam-access-key-created-for-other-user"])
def _(c): return [rec(c, "iam.amazonaws.com", "CreateAccessKey", A, {"userName": "backup-svc"}, {"accessKey": {"userName": "backup-svc", "accessKeyId": "AKIAEXAMPLEBACKDOOR1", "status": "Active", "createDate": "Nov 2, 2026, 10:00:17 AM"}}, region="us-east-1")]
@add("login-profile-for-other-user", ["iam-login-profile-changed-for-other-user"])
def _(c): return [rec(c, "iam.amazonaws.com", "CreateLoginProfile", R, {"userName": "backup-svc", "passwordResetRequired": False}, {"loginProfile": {"userName": "backup-svc", "createDate": "Nov 2, 2026, 10:00:17 AM", "passwordResetRequired": False}}, region="us-east-1")]

# 10 ---------------- sharing
add = behaviour("snapshots-and-images-shared", "Snapshots or images shared with another account or everyone")
@add("ebs-snapshot-public", ["ec2-snapshot-shared"])
def _(c): return [rec(c, "ec2.amazonaws.com", "ModifySnapshotAttribute", A, {"snapshotId": "snap-0a1b2c3d4e5f67890", "createVolumePermission": {"add": {"items": [{"group": "all"}]}}, "attributeType": "CREATE_VOLUME_PERMISSION"})]
@add("ami-to-outside-account", ["ec2-ami-shared"])
def _(c): return [rec(c, "ec2.amazonaws.com", "ModifyImageAttribute", A, {"imageId": "ami-0a1b2c3d4e5f67890", "launchPermission": {"add": {"items": [{"userId": "999988887777"}]}}, "attributeType": "launchPermission"})]
@add("rds-snapshot-to-outside-account", ["rds-snapshot-shared"])
def _(c): return [rec(c, "rds.amazonaws.com", "ModifyDBSnapshotAttribute", R, {"dBSnapshotIdentifier": "orders-2026-11-01", "attributeName": "restore", "valuesToAdd": ["999988887777"]})]

# 11 ---------------- secrets
add = behaviour("secrets-harvested", "Secrets read in bulk")
@add("many-secrets-one-by-one", ["secretsmanager-secrets-read-burst"])
def _(c): return [rec(c, "secretsmanager.amazonaws.com", "GetSecretValue", A, {"secretId": f"prod/{n}"}, None, read_only=True) for n in ["db", "stripe", "github-token", "smtp", "datadog"]]
@add("batch-by-filter", ["secretsmanager-batch-secrets-read"])
def _(c): return [rec(c, "secretsmanager.amazonaws.com", "BatchGetSecretValue", R, {"filters": [{"key": "name", "values": ["prod"]}], "maxResults": 20}, None, read_only=True)]

# 12 ---------------- Identity Center identity source
add = behaviour("identity-center-identity-source-changed", "IAM Identity Center identity source changed")
IC = ["sso-identity-source-changed"]
@add("external-idp-configured", IC)
def _(c): return [rec(c, "sso-directory.amazonaws.com", "CreateExternalIdPConfigurationForDirectory", R, {"directoryId": "d-9067012345", "externalIdPConfiguration": {"samlMetadataDocument": "HIDDEN_DUE_TO_SECURITY_REASONS"}}, None, ua=UA_CONSOLE, region="eu-west-1")]
@add("external-idp-replaced", IC)
def _(c): return [rec(c, "sso-directory.amazonaws.com", "UpdateExternalIdPConfigurationForDirectory", R, {"directoryId": "d-9067012345", "externalIdPConfigurationId": "idp-0123456789abcdef"}, None, ua=UA_CONSOLE)]
@add("directory-switched", IC)
def _(c): return [rec(c, "sso.amazonaws.com", "DisassociateDirectory", R, {"directoryId": "d-9067012345"}, None, ua=UA_CONSOLE),
                  rec(c, "sso.amazonaws.com", "AssociateDirectory", R, {"directoryId": "d-9067099999", "directoryType": "ActiveDirectory"}, None, ua=UA_CONSOLE)]
@add("scim-token-created", IC)
def _(c): return [rec(c, "sso-directory.amazonaws.com", "CreateBearerToken", R, {"tenantId": "1111111111-2222-3333-4444-555555555555"}, None, ua=UA_CONSOLE)]

# 13 ---------------- SAML / OIDC
add = behaviour("saml-provider-changed", "SAML provider metadata or OIDC provider changed")
SAML = ["iam-identity-provider-changed"]
@add("saml-metadata-replaced", SAML)
def _(c): return [rec(c, "iam.amazonaws.com", "UpdateSAMLProvider", A, {"sAMLProviderArn": f"arn:aws:iam::{ACCT}:saml-provider/Okta", "sAMLMetadataDocument": "<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"http://www.okta.com/exk0EXAMPLE\">...</EntityDescriptor>"},
                      {"sAMLProviderArn": f"arn:aws:iam::{ACCT}:saml-provider/Okta"}, region="us-east-1")]
@add("saml-provider-created", SAML)
def _(c): return [rec(c, "iam.amazonaws.com", "CreateSAMLProvider", R, {"name": "corp-adfs", "sAMLMetadataDocument": "<EntityDescriptor>...</EntityDescriptor>"}, {"sAMLProviderArn": f"arn:aws:iam::{ACCT}:saml-provider/corp-adfs"}, region="us-east-1")]
@add("oidc-client-added", SAML)
def _(c): return [rec(c, "iam.amazonaws.com", "AddClientIDToOpenIDConnectProvider", A, {"openIDConnectProviderArn": f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com", "clientID": "sts.attacker.example"}, None, region="us-east-1")]

# 14 ---------------- GetSigninToken
add = behaviour("console-session-from-api-keys", "Stolen API keys turned into a console session")
SIG = ["signin-token-from-api-credentials", "sts-federation-token"]
@add("federation-token-then-signin-token", ["signin-token-from-api-credentials"])
def _(c):
    fed = {"type": "FederatedUser", "principalId": f"{ACCT}:consoler", "arn": f"arn:aws:sts::{ACCT}:federated-user/consoler", "accountId": ACCT, "accessKeyId": "ASIAEXAMPLEFEDERATE1",
           "sessionContext": {"sessionIssuer": {"type": "IAMUser", "principalId": "AIDALEGACYCIXXXXEXAMPLE", "arn": f"arn:aws:iam::{ACCT}:user/legacy-ci", "accountId": ACCT, "userName": "legacy-ci"}, "attributes": {"creationDate": "2026-11-02T10:00:17Z", "mfaAuthenticated": "false"}}}
    return [rec(c, "sts.amazonaws.com", "GetFederationToken", A, {"name": "consoler", "policy": text(pol({"Effect": "Allow", "Action": "*", "Resource": "*"})), "durationSeconds": 43200},
                {"credentials": {"accessKeyId": "ASIAEXAMPLEFEDERATE1", "sessionToken": "<sensitiveDataRemoved>", "expiration": "Nov 2, 2026, 10:00:17 PM"}, "federatedUser": {"federatedUserId": f"{ACCT}:consoler", "arn": f"arn:aws:sts::{ACCT}:federated-user/consoler"}, "packedPolicySize": 6}, region="us-east-1", ua=UA_BOTO),
            rec(c, "signin.amazonaws.com", "GetSigninToken", fed, None, {"GetSigninToken": "Success"}, region="us-east-1", ua="python-requests/2.32.3", extra={"eventType": "AwsConsoleSignIn"})]
@add("assumed-role-signin-token", ["signin-token-from-api-credentials"])
def _(c): return [rec(c, "signin.amazonaws.com", "GetSigninToken", R, None, {"GetSigninToken": "Success"}, region="us-east-1", ua="python-requests/2.32.3", extra={"eventType": "AwsConsoleSignIn"})]

# 15 ---------------- instance credentials outside
add = behaviour("instance-credentials-used-outside", "An EC2 instance's role credentials used from outside")
INST = ["ec2-instance-credentials-used-elsewhere", "ec2-instance-identity-role-used"]
@add("profile-credentials-from-attacker-address", ["ec2-instance-credentials-used-elsewhere"])
def _(c):
    i = instance()
    return [rec(c, "ssm.amazonaws.com", "UpdateInstanceInformation", i, {"instanceId": "i-0a1b2c3d4e5f67890", "agentVersion": "3.3.1142.0", "agentStatus": "Active", "platformType": "Linux"}, None, ip="54.217.10.20", ua="aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.1142.0"),
            rec(c, "s3.amazonaws.com", "ListBuckets", i, {"Host": "s3.eu-west-1.amazonaws.com"}, None, ip="54.217.10.20", ua=UA_BOTO, read_only=True),
            rec(c, "sts.amazonaws.com", "GetCallerIdentity", i, None, None, ip=ATTACKER_IP, ua=UA_CLI.format(cmd="GetCallerIdentity"), read_only=True),
            rec(c, "ec2.amazonaws.com", "DescribeInstances", i, {"instancesSet": {}, "filterSet": {}}, None, ip=ATTACKER_IP, read_only=True)]
@add("instance-identity-role-used-from-outside", ["ec2-instance-identity-role-used"])
def _(c):
    i = {"type": "AssumedRole", "principalId": f"{ACCT}:aws:ec2-instance:i-0a1b2c3d4e5f67890", "arn": f"arn:aws:sts::{ACCT}:assumed-role/aws:ec2-instance/i-0a1b2c3d4e5f67890", "accountId": ACCT, "accessKeyId": "ASIAEXAMPLEIDROLE001",
         "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": f"{ACCT}:aws:ec2-instance", "arn": f"arn:aws:iam::{ACCT}:role/aws:ec2-instance", "accountId": ACCT, "userName": "aws:ec2-instance"}, "attributes": {"creationDate": "2026-11-02T08:12:40Z", "mfaAuthenticated": "false"}, "ec2RoleDelivery": "2.0"}}
    return [rec(c, "sts.amazonaws.com", "GetCallerIdentity", i, None, None, read_only=True)]

# 16 ---------------- RDS password
add = behaviour("rds-master-password-reset", "RDS master password reset")
RDSP = ["rds-master-password-reset"]
@add("instance-password-reset", RDSP)
def _(c): return [rec(c, "rds.amazonaws.com", "ModifyDBInstance", A, {"dBInstanceIdentifier": "orders-prod", "masterUserPassword": "****", "applyImmediately": True},
                      {"dBInstanceIdentifier": "orders-prod", "dBInstanceClass": "db.r6g.large", "engine": "postgres", "dBInstanceStatus": "available", "masterUsername": "postgres", "publiclyAccessible": False, "pendingModifiedValues": {"masterUserPassword": "****"}})]
@add("cluster-password-reset", RDSP)
def _(c): return [rec(c, "rds.amazonaws.com", "ModifyDBCluster", R, {"dBClusterIdentifier": "ledger-aurora", "masterUserPassword": "****", "applyImmediately": True}, {"dBClusterIdentifier": "ledger-aurora", "status": "available", "pendingModifiedValues": {"masterUserPassword": "****"}})]

# 17 ---------------- RDS public restore
add = behaviour("rds-restored-public", "Snapshot restored as a public database")
RDSR = ["rds-restored-publicly"]
@add("restore-from-snapshot-public", RDSR)
def _(c): return [rec(c, "rds.amazonaws.com", "RestoreDBInstanceFromDBSnapshot", A, {"dBInstanceIdentifier": "orders-copy", "dBSnapshotIdentifier": "arn:aws:rds:eu-west-1:444455556666:snapshot:orders-2026-11-01", "publiclyAccessible": True, "vpcSecurityGroupIds": ["sg-0b1c2d3e4f5a6b7c8"]},
                      {"dBInstanceIdentifier": "orders-copy", "dBInstanceClass": "db.r6g.large", "engine": "postgres", "dBInstanceStatus": "creating", "publiclyAccessible": True})]
@add("restore-private-then-made-public", RDSR)
def _(c): return [rec(c, "rds.amazonaws.com", "RestoreDBInstanceFromDBSnapshot", R, {"dBInstanceIdentifier": "orders-copy", "dBSnapshotIdentifier": "orders-2026-11-01"}, {"dBInstanceIdentifier": "orders-copy", "publiclyAccessible": False}),
                  rec(c, "rds.amazonaws.com", "ModifyDBInstance", R, {"dBInstanceIdentifier": "orders-copy", "publiclyAccessible": True, "applyImmediately": True}, {"dBInstanceIdentifier": "orders-copy", "publiclyAccessible": False, "pendingModifiedValues": {}})]
@add("point-in-time-default-public", RDSR)
def _(c): return [rec(c, "rds.amazonaws.com", "RestoreDBInstanceToPointInTime", A, {"sourceDBInstanceIdentifier": "orders-prod", "targetDBInstanceIdentifier": "orders-pitr", "useLatestRestorableTime": True, "dBSubnetGroupName": "default"},
                      {"dBInstanceIdentifier": "orders-pitr", "publiclyAccessible": True, "dBInstanceStatus": "creating"})]

# 18 ---------------- KMS imported material
add = behaviour("kms-imported-key-material", "KMS imported key material imported or deleted")
KMSI = ["kms-imported-key-material-changed"]
@add("material-imported", KMSI)
def _(c): return [rec(c, "kms.amazonaws.com", "ImportKeyMaterial", A, {"keyId": KEY, "validTo": "Dec 31, 2026, 12:00:00 AM", "expirationModel": "KEY_MATERIAL_EXPIRES"}, None,
                      extra={"resources": [{"accountId": ACCT, "type": "AWS::KMS::Key", "ARN": KEY}]})]
@add("material-deleted", KMSI)
def _(c): return [rec(c, "kms.amazonaws.com", "DeleteImportedKeyMaterial", A, {"keyId": KEY}, None, extra={"resources": [{"accountId": ACCT, "type": "AWS::KMS::Key", "ARN": KEY}]})]

# 19 ---------------- Bedrock
add = behaviour("bedrock-model-abuse", "Bedrock model access abused (LLMjacking)")
BR = ["bedrock-model-access-changed", "bedrock-models-probed"]
@add("model-access-requested-with-keys", ["bedrock-model-access-changed", "bedrock-used-with-long-term-keys"])
def _(c): return [rec(c, "bedrock.amazonaws.com", "PutUseCaseForModelAccess", A, {"formData": "HIDDEN_DUE_TO_SECURITY_REASONS"}, None, region="us-east-1", ua=UA_BOTO),
                  rec(c, "bedrock.amazonaws.com", "CreateFoundationModelAgreement", A, {"offerToken": "HIDDEN_DUE_TO_SECURITY_REASONS", "modelId": "anthropic.claude-3-5-sonnet-20240620-v1:0"}, {"modelId": "anthropic.claude-3-5-sonnet-20240620-v1:0"}, region="us-east-1", ua=UA_BOTO)]
@add("invocation-logging-deleted", ["bedrock-model-access-changed"])
def _(c): return [rec(c, "bedrock.amazonaws.com", "DeleteModelInvocationLoggingConfiguration", R, None, None, region="us-east-1", ua=UA_BOTO)]
@add("models-probed", ["bedrock-models-probed"])
def _(c): return [rec(c, "bedrock.amazonaws.com", "InvokeModel", A, {"modelId": m}, None, region="us-east-1", ua=UA_BOTO, error=e)
                  for m, e in [("anthropic.claude-3-5-sonnet-20240620-v1:0", ("AccessDeniedException", "You don't have access to the model with the specified model ID.")),
                               ("anthropic.claude-3-haiku-20240307-v1:0", None), ("meta.llama3-70b-instruct-v1:0", None), ("mistral.mistral-large-2402-v1:0", None)]]

@add("enumerate-then-invoke-with-role", ["bedrock-enumerated-then-invoked"])
def _(c): return [rec(c, "bedrock.amazonaws.com", "ListFoundationModels", R, None, None, region="us-east-1", ua=UA_BOTO, read_only=True),
                  rec(c, "bedrock.amazonaws.com", "InvokeModel", R, {"modelId": "anthropic.claude-v2"}, None, region="us-east-1", ua=UA_BOTO)]
@add("invoke-with-access-keys", ["bedrock-used-with-long-term-keys"])
def _(c): return [rec(c, "bedrock-runtime.amazonaws.com", "InvokeModel", A, {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}, None, region="us-east-1", ua=UA_BOTO)]
@add("validation-probe", ["bedrock-used-with-long-term-keys"])
def _(c): return [rec(c, "bedrock.amazonaws.com", "InvokeModel", R, {"modelId": "anthropic.claude-3-opus-20240229-v1:0"}, None, region="us-west-2", ua=UA_BOTO,
                      error=("ValidationException", "max_tokens_to_sample: range: 1..1,000,000"))]
@add("availability-checked-with-access-keys", ["bedrock-used-with-long-term-keys"])
def _(c): return [rec(c, "bedrock.amazonaws.com", "GetFoundationModelAvailability", A, {"modelId": "anthropic.claude-3-5-sonnet-20240620-v1:0"}, None, region="us-east-1", ua=UA_BOTO, read_only=True)]

# 20 ---------------- Lambda opened (public part; cross-account is the organization context's)
add = behaviour("lambda-opened", "Lambda function opened to anyone")
@add("invoke-permission-for-everyone", ["lambda-function-public"])
def _(c): return [rec(c, "lambda.amazonaws.com", "AddPermission20150331v2", A, {"functionName": "invoice-export", "statementId": "public", "action": "lambda:InvokeFunction", "principal": "*"},
                      {"statement": "{\"Sid\":\"public\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"arn:aws:lambda:eu-west-1:111122223333:function:invoice-export\"}"})]
@add("function-url-without-auth", ["lambda-function-public"])
def _(c): return [rec(c, "lambda.amazonaws.com", "CreateFunctionUrlConfig20211031", R, {"functionName": "invoice-export", "authType": "NONE"}, {"functionUrl": "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/", "functionArn": "arn:aws:lambda:eu-west-1:111122223333:function:invoice-export", "authType": "NONE", "creationTime": "2026-11-02T10:00:17.000+0000"})]

# 21 ---------------- role trust backdoor
add = behaviour("role-trust-backdoor", "Role made assumable from outside")
@add("trust-policy-rewritten", ["iam-role-trust-policy-changed"])
def _(c): return [rec(c, "iam.amazonaws.com", "UpdateAssumeRolePolicy", A, {"roleName": "ops-automation", "policyDocument": text(pol({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}))}, None, region="us-east-1")]
@add("role-created-trusting-outside-account", ["iam-role-created-trusting-other-account"])
def _(c): return [rec(c, "iam.amazonaws.com", "CreateRole", R, {"roleName": "support-access", "assumeRolePolicyDocument": text(pol({"Effect": "Allow", "Principal": {"AWS": "999988887777"}, "Action": "sts:AssumeRole"}))},
                      {"role": {"roleName": "support-access", "arn": f"arn:aws:iam::{ACCT}:role/support-access"}}, region="us-east-1")]

# 22 ---------------- AccessDenied burst
add = behaviour("access-denied-burst", "AccessDenied across services (enumeration)")
@add("enumerate-with-stolen-keys", ["access-denied-burst"])
def _(c):
    calls = [("iam.amazonaws.com", "ListUsers", "AccessDenied", "User: arn:aws:iam::111122223333:user/legacy-ci is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::111122223333:user/ because no identity-based policy allows the iam:ListUsers action"),
             ("ec2.amazonaws.com", "DescribeInstances", "Client.UnauthorizedOperation", "You are not authorized to perform this operation. User: arn:aws:iam::111122223333:user/legacy-ci is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action"),
             ("secretsmanager.amazonaws.com", "ListSecrets", "AccessDenied", "User: arn:aws:iam::111122223333:user/legacy-ci is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action"),
             ("lambda.amazonaws.com", "ListFunctions20150331", "AccessDenied", "User: arn:aws:iam::111122223333:user/legacy-ci is not authorized to perform: lambda:ListFunctions on resource: * because no identity-based policy allows the lambda:ListFunctions action"),
             ("dynamodb.amazonaws.com", "ListTables", "AccessDenied", "User: arn:aws:iam::111122223333:user/legacy-ci is not authorized to perform: dynamodb:ListTables on resource: * because no identity-based policy allows the dynamodb:ListTables action"),
             ("rds.amazonaws.com", "DescribeDBInstances", "AccessDenied", "User: arn:aws:iam::111122223333:user/legacy-ci is not authorized to perform: rds:DescribeDBInstances")]
    return [rec(c, s, n, A, None, None, error=(code, msg), read_only=True) for s, n, code, msg in calls]
@add("enumerate-with-role-session", ["access-denied-burst"])
def _(c):
    calls = [("s3.amazonaws.com", "ListBuckets", "AccessDenied"), ("kms.amazonaws.com", "ListKeys", "AccessDeniedException"), ("ssm.amazonaws.com", "DescribeParameters", "AccessDeniedException"),
             ("organizations.amazonaws.com", "ListAccounts", "AccessDeniedException"), ("sns.amazonaws.com", "ListTopics", "AuthorizationError")]
    return [rec(c, s, n, R, None, None, error=(code, f"User: {R['arn']} is not authorized to perform: {s.split('.')[0]}:{n}"), read_only=True) for s, n, code in calls]

# 23 ---------------- KMS key disabled (data destruction by key)
add = behaviour("kms-key-destroyed", "KMS key disabled or scheduled for deletion")
@add("deletion-scheduled", ["kms-key-disabled-or-deletion-scheduled"])
def _(c): return [rec(c, "kms.amazonaws.com", "ScheduleKeyDeletion", A, {"keyId": KEY, "pendingWindowInDays": 7}, {"keyId": KEY, "deletionDate": "Nov 9, 2026, 12:00:00 AM", "keyState": "PendingDeletion", "pendingWindowInDays": 7})]
@add("key-disabled", ["kms-key-disabled-or-deletion-scheduled"])
def _(c): return [rec(c, "kms.amazonaws.com", "DisableKey", R, {"keyId": KEY}, None)]

# 24 ---------------- reconnaissance
add = behaviour("account-reconnaissance", "Account reconnaissance with stolen credentials")
@add("discovery-from-compromised-instance", ["account-reconnaissance"])
def _(c):
    i = instance()
    calls = [("sts.amazonaws.com", "GetCallerIdentity"), ("s3.amazonaws.com", "ListBuckets"), ("iam.amazonaws.com", "GetAccountSummary"), ("iam.amazonaws.com", "ListRoles"),
             ("iam.amazonaws.com", "ListUsers"), ("iam.amazonaws.com", "GetAccountAuthorizationDetails"), ("ec2.amazonaws.com", "DescribeSnapshots"),
             ("cloudtrail.amazonaws.com", "DescribeTrails"), ("guardduty.amazonaws.com", "ListDetectors")]
    return [rec(c, s_, n, i, None, None, ip="54.217.10.20", read_only=True, region="us-east-1" if s_ == "iam.amazonaws.com" else "eu-west-1") for s_, n in calls]
@add("discovery-with-stolen-keys", ["account-reconnaissance"])
def _(c):
    calls = [("sts.amazonaws.com", "GetCallerIdentity", None), ("iam.amazonaws.com", "ListUsers", None), ("iam.amazonaws.com", "ListAttachedUserPolicies", None),
             ("organizations.amazonaws.com", "DescribeOrganization", ("AccessDeniedException", "You don't have permissions to access this resource.")),
             ("secretsmanager.amazonaws.com", "ListSecrets", None), ("lambda.amazonaws.com", "ListFunctions20150331", None)]
    return [rec(c, s_, n, A, None, None, read_only=True, error=e) for s_, n, e in calls]

# 25 ---------------- recovery removed (ransomware preparation)
add = behaviour("recovery-removed", "Versions and backups removed before the data (ransomware)")
@add("bucket-versioning-suspended", ["s3-versioning-suspended"])
def _(c): return [rec(c, "s3.amazonaws.com", "PutBucketVersioning", A, {"bucketName": "customer-exports", "Host": "customer-exports.s3.eu-west-1.amazonaws.com", "versioning": "",
                      "VersioningConfiguration": {"Status": "Suspended", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}})]
@add("recovery-points-deleted", ["backup-recovery-removed"])
def _(c): return [rec(c, "backup.amazonaws.com", "DeleteRecoveryPoint", R, {"backupVaultName": "Default", "recoveryPointArn": f"arn:aws:ec2:eu-west-1::snapshot/snap-0{n}a1b2c3d4e5f6789"}, None) for n in range(3)]
@add("retention-cut-to-a-day", ["backup-recovery-removed"])
def _(c): return [rec(c, "backup.amazonaws.com", "UpdateRecoveryPointLifecycle", A, {"backupVaultName": "prod-vault", "recoveryPointArn": f"arn:aws:rds:eu-west-1:{ACCT}:snapshot:awsbackup:job-0a1b2c3d", "lifecycle": {"deleteAfterDays": 1}},
                      {"backupVaultArn": f"arn:aws:backup:eu-west-1:{ACCT}:backup-vault:prod-vault", "lifecycle": {"deleteAfterDays": 1}})]
@add("vault-lock-removed-then-vault-deleted", ["backup-recovery-removed"])
def _(c): return [rec(c, "backup.amazonaws.com", "DeleteBackupVaultLockConfiguration", R, {"backupVaultName": "prod-vault"}, None),
                  rec(c, "backup.amazonaws.com", "DeleteBackupVault", R, {"backupVaultName": "prod-vault"}, None)]

# 26 ---------------- domain takeover
add = behaviour("domain-takeover", "Registered domain transferred or its name servers changed")
@add("transfer-lock-removed-and-auth-code", ["route53-domain-transfer"])
def _(c): return [rec(c, "route53domains.amazonaws.com", "DisableDomainTransferLock", A, {"domainName": "example-shop.com"}, {"operationId": "0a1b2c3d-4e5f-6789-0abc-def012345678"}, region="us-east-1"),
                  rec(c, "route53domains.amazonaws.com", "RetrieveDomainAuthCode", A, {"domainName": "example-shop.com"}, None, region="us-east-1", read_only=True)]
@add("transferred-to-another-account", ["route53-domain-transfer"])
def _(c): return [rec(c, "route53domains.amazonaws.com", "TransferDomainToAnotherAwsAccount", R, {"domainName": "example-shop.com", "accountId": "999988887777"}, {"operationId": "1a2b3c4d-5e6f-7890-abcd-ef0123456789", "password": "HIDDEN_DUE_TO_SECURITY_REASONS"}, region="us-east-1")]
@add("name-servers-replaced", ["route53-domain-transfer"])
def _(c): return [rec(c, "route53domains.amazonaws.com", "UpdateDomainNameservers", A, {"domainName": "example-shop.com", "nameservers": [{"name": "ns1.attacker-dns.example"}, {"name": "ns2.attacker-dns.example"}]}, {"operationId": "2b3c4d5e-6f70-8901-bcde-f01234567890"}, region="us-east-1")]

if __name__ == "__main__":
    out = sys.argv[1]
    man = ["# Attacker variants of the behaviours trailguard's default rules claim to detect.",
           "# Each file is a CloudTrail log file ({\"Records\": [...]}); a variant counts as detected",
           "# when any of its rules alerts (TestAttackCorpus). Generated records follow the",
           "# CloudTrail record and userIdentity references and each API's request syntax.", "behaviours:"]
    for bid, title, vs in B:
        man.append(f"  - id: {bid}\n    title: {json.dumps(title)}\n    variants:")
        os.makedirs(os.path.join(out, bid), exist_ok=True)
        for name, rules, records in vs:
            path = f"{bid}/{name}.json"
            with open(os.path.join(out, path), "w") as f:
                json.dump({"Records": records}, f, indent=2)
                f.write("\n")
            man.append(f"      - name: {name}\n        file: {path}\n        rules: [{', '.join(rules)}]")
    with open(os.path.join(out, "manifest.yaml"), "w") as f:
        f.write("\n".join(man) + "\n")
    print(len(B), "behaviours", sum(len(v) for _, _, v in B), "variants")
