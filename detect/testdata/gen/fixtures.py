"""Alert and silent cases for detect/testdata/rules/<rule>.json:

    cd detect/testdata/gen && python3 fixtures.py ../rules

adds the cases below to each rule's fixture file, skipping case names already there (so
hand-written cases stay as they are), and reuses the attack variants of attacks.py."""
import json, os, sys
from ct import *
import attacks as at
from attacks import A, R, pol, text, KEY, DET, sgi, perm, bp

FIX = sys.argv[1]
V = {}
for bid, title, vs in at.B:
    for name, rules, records in vs:
        V[(bid, name)] = records

def load(rule):
    p = os.path.join(FIX, rule + ".json")
    if os.path.exists(p):
        return json.load(open(p))
    return {"rule": rule, "cases": []}

def save(f):
    with open(os.path.join(FIX, f["rule"] + ".json"), "w") as fh:
        json.dump(f, fh, indent=2)
        fh.write("\n")

def add(rule, cases):
    f = load(rule)
    names = {c["name"] for c in f["cases"]}
    for name, alert, records in cases:
        if name in names:
            continue
        f["cases"].append({"name": name, "alert": alert, "records": records})
    save(f)

def variants(bid, names=None, rule=None):
    out = []
    for (b, n), recs in V.items():
        if b == bid and (names is None or n in names):
            out.append(("attack variant: " + n.replace("-", " "), True, recs))
    return out

c = Clock("2026-11-02T11:00:00Z")
SSO_SLR = role_session("AWSServiceRoleForSSO", "AWS-SSO", path="aws-service-role/sso.amazonaws.com/", key="ASIAEXAMPLESSOSLR001")
SSO_SLR["invokedBy"] = "sso.amazonaws.com"
ADMIN = sso("AdministratorAccess", "alice@example.com")
DEV = sso("Developer", "dave@example.com")
DEPLOYER = role_session("github-actions-deploy", "GitHubActions", key="ASIAEXAMPLEGHACTION1")

# ------------------------------------------------------------------ new rules
add("sso-identity-source-changed", variants("identity-center-identity-source-changed") + [
    ("Identity Center administrator creates a user and adds it to a group", False, [
        rec(c, "sso-directory.amazonaws.com", "CreateUser", ADMIN, {"identityStoreId": "d-9067012345", "userName": "erin@example.com", "displayName": "Erin"}, None, ip="198.51.100.7", ua=UA_CONSOLE),
        rec(c, "identitystore.amazonaws.com", "CreateGroupMembership", ADMIN, {"identityStoreId": "d-9067012345", "groupId": "9067012345-abcd", "memberId": {"userId": "9067012345-efgh"}}, None, ip="198.51.100.7", ua=UA_CONSOLE)]),
    ("permission set provisioned", False, [
        rec(c, "sso.amazonaws.com", "ProvisionPermissionSet", ADMIN, {"instanceArn": "arn:aws:sso:::instance/ssoins-1111111111111111", "permissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-3333333333333333", "targetType": "ALL_PROVISIONED_ACCOUNTS"}, None, ip="198.51.100.7", ua=UA_CONSOLE)]),
])
add("iam-identity-provider-changed", variants("saml-provider-changed") + [
    ("Identity Center refreshes its own SAML provider", False, [
        rec(c, "iam.amazonaws.com", "UpdateSAMLProvider", SSO_SLR, {"sAMLProviderArn": f"arn:aws:iam::{ACCT}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE", "sAMLMetadataDocument": "<EntityDescriptor>...</EntityDescriptor>"},
            {"sAMLProviderArn": f"arn:aws:iam::{ACCT}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"}, ip="sso.amazonaws.com", ua="sso.amazonaws.com", region="us-east-1")]),
    ("CloudFormation creates the GitHub Actions OIDC provider", False, [
        rec(c, "iam.amazonaws.com", "CreateOpenIDConnectProvider", cfn(), {"url": "https://token.actions.githubusercontent.com", "clientIDList": ["sts.amazonaws.com"], "thumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"]},
            {"openIDConnectProviderArn": f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"}, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com", region="us-east-1")]),
])
add("signin-token-from-api-credentials", variants("console-session-from-api-keys") + [
    ("Identity Center access portal opens the console", False, [
        rec(c, "signin.amazonaws.com", "GetSigninToken", sso("ReadOnly", "carol@example.com"), None, {"GetSigninToken": "Success"}, ip="198.51.100.7", ua="Jersey/${project.version} (HttpUrlConnection 17.0.13)", region="us-east-1", extra={"eventType": "AwsConsoleSignIn"})]),
])
IDROLE = {"type": "AssumedRole", "principalId": f"{ACCT}:aws:ec2-instance:i-0a1b2c3d4e5f67890", "arn": f"arn:aws:sts::{ACCT}:assumed-role/aws:ec2-instance/i-0a1b2c3d4e5f67890", "accountId": ACCT, "accessKeyId": "ASIAEXAMPLEIDROLE001",
          "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": f"{ACCT}:aws:ec2-instance", "arn": f"arn:aws:iam::{ACCT}:role/aws:ec2-instance", "accountId": ACCT, "userName": "aws:ec2-instance"}, "attributes": {"creationDate": "2026-11-02T08:12:40Z", "mfaAuthenticated": "false"}, "ec2RoleDelivery": "2.0"}}
add("ec2-instance-identity-role-used", variants("instance-credentials-used-outside", {"instance-identity-role-used-from-outside"}) + [
    ("Systems Manager agent with Default Host Management", False, [
        rec(c, "ssm.amazonaws.com", "UpdateInstanceInformation", IDROLE, {"instanceId": "i-0a1b2c3d4e5f67890", "agentVersion": "3.3.1142.0", "agentStatus": "Active"}, None, ip="54.217.10.20", ua="aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.1142.0"),
        rec(c, "ec2messages.amazonaws.com", "GetMessages", IDROLE, {"destination": "i-0a1b2c3d4e5f67890", "messagesRequestId": "0a1b2c3d-4e5f-6789-0abc-def012345678", "visibilityTimeoutInSeconds": 10}, None, ip="54.217.10.20", ua="aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.1142.0")]),
])
I = instance()
add("ec2-instance-credentials-used-elsewhere", variants("instance-credentials-used-outside", {"profile-credentials-from-attacker-address"}) + [
    ("a workload behind its NAT gateway and a VPC endpoint", False, [
        rec(c, "s3.amazonaws.com", "ListBuckets", I, {"Host": "s3.eu-west-1.amazonaws.com"}, None, ip="54.217.10.20", ua=UA_BOTO, read_only=True),
        rec(c, "secretsmanager.amazonaws.com", "GetSecretValue", I, {"secretId": "prod/db"}, None, ip="10.0.12.34", ua=UA_BOTO, read_only=True, extra={"vpcEndpointId": "vpce-0a1b2c3d4e5f67890", "vpcEndpointAccountId": ACCT}),
        rec(c, "sqs.amazonaws.com", "ReceiveMessage", I, {"queueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs"}, None, ip="54.217.10.20", ua=UA_BOTO),
        rec(c, "kms.amazonaws.com", "Decrypt", I, {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, None, ip="AWS Internal", ua="AWS Internal", read_only=True)]),
    ("a user's role session from two addresses is not an instance", False, [
        rec(c, "s3.amazonaws.com", "ListBuckets", DEV, {"Host": "s3.eu-west-1.amazonaws.com"}, None, ip="198.51.100.7", read_only=True),
        rec(c, "s3.amazonaws.com", "ListBuckets", DEV, {"Host": "s3.eu-west-1.amazonaws.com"}, None, ip="203.0.113.99", read_only=True)]),
])
add("rds-master-password-reset", variants("rds-master-password-reset") + [
    ("instance class changed", False, [
        rec(c, "rds.amazonaws.com", "ModifyDBInstance", DEPLOYER, {"dBInstanceIdentifier": "orders-prod", "dBInstanceClass": "db.r6g.xlarge", "applyImmediately": False}, {"dBInstanceIdentifier": "orders-prod", "pendingModifiedValues": {"dBInstanceClass": "db.r6g.xlarge"}}, ip="20.1.2.3")]),
    ("CloudFormation rotates the password it deploys", False, [
        rec(c, "rds.amazonaws.com", "ModifyDBCluster", cfn(), {"dBClusterIdentifier": "ledger-aurora", "masterUserPassword": "****", "applyImmediately": True}, {"dBClusterIdentifier": "ledger-aurora", "pendingModifiedValues": {"masterUserPassword": "****"}}, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com")]),
])
add("rds-restored-publicly", variants("rds-restored-public") + [
    ("snapshot restored privately for a test", False, [
        rec(c, "rds.amazonaws.com", "RestoreDBInstanceFromDBSnapshot", DEPLOYER, {"dBInstanceIdentifier": "orders-restore-test", "dBSnapshotIdentifier": "orders-2026-11-01", "publiclyAccessible": False}, {"dBInstanceIdentifier": "orders-restore-test", "publiclyAccessible": False}, ip="20.1.2.3")]),
    ("CloudFormation creates a private database", False, [
        rec(c, "rds.amazonaws.com", "CreateDBInstance", cfn(), {"dBInstanceIdentifier": "app-db", "dBInstanceClass": "db.t4g.medium", "engine": "postgres", "masterUsername": "app", "masterUserPassword": "****", "publiclyAccessible": False}, {"dBInstanceIdentifier": "app-db", "publiclyAccessible": False}, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com")]),
])
add("kms-imported-key-material-changed", variants("kms-imported-key-material") + [
    ("key created and rotated by CloudFormation", False, [
        rec(c, "kms.amazonaws.com", "CreateKey", cfn(), {"description": "app data", "keyUsage": "ENCRYPT_DECRYPT", "keySpec": "SYMMETRIC_DEFAULT", "origin": "AWS_KMS", "multiRegion": False}, {"keyMetadata": {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "origin": "AWS_KMS"}}, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com"),
        rec(c, "kms.amazonaws.com", "EnableKeyRotation", cfn(), {"keyId": KEY}, None, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com")]),
])
add("bedrock-model-access-changed", variants("bedrock-model-abuse", {"model-access-requested-with-keys", "invocation-logging-deleted"}) + [
    ("CloudFormation sets invocation logging", False, [
        rec(c, "bedrock.amazonaws.com", "PutModelInvocationLoggingConfiguration", cfn(), {"loggingConfig": {"s3Config": {"bucketName": "bedrock-invocation-logs", "keyPrefix": "logs/"}, "textDataDeliveryEnabled": True}}, None, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com", region="us-east-1")]),
    ("models listed in the console", False, [
        rec(c, "bedrock.amazonaws.com", "ListFoundationModels", DEV, None, None, ip="198.51.100.7", ua=UA_CONSOLE, read_only=True, region="us-east-1")]),
])
WL = role_session("support-bot-task", "0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d", key="ASIAEXAMPLESUPPORTB1")
add("bedrock-models-probed", variants("bedrock-model-abuse", {"models-probed"}) + [
    ("a workload invoking its model many times", False,
     [rec(c, "bedrock.amazonaws.com", "InvokeModel", WL, {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}, None, ip="54.217.10.21", ua=UA_BOTO, region="us-east-1") for _ in range(6)]
     + [rec(c, "bedrock.amazonaws.com", "Converse", WL, {"modelId": "amazon.titan-embed-text-v2:0"}, None, ip="54.217.10.21", ua=UA_BOTO, region="us-east-1")]),
])
add("access-denied-burst", variants("access-denied-burst") + [
    ("a deployer missing two permissions", False, [
        rec(c, "cloudformation.amazonaws.com", "DescribeStacks", DEPLOYER, {"stackName": "app"}, None, ip="20.1.2.3", error=("AccessDenied", "User: ... is not authorized to perform: cloudformation:DescribeStacks"), read_only=True),
        rec(c, "ssm.amazonaws.com", "GetParameter", DEPLOYER, {"name": "/cdk-bootstrap/hnb659fds/version"}, None, ip="20.1.2.3", error=("AccessDeniedException", "User: ... is not authorized to perform: ssm:GetParameter"), read_only=True),
        rec(c, "cloudformation.amazonaws.com", "DescribeStacks", DEPLOYER, {"stackName": "app"}, None, ip="20.1.2.3", error=("AccessDenied", "User: ... is not authorized to perform: cloudformation:DescribeStacks"), read_only=True)]),
    ("a limited user browsing the console", False,
     [rec(c, s, n, DEV, None, None, ip="198.51.100.7", ua=UA_CONSOLE, error=("AccessDenied", "not authorized"), read_only=True, extra={"sessionCredentialFromConsole": "true"})
      for s, n in [("ce.amazonaws.com", "GetCostAndUsage"), ("health.amazonaws.com", "DescribeEvents"), ("iam.amazonaws.com", "ListRoles"), ("organizations.amazonaws.com", "DescribeOrganization"), ("securityhub.amazonaws.com", "GetFindings")]]),
    ("an AWS service denied across services", False,
     [rec(c, s, n, service("config.amazonaws.com"), None, None, ip="config.amazonaws.com", ua="config.amazonaws.com", error=("AccessDenied", "denied"), read_only=True)
      for s, n in [("s3.amazonaws.com", "GetBucketPolicy"), ("sqs.amazonaws.com", "GetQueueAttributes"), ("sns.amazonaws.com", "GetTopicAttributes"), ("lambda.amazonaws.com", "GetPolicy20150331v2")]]),
])

# ------------------------------------------------------------------ changed rules: variants and ordinary look-alikes
add("s3-bucket-made-public", variants("s3-bucket-public") + [
    ("everyone, but only through one VPC endpoint", False, bp(c, DEPLOYER, pol({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::customer-exports/*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}, "Bool": {"aws:SecureTransport": "true"}}}), seed="vpce")),
    ("CloudTrail's delivery statement", False, bp(c, cfn(), pol({"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::customer-exports/AWSLogs/*", "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": f"arn:aws:cloudtrail:eu-west-1:{ACCT}:trail/t"}}}), seed="ct")),
    ("everyone in the organization", False, bp(c, DEPLOYER, pol({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::customer-exports/*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}), seed="org")),
    ("TLS-only deny for everyone", False, bp(c, cfn(), pol({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": ["arn:aws:s3:::customer-exports", "arn:aws:s3:::customer-exports/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}), seed="tls")),
    ("server access log delivery ACL", False, [rec(c, "s3.amazonaws.com", "PutBucketAcl", cfn(), {"bucketName": "access-logs", "acl": "", "x-amz-grant-write": ["uri=\"http://acs.amazonaws.com/groups/s3/LogDelivery\""]}, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com")]),
    ("object uploaded with bucket-owner-full-control", False, [rec(c, "s3.amazonaws.com", "PutObject", DEPLOYER, {"bucketName": "cdk-hnb659fds-assets-111122223333-eu-west-1", "key": "asset.zip", "x-amz-acl": "bucket-owner-full-control"}, ip="20.1.2.3", extra={"eventCategory": "Data", "managementEvent": False})]),
])
add("iam-admin-policy-attached", variants("iam-admin-granted") + [
    ("user added to the developers group", False, [rec(c, "iam.amazonaws.com", "AddUserToGroup", ADMIN, {"groupName": "developers", "userName": "erin"}, None, ip="198.51.100.7", region="us-east-1")]),
    ("read-only policy created and attached", False, [
        rec(c, "iam.amazonaws.com", "CreatePolicy", DEPLOYER, {"policyName": "reports-read", "policyDocument": text(pol({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "iam:Get*", "iam:List*"], "Resource": "*"}))}, {"policy": {"arn": f"arn:aws:iam::{ACCT}:policy/reports-read"}}, ip="20.1.2.3", region="us-east-1"),
        rec(c, "iam.amazonaws.com", "AttachRolePolicy", DEPLOYER, {"roleName": "reports", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, None, ip="20.1.2.3", region="us-east-1")]),
    ("a role may manage its own service's roles only", False, [rec(c, "iam.amazonaws.com", "PutRolePolicy", DEPLOYER, {"roleName": "ci", "policyName": "pass", "policyDocument": text(pol({"Effect": "Allow", "Action": ["iam:PassRole", "iam:AttachRolePolicy"], "Resource": f"arn:aws:iam::{ACCT}:role/app-*"}))}, None, ip="20.1.2.3", region="us-east-1")]),
])
add("ec2-security-group-open-to-world", variants("security-group-open-to-internet") + [
    ("all traffic from the VPC's private ranges", False, sgi(c, cfn(), perm("-1", None, None, ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]))),
    ("HTTPS from the two halves of the internet", False, sgi(c, cfn(), perm("tcp", 443, 443, ["0.0.0.0/1", "128.0.0.0/1"], ["::/1", "8000::/1"]))),
    ("ping from anywhere", False, sgi(c, cfn(), perm("icmp", -1, -1, ["0.0.0.0/0"]))),
    ("SSH from two office ranges", False, sgi(c, DEPLOYER, perm("tcp", 22, 22, ["198.51.100.0/24", "203.0.113.0/24"], ["2001:db8:1234::/48"]))),
])
add("ec2-unusual-instances-launched", variants("gpu-instances-launched") + [
    ("a fleet of general-purpose instances", False, [rec(c, "ec2.amazonaws.com", "CreateFleet", DEPLOYER, {"CreateFleetRequest": {"Type": "instant", "TargetCapacitySpecification": {"TotalTargetCapacity": 4, "DefaultTargetCapacityType": "spot"}, "LaunchTemplateConfigs": {"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0a1b2c3d4e5f67890", "Version": "3"}, "Overrides": [{"InstanceType": "c7g.large", "tag": 1}, {"InstanceType": "m7g.large", "tag": 2}], "tag": 1}}}, ip="20.1.2.3")]),
    ("attribute-based selection without accelerators", False, [rec(c, "ec2.amazonaws.com", "CreateFleet", DEPLOYER, {"CreateFleetRequest": {"Type": "maintain", "TargetCapacitySpecification": {"TotalTargetCapacity": 4}, "LaunchTemplateConfigs": {"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0a1b2c3d4e5f67890", "Version": "3"}, "Overrides": {"InstanceRequirements": {"VCpuCount": {"Min": 2, "Max": 8}, "MemoryMiB": {"Min": 4096}, "AcceleratorCount": {"Max": 0}}, "tag": 1}, "tag": 1}}}, ip="20.1.2.3")]),
    ("an Auto Scaling group of graviton instances", False, [rec(c, "autoscaling.amazonaws.com", "CreateAutoScalingGroup", cfn(), {"autoScalingGroupName": "web", "minSize": 2, "maxSize": 6, "mixedInstancesPolicy": {"launchTemplate": {"launchTemplateSpecification": {"launchTemplateId": "lt-0a1b2c3d4e5f67890", "version": "3"}, "overrides": [{"instanceType": "c7g.large"}, {"instanceType": "c6g.large"}]}}}, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com")]),
])
add("guardduty-disabled", variants("guardduty-impaired", {"detector-deleted", "detector-disabled", "features-disabled", "data-sources-disabled", "malware-scan-excludes-tag", "left-administrator", "organization-auto-enable-off"}) + [
    ("protection plans enabled", False, [rec(c, "guardduty.amazonaws.com", "UpdateDetector", ADMIN, {"detectorId": DET, "features": [{"name": "S3_DATA_EVENTS", "status": "ENABLED"}, {"name": "RUNTIME_MONITORING", "status": "ENABLED", "additionalConfiguration": [{"name": "ECS_FARGATE_AGENT_MANAGEMENT", "status": "ENABLED"}]}]}, None, ip="198.51.100.7")]),
    ("organization enrols every account", False, [rec(c, "guardduty.amazonaws.com", "UpdateOrganizationConfiguration", ADMIN, {"detectorId": DET, "autoEnableOrganizationMembers": "ALL", "features": [{"name": "S3_DATA_EVENTS", "autoEnable": "ALL"}]}, None, ip="198.51.100.7")]),
])
add("guardduty-findings-suppressed", variants("guardduty-impaired", {"archive-filter", "archive-filter-widened", "trusted-ip-list"}) + [
    ("a saved view (NOOP filter) updated", False, [rec(c, "guardduty.amazonaws.com", "UpdateFilter", ADMIN, {"detectorId": DET, "filterName": "high-only", "action": "NOOP", "findingCriteria": {"criterion": {"severity": {"gte": 7}}}}, None, ip="198.51.100.7")]),
])
LC = lambda rule: [rec(c, "s3.amazonaws.com", "PutBucketLifecycle", cfn(), {"bucketName": "athena-results", "lifecycle": "", "LifecycleConfiguration": {"Rule": rule}}, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com")]
add("s3-lifecycle-short-expiration", variants("logging-silenced", {"log-bucket-lifecycle-one-day", "log-bucket-lifecycle-by-date", "log-bucket-noncurrent-versions-expired"}) + [
    ("expiry at a date months away", False, LC({"ID": "old", "Status": "Enabled", "Filter": {}, "Expiration": {"Date": "2027-06-01T00:00:00Z"}})),
    ("a one-day rule that is disabled", False, LC({"ID": "off", "Status": "Disabled", "Filter": {}, "Expiration": {"Days": 1}})),
    ("old versions kept for 90 days", False, LC([{"ID": "versions", "Status": "Enabled", "Filter": {}, "NoncurrentVersionExpiration": {"NoncurrentDays": 90}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}])),
])
add("config-recording-stopped", variants("logging-silenced", {"config-recorder-stopped", "config-recorder-excludes-iam"}) + [
    ("Control Tower sets the recorder to record everything", False, [rec(c, "config.amazonaws.com", "PutConfigurationRecorder", role_session("AWSControlTowerExecution", "AWSControlTower", key="ASIAEXAMPLECTEXEC001"), {"configurationRecorder": {"name": "aws-controltower-BaselineConfigRecorder", "roleARN": f"arn:aws:iam::{ACCT}:role/aws-controltower-ConfigRecorderRole", "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True, "resourceTypes": [], "exclusionByResourceTypes": {"resourceTypes": []}, "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}}}, None, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com")]),
])
print("ok")
add("iam-identity-provider-changed", [
    ("SAML providers listed by an auditor", False, [rec(c, "iam.amazonaws.com", "ListSAMLProviders", sso("SecurityAudit", "sam@example.com"), None, None, ip="198.51.100.7", read_only=True, region="us-east-1")]),
])
add("bedrock-enumerated-then-invoked", variants("bedrock-model-abuse", {"enumerate-then-invoke-with-role"}) + [
    ("a workload invoking its model", False, [rec(c, "bedrock.amazonaws.com", "InvokeModel", WL, {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}, None, ip="54.217.10.21", ua=UA_BOTO, region="us-east-1") for _ in range(3)]),
    ("a developer trying models in the console playground", False, [
        rec(c, "bedrock.amazonaws.com", "ListFoundationModels", DEV, None, None, ip="198.51.100.7", ua=UA_CONSOLE, read_only=True, region="us-east-1", extra={"sessionCredentialFromConsole": "true"}),
        rec(c, "bedrock.amazonaws.com", "InvokeModel", DEV, {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}, None, ip="198.51.100.7", ua=UA_CONSOLE, region="us-east-1", extra={"sessionCredentialFromConsole": "true"})]),
])
add("bedrock-used-with-long-term-keys", variants("bedrock-model-abuse", {"invoke-with-access-keys", "validation-probe", "availability-checked-with-access-keys"}) + [
    ("a workload role invoking a model", False, [rec(c, "bedrock.amazonaws.com", "InvokeModel", WL, {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}, None, ip="54.217.10.21", ua=UA_BOTO, region="us-east-1")]),
    ("model availability checked in the console", False, [rec(c, "bedrock.amazonaws.com", "GetFoundationModelAvailability", DEV, {"modelId": "anthropic.claude-3-5-sonnet-20240620-v1:0"}, None, ip="198.51.100.7", ua=UA_CONSOLE, read_only=True, region="us-east-1", extra={"sessionCredentialFromConsole": "true"})]),
])
CI = role_session("github-actions-deploy", "GitHubActions-run-4242", key="ASIAEXAMPLEGHACTION2")
CFG = role_session("AWSServiceRoleForConfig", "AWSConfig-Describe", path="aws-service-role/config.amazonaws.com/", key="ASIAEXAMPLECONFIG001")
add("account-reconnaissance", variants("account-reconnaissance") + [
    ("a CI job looking itself up before a deploy", False, [rec(c, s_, n, CI, None, None, ip="20.1.2.3", read_only=True) for s_, n in [("sts.amazonaws.com", "GetCallerIdentity"), ("s3.amazonaws.com", "ListBuckets"), ("ec2.amazonaws.com", "DescribeImages"), ("sts.amazonaws.com", "GetCallerIdentity")]]),
    ("AWS Config recording the account", False, [rec(c, s_, n, CFG, None, None, ip="config.amazonaws.com", ua="config.amazonaws.com", read_only=True) for s_, n in [("iam.amazonaws.com", "ListUsers"), ("iam.amazonaws.com", "ListRoles"), ("iam.amazonaws.com", "ListPolicies"), ("iam.amazonaws.com", "GetAccountAuthorizationDetails"), ("s3.amazonaws.com", "ListBuckets"), ("cloudtrail.amazonaws.com", "DescribeTrails")]]),
    ("an Identity Center administrator exploring with the CLI", False, [rec(c, s_, n, ADMIN, None, None, ip="198.51.100.7", read_only=True) for s_, n in [("sts.amazonaws.com", "GetCallerIdentity"), ("iam.amazonaws.com", "ListRoles"), ("iam.amazonaws.com", "ListUsers"), ("s3.amazonaws.com", "ListBuckets"), ("cloudtrail.amazonaws.com", "DescribeTrails"), ("guardduty.amazonaws.com", "ListDetectors")]]),
])
WEB = {"type": "AssumedRole", "principalId": "AROAEXAMPLEWEBIDENT1:botocore-session-1", "arn": f"arn:aws:sts::{ACCT}:assumed-role/mobile-app/botocore-session-1", "accountId": ACCT, "accessKeyId": "ASIAEXAMPLEWEBIDENT1"}
add("ec2-instance-credentials-used-elsewhere", [
    ("a session whose record has no session context", False, [rec(c, "s3.amazonaws.com", "ListBuckets", WEB, {"Host": "s3.eu-west-1.amazonaws.com"}, None, ip=ip, read_only=True) for ip in ["198.51.100.7", "203.0.113.99"]]),
])
add("log-delivery-blocked", variants("logging-silenced", {"log-bucket-refuses-cloudtrail", "trail-key-refuses-cloudtrail"}) + [
    ("everyone denied s3:PutObject", True, bp(c, A, pol({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::org-cloudtrail-logs/*"}), seed="denyall")),
    ("TLS-only and encryption-only denies", False, bp(c, cfn(), pol({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::org-cloudtrail-logs/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                                                             {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::org-cloudtrail-logs/*", "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}), seed="tlsonly")),
    ("CloudTrail's own delivery statements", False, bp(c, cfn(), pol({"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::org-cloudtrail-logs"},
                                                             {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::org-cloudtrail-logs/AWSLogs/*", "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}), seed="ctallow")),
])
add("lambda-function-public", [
    ("every account of the organization may invoke", False, [rec(c, "lambda.amazonaws.com", "AddPermission20150331v2", DEPLOYER, {"functionName": "shared-lookup", "statementId": "org", "action": "lambda:InvokeFunction", "principal": "*", "principalOrgID": "o-a1b2c3d4e5"}, None, ip="20.1.2.3")]),
    ("an S3 bucket's notifications through a source ARN", False, [rec(c, "lambda.amazonaws.com", "AddPermission20150331v2", DEPLOYER, {"functionName": "thumbnailer", "statementId": "s3-uploads", "action": "lambda:InvokeFunction", "principal": "*", "sourceArn": "arn:aws:s3:::uploads-111122223333", "sourceAccount": ACCT}, None, ip="20.1.2.3")]),
])
add("rds-restored-publicly", [
    ("Multi-AZ DB cluster restored as public", True, [rec(c, "rds.amazonaws.com", "RestoreDBClusterFromSnapshot", A, {"dBClusterIdentifier": "ledger-copy", "snapshotIdentifier": "ledger-2026-11-01", "engine": "postgres", "dBClusterInstanceClass": "db.m6gd.large", "publiclyAccessible": True}, {"dBClusterIdentifier": "ledger-copy", "publiclyAccessible": True})]),
])
add("signin-token-from-api-credentials", [
    ("Identity Center credentials from a laptop's SSO cache turned into a console session", True, [
        rec(c, "signin.amazonaws.com", "GetSigninToken", sso("AdministratorAccess", "alice@example.com"), None, {"GetSigninToken": "Success"}, ip=ATTACKER_IP, ua="python-requests/2.32.3", region="us-east-1", extra={"eventType": "AwsConsoleSignIn"})]),
])
add("s3-lifecycle-short-expiration", [
    ("every object expires at a date three weeks away", True, LC({"ID": "bomb", "Status": "Enabled", "Filter": {}, "Expiration": {"Date": "2026-11-23T00:00:00Z"}})),
])
add("rds-master-password-reset", [
    ("backup window changed, the response without pending values", False, [
        rec(c, "rds.amazonaws.com", "ModifyDBInstance", DEPLOYER, {"dBInstanceIdentifier": "orders-prod", "preferredBackupWindow": "02:00-03:00"}, {"dBInstanceIdentifier": "orders-prod", "preferredBackupWindow": "02:00-03:00"}, ip="20.1.2.3")]),
])

BACKUP_SLR = role_session("AWSServiceRoleForBackup", "AWSBackup-AWSServiceRoleForBackup", path="aws-service-role/backup.amazonaws.com/", key="ASIAEXAMPLEBACKUPSLR1")
add("s3-versioning-suspended", variants("recovery-removed", {"bucket-versioning-suspended"}) + [
    ("versioning enabled", False, [rec(c, "s3.amazonaws.com", "PutBucketVersioning", DEPLOYER, {"bucketName": "customer-exports", "versioning": "", "VersioningConfiguration": {"Status": "Enabled"}}, None, ip="20.1.2.3")]),
    ("CloudFormation suspends versioning it manages", False, [rec(c, "s3.amazonaws.com", "PutBucketVersioning", cfn(), {"bucketName": "scratch-data", "versioning": "", "VersioningConfiguration": {"Status": "Suspended"}}, None, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com")]),
])
add("backup-recovery-removed", variants("recovery-removed", {"recovery-points-deleted", "retention-cut-to-a-day", "vault-lock-removed-then-vault-deleted"}) + [
    ("AWS Backup expires a recovery point", False, [rec(c, "backup.amazonaws.com", "DeleteRecoveryPoint", BACKUP_SLR, {"backupVaultName": "Default", "recoveryPointArn": "arn:aws:ec2:eu-west-1::snapshot/snap-0fedcba9876543210"}, None, ip="backup.amazonaws.com", ua="backup.amazonaws.com")]),
    ("retention extended to a year", False, [rec(c, "backup.amazonaws.com", "UpdateRecoveryPointLifecycle", ADMIN, {"backupVaultName": "prod-vault", "recoveryPointArn": "arn:aws:ec2:eu-west-1::snapshot/snap-0a", "lifecycle": {"deleteAfterDays": 365}}, None, ip="198.51.100.7")]),
    ("CloudFormation tears down an ephemeral environment's plan", False, [rec(c, "backup.amazonaws.com", "DeleteBackupPlan", cfn(), {"backupPlanId": "0a1b2c3d-4e5f-6789-0abc-def012345678"}, None, ip="cloudformation.amazonaws.com", ua="cloudformation.amazonaws.com")]),
])
add("route53-domain-transfer", variants("domain-takeover") + [
    ("domain renewed and contact updated", False, [
        rec(c, "route53domains.amazonaws.com", "RenewDomain", ADMIN, {"domainName": "example-shop.com", "durationInYears": 1, "currentExpiryYear": 2027}, {"operationId": "3c4d"}, ip="198.51.100.7", region="us-east-1"),
        rec(c, "route53domains.amazonaws.com", "EnableDomainTransferLock", ADMIN, {"domainName": "example-shop.com"}, {"operationId": "4d5e"}, ip="198.51.100.7", region="us-east-1")]),
])
