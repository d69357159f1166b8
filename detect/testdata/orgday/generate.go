//go:build ignore

// Command generate writes day.json.gz: one ordinary working day (2026-11-03, UTC) of a
// 9-account organization as CloudTrail records, deterministically (a fixed seed). The
// scenarios are described in README.md; manifest.yaml lists the alerts wanted. Regenerate with
//
//	go run detect/testdata/orgday/generate.go
//
// Record shapes follow the CloudTrail record contents and userIdentity references
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html,
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html)
// and each API's request parameters as its API reference names them.
package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

const (
	orgID    = "o-k3p9x2m7qa"
	mgmt     = "210987654321"
	security = "310987654321"
	logs     = "410987654321"
	shared   = "510987654321" // shared services: image pipeline, artifacts
	ci       = "610987654321"
	prod     = "710987654321"
	staging  = "810987654321"
	dev      = "910987654321"
	vended   = "120987654321" // created today through Account Factory: not yet in the config
	region   = "eu-west-1"
)

var (
	rng   = rand.New(rand.NewPCG(20261103, 22))
	day   = time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	recs  []map[string]any
	users = []string{"alice", "bob", "carol", "dan", "erin", "farid", "grace", "hiro", "ines", "jon", "kemi", "lena"}
)

func uuid() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func at(h, m int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(rng.IntN(60))*time.Second)
}

// role is an assumed-role identity.
func role(account, name, path, session string, extra map[string]any) map[string]any {
	pid := "AROA" + strings.ToUpper(fmt.Sprintf("%x", []byte(name))[:16])
	ui := map[string]any{
		"type": "AssumedRole", "principalId": pid + ":" + session,
		"arn":       "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + session,
		"accountId": account, "accessKeyId": "ASIA" + strings.ToUpper(fmt.Sprintf("%016x", rng.Uint64())),
		"sessionContext": map[string]any{
			"sessionIssuer": map[string]any{"type": "Role", "principalId": pid, "arn": "arn:aws:iam::" + account + ":role/" + path + name, "accountId": account, "userName": name},
			"attributes":    map[string]any{"creationDate": day.Add(7 * time.Hour).Format(time.RFC3339), "mfaAuthenticated": "false"},
		},
	}
	for k, v := range extra {
		ui[k] = v
	}
	return ui
}

func sso(account, user, permSet string) map[string]any {
	return role(account, "AWSReservedSSO_"+permSet+"_"+fmt.Sprintf("%x", []byte(permSet+account))[:16], "aws-reserved/sso.amazonaws.com/"+region+"/", user+"@example.com", nil)
}

func slr(account, name, service string) map[string]any {
	return role(account, name, "aws-service-role/"+service+"/", strings.TrimPrefix(name, "AWSServiceRoleFor"), map[string]any{"invokedBy": service})
}

func cfnExec(account string) map[string]any {
	return role(account, "cdk-hnb659fds-cfn-exec-role-"+account+"-"+region, "", "AWSCloudFormation", map[string]any{"invokedBy": "cloudformation.amazonaws.com"})
}

func awsService(svc string) map[string]any {
	return map[string]any{"type": "AWSService", "invokedBy": svc}
}

type ev struct {
	t       time.Time
	account string
	ui      map[string]any
	source  string
	name    string
	rp      any
	resp    any
	ro      bool
	ip, ua  string
	extra   map[string]any
}

func emit(e ev) {
	ip, ua := e.ip, e.ua
	if ip == "" {
		ip = fmt.Sprintf("198.51.100.%d", 10+rng.IntN(200))
	}
	if ua == "" {
		ua = "aws-cli/2.22.10 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6"
	}
	if by, _ := e.ui["invokedBy"].(string); by != "" && e.ip == "" {
		ip, ua = by, by
	}
	r := map[string]any{
		"eventVersion": "1.10", "userIdentity": e.ui, "eventTime": e.t.Format(time.RFC3339),
		"eventSource": e.source, "eventName": e.name, "awsRegion": region,
		"sourceIPAddress": ip, "userAgent": ua, "requestParameters": e.rp, "responseElements": e.resp,
		"requestID": uuid(), "eventID": uuid(), "readOnly": e.ro, "eventType": "AwsApiCall",
		"managementEvent": true, "recipientAccountId": e.account, "eventCategory": "Management",
	}
	if !strings.HasSuffix(ip, ".amazonaws.com") {
		r["tlsDetails"] = map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
			"clientProvidedHostHeader": strings.TrimSuffix(e.source, ".amazonaws.com") + "." + region + ".amazonaws.com"}
	}
	for k, v := range e.extra {
		r[k] = v
	}
	recs = append(recs, r)
}

func policy(st ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": st})
	return string(b)
}

func main() {
	accounts := []string{mgmt, security, logs, shared, ci, prod, staging, dev}
	workloads := []string{prod, staging, dev}

	// 1. Identity Center sign-ins and everyday read-only browsing.
	for i, u := range users {
		acct := workloads[i%3]
		perm := []string{"ReadOnlyAccess", "PowerUserAccess", "AdministratorAccess"}[i%3]
		h := 8 + i%3
		emit(ev{t: at(h, rng.IntN(30)), account: acct, ui: sso(acct, u, perm), source: "signin.amazonaws.com", name: "ConsoleLogin",
			resp: map[string]any{"ConsoleLogin": "Success"}, ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
			extra: map[string]any{"additionalEventData": map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No"}, "eventType": "AwsConsoleSignIn", "readOnly": false}})
		reads := []struct{ src, name string }{
			{"ec2.amazonaws.com", "DescribeInstances"}, {"ec2.amazonaws.com", "DescribeSecurityGroups"}, {"s3.amazonaws.com", "ListBuckets"},
			{"lambda.amazonaws.com", "ListFunctions20150331"}, {"logs.amazonaws.com", "DescribeLogGroups"}, {"cloudwatch.amazonaws.com", "DescribeAlarms"},
			{"ecs.amazonaws.com", "ListClusters"}, {"ecs.amazonaws.com", "DescribeServices"}, {"rds.amazonaws.com", "DescribeDBInstances"},
			{"iam.amazonaws.com", "ListRoles"}, {"cloudformation.amazonaws.com", "DescribeStacks"}, {"dynamodb.amazonaws.com", "DescribeTable"},
		}
		for k := 0; k < 110; k++ {
			r := reads[rng.IntN(len(reads))]
			emit(ev{t: at(h+rng.IntN(8), rng.IntN(60)), account: acct, ui: sso(acct, u, perm), source: r.src, name: r.name, ro: true,
				rp: map[string]any{}, ua: "AWS Internal", extra: map[string]any{"sessionCredentialFromConsole": "true"}})
		}
	}

	// 2. CI: cdk deploy through the bootstrap roles, CloudFormation acting with the exec role.
	for d, acct := range []string{dev, dev, staging, dev, staging, prod, dev, staging, prod, dev} {
		h := 9 + d
		emit(ev{t: at(h, 0), account: acct, ui: role(ci, "github-actions-deploy", "", "GitHubActions", nil), source: "sts.amazonaws.com", name: "AssumeRole",
			rp: map[string]any{"roleArn": "arn:aws:iam::" + acct + ":role/cdk-hnb659fds-deploy-role-" + acct + "-" + region, "roleSessionName": "aws-cdk-runner"}})
		dep := role(acct, "cdk-hnb659fds-deploy-role-"+acct+"-"+region, "", "aws-cdk-runner", nil)
		emit(ev{t: at(h, 1), account: acct, ui: dep, source: "cloudformation.amazonaws.com", name: "CreateChangeSet", rp: map[string]any{"stackName": "orders", "changeSetName": "cdk-deploy-change-set"}})
		emit(ev{t: at(h, 2), account: acct, ui: dep, source: "cloudformation.amazonaws.com", name: "ExecuteChangeSet", rp: map[string]any{"stackName": "orders", "changeSetName": "cdk-deploy-change-set"}})
		for k := 0; k < 8; k++ {
			emit(ev{t: at(h, 2+k), account: acct, ui: dep, source: "cloudformation.amazonaws.com", name: "DescribeStackEvents", ro: true, rp: map[string]any{"stackName": "orders"}})
		}
		x := cfnExec(acct)
		fn := "arn:aws:lambda:" + region + ":" + acct + ":function:orders-api"
		emit(ev{t: at(h, 3), account: acct, ui: x, source: "lambda.amazonaws.com", name: "UpdateFunctionCode20150331v2",
			rp: map[string]any{"functionName": fn, "s3Bucket": "cdk-hnb659fds-assets-" + acct + "-" + region, "s3Key": fmt.Sprintf("%x.zip", rng.Uint64()), "publish": false}})
		emit(ev{t: at(h, 3), account: acct, ui: x, source: "lambda.amazonaws.com", name: "UpdateFunctionConfiguration20150331v2",
			rp: map[string]any{"functionName": fn, "layers": []any{"arn:aws:lambda:" + region + ":" + acct + ":layer:deps:" + fmt.Sprint(3+d)}}})
		emit(ev{t: at(h, 4), account: acct, ui: x, source: "lambda.amazonaws.com", name: "AddPermission20150331v2",
			rp: map[string]any{"functionName": fn, "statementId": "apigw", "action": "lambda:InvokeFunction", "principal": "apigateway.amazonaws.com",
				"sourceArn": "arn:aws:execute-api:" + region + ":" + acct + ":a1b2c3d4e5/*/POST/orders"}})
		emit(ev{t: at(h, 4), account: acct, ui: x, source: "iam.amazonaws.com", name: "UpdateAssumeRolePolicy",
			rp: map[string]any{"roleName": "orders-api-role", "policyDocument": policy(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})}})
		emit(ev{t: at(h, 5), account: acct, ui: x, source: "ec2.amazonaws.com", name: "AuthorizeSecurityGroupIngress",
			rp: map[string]any{"groupId": "sg-0a1b2c3d4e5f60718", "ipPermissions": map[string]any{"items": []any{map[string]any{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipRanges": map[string]any{"items": []any{map[string]any{"cidrIp": "0.0.0.0/0"}}}}}}}})
		if d == 5 || d == 8 {
			// The ALB access-log bucket names the regional Elastic Load Balancing account.
			emit(ev{t: at(h, 6), account: acct, ui: x, source: "s3.amazonaws.com", name: "PutBucketPolicy",
				rp: map[string]any{"bucketName": "orders-alb-logs-" + acct, "bucketPolicy": map[string]any{"Version": "2012-10-17", "Statement": []any{
					map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::156460612806:root"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::orders-alb-logs-" + acct + "/AWSLogs/" + acct + "/*"}}}}})
			// Athena query results expire after a day.
			emit(ev{t: at(h, 6), account: acct, ui: x, source: "s3.amazonaws.com", name: "PutBucketLifecycle",
				rp: map[string]any{"bucketName": "orders-athena-results-" + acct, "LifecycleConfiguration": map[string]any{"Rule": map[string]any{"ID": "expire", "Status": "Enabled", "Filter": map[string]any{"Prefix": ""}, "Expiration": map[string]any{"Days": 1}}}}})
			emit(ev{t: at(h, 7), account: acct, ui: x, source: "kms.amazonaws.com", name: "CreateKey",
				rp: map[string]any{"policy": policy(map[string]any{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, "Action": "kms:*", "Resource": "*"}),
					"description": "orders data", "keyUsage": "ENCRYPT_DECRYPT", "keySpec": "SYMMETRIC_DEFAULT", "origin": "AWS_KMS", "bypassPolicyLockoutSafetyCheck": false, "multiRegion": false}})
		}
	}

	// 3. AWS Config, GuardDuty, Security Hub and Access Analyzer at work in every account.
	for _, acct := range accounts {
		for k := 0; k < 60; k++ {
			n := []string{"DescribeInstances", "DescribeSecurityGroups", "DescribeVpcs", "DescribeSubnets", "DescribeVolumes"}[k%5]
			emit(ev{t: at(rng.IntN(24), rng.IntN(60)), account: acct, ui: slr(acct, "AWSServiceRoleForConfig", "config.amazonaws.com"), source: "ec2.amazonaws.com", name: n, ro: true, rp: map[string]any{}})
		}
		for k := 0; k < 20; k++ {
			emit(ev{t: at(rng.IntN(24), rng.IntN(60)), account: acct, ui: awsService("config.amazonaws.com"), source: "config.amazonaws.com", name: "PutEvaluations", rp: map[string]any{"resultToken": "<redacted>"}})
		}
		for k := 0; k < 25; k++ {
			n := []string{"GetBucketPolicy", "GetBucketAcl", "GetBucketPublicAccessBlock", "GetBucketPolicyStatus"}[k%4]
			emit(ev{t: at(rng.IntN(24), rng.IntN(60)), account: acct, ui: slr(acct, "AWSServiceRoleForAccessAnalyzer", "access-analyzer.amazonaws.com"), source: "s3.amazonaws.com", name: n, ro: true, rp: map[string]any{"bucketName": "orders-data-" + acct}})
		}
		for k := 0; k < 25; k++ {
			n := []string{"DescribeInstances", "DescribeImages", "DescribeSnapshots"}[k%3]
			emit(ev{t: at(rng.IntN(24), rng.IntN(60)), account: acct, ui: slr(acct, "AWSServiceRoleForAmazonGuardDuty", "guardduty.amazonaws.com"), source: "ec2.amazonaws.com", name: n, ro: true, rp: map[string]any{}})
		}
		for k := 0; k < 20; k++ {
			n := []string{"GetAccountPasswordPolicy", "ListUsers", "GetAccountSummary", "ListPolicies"}[k%4]
			emit(ev{t: at(rng.IntN(24), rng.IntN(60)), account: acct, ui: slr(acct, "AWSServiceRoleForSecurityHub", "securityhub.amazonaws.com"), source: "iam.amazonaws.com", name: n, ro: true, rp: map[string]any{}})
		}
	}
	// GuardDuty Malware Protection scans an instance in prod: snapshot, share with GuardDuty, delete.
	for s := 0; s < 3; s++ {
		mp := slr(prod, "AWSServiceRoleForAmazonGuardDutyMalwareProtection", "malware-protection.guardduty.amazonaws.com")
		snap := fmt.Sprintf("snap-0%016x", rng.Uint64())
		emit(ev{t: at(13+s, 10), account: prod, ui: mp, source: "ec2.amazonaws.com", name: "CreateSnapshot", rp: map[string]any{"volumeId": fmt.Sprintf("vol-0%016x", rng.Uint64()), "description": "Snapshot created by GuardDuty for malware scan"}})
		emit(ev{t: at(13+s, 12), account: prod, ui: mp, source: "ec2.amazonaws.com", name: "ModifySnapshotAttribute",
			rp: map[string]any{"snapshotId": snap, "attributeType": "CREATE_VOLUME_PERMISSION", "createVolumePermission": map[string]any{"add": map[string]any{"items": []any{map[string]any{"userId": "705914394185"}}}}}})
		emit(ev{t: at(13+s, 40), account: prod, ui: mp, source: "ec2.amazonaws.com", name: "DeleteSnapshot", rp: map[string]any{"snapshotId": snap}})
	}

	// 4. ECS tasks start: the execution role fetches secrets and SecureString parameters.
	for k := 0; k < 24; k++ {
		acct := workloads[k%3]
		task := fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
		exec := role(acct, "orders-TaskExecutionRole", "", task, nil)
		h, m := 6+k%14, rng.IntN(50)
		for s := 0; s < 6; s++ {
			emit(ev{t: at(h, m), account: acct, ui: exec, source: "secretsmanager.amazonaws.com", name: "GetSecretValue", ro: true,
				rp: map[string]any{"secretId": fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:orders/secret-%d-AbCdEf", region, acct, s)}, ip: "ecs-tasks.amazonaws.com", ua: "ecs-tasks.amazonaws.com"})
		}
		names := []any{}
		for p := 0; p < 12; p++ {
			names = append(names, fmt.Sprintf("/orders/config/param-%d", p))
		}
		emit(ev{t: at(h, m), account: acct, ui: exec, source: "ssm.amazonaws.com", name: "GetParameters", ro: true,
			rp: map[string]any{"names": names, "withDecryption": true}, ip: "ecs-tasks.amazonaws.com", ua: "ecs-tasks.amazonaws.com"})
	}

	// 5. A Lambda function processes uploads and deletes them (S3 data events).
	for k := 0; k < 400; k++ {
		fnName := "uploads-processor"
		ui := role(prod, "uploads-processor-role", "", fnName, map[string]any{"inScopeOf": map[string]any{"issuerType": "AWS::Lambda::Function", "credentialsIssuedTo": "arn:aws:lambda:" + region + ":" + prod + ":function:" + fnName}})
		key := fmt.Sprintf("incoming/%s.csv", uuid())
		t := at(8+k/40, (k%40)*1)
		for _, n := range []string{"GetObject", "DeleteObject"} {
			emit(ev{t: t, account: prod, ui: ui, source: "s3.amazonaws.com", name: n, ro: n == "GetObject", rp: map[string]any{"bucketName": "orders-uploads-" + prod, "key": key},
				ua:    "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.24 exec-env/AWS_Lambda_provided.al2023",
				extra: map[string]any{"managementEvent": false, "eventCategory": "Data", "resources": []any{map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::orders-uploads-" + prod + "/" + key}}}})
		}
	}

	// 6. Identity Center provisions permission sets into the workload accounts.
	for _, acct := range workloads {
		s := slr(acct, "AWSServiceRoleForSSO", "sso.amazonaws.com")
		rn := "AWSReservedSSO_AdministratorAccess_" + fmt.Sprintf("%x", []byte("AdministratorAccess"+acct))[:16]
		emit(ev{t: at(11, 5), account: acct, ui: s, source: "iam.amazonaws.com", name: "CreateRole", rp: map[string]any{"roleName": rn, "path": "/aws-reserved/sso.amazonaws.com/" + region + "/",
			"assumeRolePolicyDocument": policy(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": "arn:aws:iam::" + acct + ":saml-provider/AWSSSO_0a1b2c3d4e5f6789_DO_NOT_DELETE"}, "Action": []any{"sts:AssumeRoleWithSAML", "sts:TagSession"}, "Condition": map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}})}})
		emit(ev{t: at(11, 6), account: acct, ui: s, source: "iam.amazonaws.com", name: "AttachRolePolicy", rp: map[string]any{"roleName": rn, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}})
		emit(ev{t: at(11, 6), account: acct, ui: s, source: "iam.amazonaws.com", name: "UpdateAssumeRolePolicy", rp: map[string]any{"roleName": rn,
			"policyDocument": policy(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": "arn:aws:iam::" + acct + ":saml-provider/AWSSSO_0a1b2c3d4e5f6789_DO_NOT_DELETE"}, "Action": []any{"sts:AssumeRoleWithSAML", "sts:TagSession"}})}})
	}

	// 7. Account Factory vends an account; Control Tower's StackSets set up its baseline.
	ctAdmin := role(mgmt, "AWSControlTowerAdmin", "service-role/", "AWSControlTowerAdmin", map[string]any{"invokedBy": "controltower.amazonaws.com"})
	emit(ev{t: at(10, 30), account: mgmt, ui: ctAdmin, source: "organizations.amazonaws.com", name: "CreateAccount", rp: map[string]any{"accountName": "payments-dev", "email": "aws+payments-dev@example.com"}})
	emit(ev{t: at(10, 40), account: mgmt, ui: ctAdmin, source: "organizations.amazonaws.com", name: "MoveAccount", rp: map[string]any{"accountId": vended, "sourceParentId": "r-ab12", "destinationParentId": "ou-ab12-workload1"}})
	stx := role(vended, "stacksets-exec-0a1b2c3d4e5f67890a1b2c3d4e5f6789", "", "AWSCloudFormation", map[string]any{"invokedBy": "cloudformation.amazonaws.com"})
	for _, rn := range []string{"aws-controltower-AdministratorExecutionRole", "aws-controltower-ReadOnlyExecutionRole"} {
		emit(ev{t: at(10, 50), account: vended, ui: stx, source: "iam.amazonaws.com", name: "CreateRole", rp: map[string]any{"roleName": rn,
			"assumeRolePolicyDocument": policy(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + security + ":root"}, "Action": "sts:AssumeRole"})}})
	}
	emit(ev{t: at(10, 52), account: vended, ui: stx, source: "config.amazonaws.com", name: "PutConfigurationRecorder", rp: map[string]any{"configurationRecorder": map[string]any{"name": "aws-controltower-BaselineConfigRecorder"}}})
	for k := 0; k < 30; k++ {
		emit(ev{t: at(10, 53), account: vended, ui: stx, source: "cloudformation.amazonaws.com", name: "DescribeStacks", ro: true, rp: map[string]any{}})
	}

	// 8. The nightly teardown of an ephemeral environment in dev, through CloudFormation.
	x := cfnExec(dev)
	emit(ev{t: at(19, 0), account: dev, ui: role(dev, "cdk-hnb659fds-deploy-role-"+dev+"-"+region, "", "aws-cdk-runner", nil), source: "cloudformation.amazonaws.com", name: "DeleteStack", rp: map[string]any{"stackName": "pr-1234"}})
	emit(ev{t: at(19, 2), account: dev, ui: x, source: "ec2.amazonaws.com", name: "DeleteFlowLogs", rp: map[string]any{"DeleteFlowLogsRequest": map[string]any{"FlowLogId": map[string]any{"tag": 1, "content": "fl-0a1b2c3d4e5f60718"}}}})
	emit(ev{t: at(19, 3), account: dev, ui: x, source: "kms.amazonaws.com", name: "ScheduleKeyDeletion", rp: map[string]any{"keyId": "arn:aws:kms:" + region + ":" + dev + ":key/1234abcd-12ab-34cd-56ef-1234567890ab", "pendingWindowInDays": 7}})
	emit(ev{t: at(19, 3), account: dev, ui: x, source: "route53resolver.amazonaws.com", name: "DisassociateResolverQueryLogConfig", rp: map[string]any{"resolverQueryLogConfigId": "rqlc-0a1b2c3d4e5f6071", "resourceId": "vpc-0a1b2c3d4e5f60718"}})
	autoDelete := role(dev, "pr-1234-CustomS3AutoDeleteObjectsCustomResourceProviderRole-AbC123", "", "pr-1234-CustomS3AutoDeleteObjectsCustomResourc-AbC123",
		map[string]any{"inScopeOf": map[string]any{"issuerType": "AWS::Lambda::Function", "credentialsIssuedTo": "arn:aws:lambda:" + region + ":" + dev + ":function:pr-1234-CustomS3AutoDeleteObjectsCustomResourc-AbC123"}})
	for k := 0; k < 40; k++ {
		emit(ev{t: at(19, 4), account: dev, ui: autoDelete, source: "s3.amazonaws.com", name: "DeleteObject", rp: map[string]any{"bucketName": "pr-1234-assets", "key": fmt.Sprintf("static/%d.js", k)},
			extra: map[string]any{"managementEvent": false, "eventCategory": "Data"}})
	}

	// 9. Sharing inside the organization.
	img := role(shared, "EC2ImageBuilderDistributionRole", "", "imagebuilder", nil)
	for k := 0; k < 3; k++ {
		emit(ev{t: at(7+k, 15), account: shared, ui: img, source: "ec2.amazonaws.com", name: "ModifyImageAttribute",
			rp: map[string]any{"imageId": fmt.Sprintf("ami-0%016x", rng.Uint64()), "attributeType": "launchPermission",
				"launchPermission": map[string]any{"add": map[string]any{"items": []any{map[string]any{"userId": prod}, map[string]any{"userId": staging}, map[string]any{"userId": dev}}}}}})
	}
	emit(ev{t: at(9, 40), account: shared, ui: sso(shared, "grace", "AdministratorAccess"), source: "s3.amazonaws.com", name: "PutBucketPolicy",
		rp: map[string]any{"bucketName": "build-artifacts-" + shared, "bucketPolicy": map[string]any{"Version": "2012-10-17", "Statement": []any{
			map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + ci + ":role/github-actions-deploy"}, "Action": []any{"s3:GetObject", "s3:PutObject"}, "Resource": "arn:aws:s3:::build-artifacts-" + shared + "/*"},
			map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::build-artifacts-" + shared + "/*", "Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": orgID}}}}}}})
	emit(ev{t: at(14, 20), account: prod, ui: role(prod, "backup-operator", "", "nightly", nil), source: "rds.amazonaws.com", name: "ModifyDBSnapshotAttribute",
		rp: map[string]any{"dBSnapshotIdentifier": "orders-2026-11-03", "attributeName": "restore", "valuesToAdd": []any{logs}}})

	// 10. What the security team wants to hear about (manifest.yaml).
	// a. The break-glass IAM user signs in without MFA.
	emit(ev{t: at(15, 5), account: mgmt, ui: map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEBREAKGLASS", "arn": "arn:aws:iam::" + mgmt + ":user/breakglass", "accountId": mgmt, "userName": "breakglass"},
		source: "signin.amazonaws.com", name: "ConsoleLogin", resp: map[string]any{"ConsoleLogin": "Success"}, ip: "203.0.113.77", ua: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		extra: map[string]any{"additionalEventData": map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No"}, "eventType": "AwsConsoleSignIn"}})
	// b. The root user of staging signs in.
	emit(ev{t: at(16, 1), account: staging, ui: map[string]any{"type": "Root", "principalId": staging, "arn": "arn:aws:iam::" + staging + ":root", "accountId": staging},
		source: "signin.amazonaws.com", name: "ConsoleLogin", resp: map[string]any{"ConsoleLogin": "Success"}, ip: "203.0.113.78", ua: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		extra: map[string]any{"additionalEventData": map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "Yes"}, "eventType": "AwsConsoleSignIn"}})
	// c. A developer lets a vendor's account read a data bucket.
	emit(ev{t: at(16, 30), account: prod, ui: sso(prod, "dan", "AdministratorAccess"), source: "s3.amazonaws.com", name: "PutBucketPolicy",
		rp: map[string]any{"bucketName": "orders-data-" + prod, "bucketPolicy": map[string]any{"Version": "2012-10-17", "Statement": []any{
			map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + ci + ":root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::orders-data-" + prod + "/*"},
			map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::444455556666:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::orders-data-" + prod + "/*"}}}}})
	// d. SSH opened to the internet by hand.
	emit(ev{t: at(17, 10), account: dev, ui: sso(dev, "jon", "PowerUserAccess"), source: "ec2.amazonaws.com", name: "AuthorizeSecurityGroupIngress",
		rp: map[string]any{"groupId": "sg-0f1e2d3c4b5a69788", "ipPermissions": map[string]any{"items": []any{map[string]any{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": map[string]any{"items": []any{map[string]any{"cidrIp": "0.0.0.0/0"}}}}}}}})
	// e. An access key created for another IAM user.
	emit(ev{t: at(17, 40), account: mgmt, ui: map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEBREAKGLASS", "arn": "arn:aws:iam::" + mgmt + ":user/breakglass", "accountId": mgmt, "userName": "breakglass"},
		source: "iam.amazonaws.com", name: "CreateAccessKey", rp: map[string]any{"userName": "legacy-backup"}, ip: "203.0.113.77",
		resp: map[string]any{"accessKey": map[string]any{"accessKeyId": "AKIAEXAMPLELEGACY01", "status": "Active", "userName": "legacy-backup", "createDate": "Nov 3, 2026 5:40:12 PM"}}})
	// f. A function opened to an outside account, by a developer's own stack (not a deployer).
	emit(ev{t: at(18, 15), account: staging, ui: role(staging, "developer", "", "mallory", map[string]any{"invokedBy": "cloudformation.amazonaws.com"}), source: "lambda.amazonaws.com", name: "AddPermission20150331v2",
		rp: map[string]any{"functionName": "arn:aws:lambda:" + region + ":" + staging + ":function:orders-api", "statementId": "partner", "action": "lambda:InvokeFunction", "principal": "444455556666"}})

	sort.SliceStable(recs, func(i, j int) bool { return recs[i]["eventTime"].(string) < recs[j]["eventTime"].(string) })
	_, file, _, _ := runtime.Caller(0)
	out, err := os.Create(filepath.Join(filepath.Dir(file), "day.json.gz"))
	if err != nil {
		panic(err)
	}
	zw, _ := gzip.NewWriterLevel(out, gzip.BestCompression)
	zw.ModTime = day
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"Records": recs}); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	if err := out.Close(); err != nil {
		panic(err)
	}
	fmt.Printf("%d records\n", len(recs))
}
