package execute

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/trailguard/trailguard/internal/respond"
)

// fakes of the EC2, CloudTrail and IAM calls, recording the changing ones.
type fakeEC2 struct {
	rules   []ec2types.SecurityGroupRule
	revoked [][]string
	// revokedFirst: someone else revokes the rules between the read and the revoke, and EC2
	// answers the revoke by rule id with InvalidSecurityGroupRuleId.NotFound.
	revokedFirst bool
}

func (f *fakeEC2) DescribeSecurityGroupRules(context.Context, *ec2.DescribeSecurityGroupRulesInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error) {
	return &ec2.DescribeSecurityGroupRulesOutput{SecurityGroupRules: f.rules}, nil
}

func (f *fakeEC2) RevokeSecurityGroupIngress(_ context.Context, in *ec2.RevokeSecurityGroupIngressInput, _ ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error) {
	if f.revokedFirst {
		f.rules = nil
		return nil, &smithy.GenericAPIError{Code: "InvalidSecurityGroupRuleId.NotFound", Message: "The security group rule ID '" + in.SecurityGroupRuleIds[0] + "' does not exist"}
	}
	f.revoked = append(f.revoked, in.SecurityGroupRuleIds)
	f.rules = slices.DeleteFunc(f.rules, func(r ec2types.SecurityGroupRule) bool {
		return slices.Contains(in.SecurityGroupRuleIds, aws.ToString(r.SecurityGroupRuleId))
	})
	return &ec2.RevokeSecurityGroupIngressOutput{}, nil
}

func (f *fakeEC2) DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	return &ec2.DescribeSecurityGroupsOutput{}, nil
}

type fakeTrail struct {
	logging bool
	started int
}

func (f *fakeTrail) GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	return &cloudtrail.GetTrailStatusOutput{IsLogging: aws.Bool(f.logging)}, nil
}

func (f *fakeTrail) StartLogging(context.Context, *cloudtrail.StartLoggingInput, ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error) {
	f.started++
	f.logging = true
	return &cloudtrail.StartLoggingOutput{}, nil
}

type fakeIAM struct {
	keys    map[string]iamtypes.StatusType
	updates []string
}

func (f *fakeIAM) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	var out iam.ListAccessKeysOutput
	for id, st := range f.keys {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, iamtypes.AccessKeyMetadata{AccessKeyId: aws.String(id), Status: st})
	}
	return &out, nil
}

func (f *fakeIAM) UpdateAccessKey(_ context.Context, in *iam.UpdateAccessKeyInput, _ ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error) {
	f.updates = append(f.updates, aws.ToString(in.AccessKeyId)+"="+string(in.Status))
	f.keys[aws.ToString(in.AccessKeyId)] = in.Status
	return &iam.UpdateAccessKeyOutput{}, nil
}

func sgRule(id, cidr string, port int32) ec2types.SecurityGroupRule {
	return ec2types.SecurityGroupRule{SecurityGroupRuleId: aws.String(id), GroupId: aws.String("sg-1"), IsEgress: aws.Bool(false),
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port), CidrIpv4: aws.String(cidr)}
}

// TestActions: each action re-reads the state, acts only if still wrong and in enforce, with
// exactly the parameters of the resource the event named.
func TestActions(t *testing.T) {
	sgTarget := &respond.Target{Kind: respond.KindSecurityGroup, Account: "333333333333", Region: "eu-west-1", GroupID: "sg-1",
		Rules: []respond.IngressRule{{ID: "sgr-ssh", Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"}}}
	tests := []struct {
		name       string
		target     *respond.Target
		mode       string
		ec2        *fakeEC2
		trail      *fakeTrail
		iam        *fakeIAM
		wantResult string
		check      func(t *testing.T, e *fakeEC2, tr *fakeTrail, i *fakeIAM)
	}{
		{name: "open ssh rule revoked by id, the 443 rule kept", target: sgTarget, mode: "enforce",
			ec2: &fakeEC2{rules: []ec2types.SecurityGroupRule{sgRule("sgr-ssh", "0.0.0.0/0", 22), sgRule("sgr-web", "0.0.0.0/0", 443)}}, wantResult: Acted,
			check: func(t *testing.T, e *fakeEC2, _ *fakeTrail, _ *fakeIAM) {
				if len(e.revoked) != 1 || !slices.Equal(e.revoked[0], []string{"sgr-ssh"}) || len(e.rules) != 1 {
					t.Errorf("revoked %v, rules left %d; want exactly sgr-ssh revoked", e.revoked, len(e.rules))
				}
			}},
		{name: "dry-run revokes nothing", target: sgTarget, mode: "dry-run",
			ec2: &fakeEC2{rules: []ec2types.SecurityGroupRule{sgRule("sgr-ssh", "0.0.0.0/0", 22)}}, wantResult: WouldAct,
			check: func(t *testing.T, e *fakeEC2, _ *fakeTrail, _ *fakeIAM) {
				if len(e.revoked) != 0 {
					t.Errorf("revoked %v in dry-run", e.revoked)
				}
			}},
		{name: "rule revoked by someone else before ours: no error, none left", target: sgTarget, mode: "enforce",
			ec2: &fakeEC2{rules: []ec2types.SecurityGroupRule{sgRule("sgr-ssh", "0.0.0.0/0", 22)}, revokedFirst: true}, wantResult: Acted},
		{name: "rule since narrowed to an office range: left alone", target: sgTarget, mode: "enforce",
			ec2: &fakeEC2{rules: []ec2types.SecurityGroupRule{sgRule("sgr-ssh", "198.51.100.0/24", 22)}}, wantResult: AlreadyRight},
		{name: "stopped trail started", target: &respond.Target{Kind: respond.KindTrail, Account: "333333333333", Trail: "t"}, mode: "enforce",
			trail: &fakeTrail{}, wantResult: Acted,
			check: func(t *testing.T, _ *fakeEC2, tr *fakeTrail, _ *fakeIAM) {
				if tr.started != 1 {
					t.Errorf("StartLogging called %d times, want 1", tr.started)
				}
			}},
		{name: "trail already logging", target: &respond.Target{Kind: respond.KindTrail, Account: "333333333333", Trail: "t"}, mode: "enforce",
			trail: &fakeTrail{logging: true}, wantResult: AlreadyRight},
		{name: "access key deactivated", target: &respond.Target{Kind: respond.KindAccessKey, Account: "333333333333", UserName: "bob", AccessKeyID: "AKIA1"}, mode: "enforce",
			iam: &fakeIAM{keys: map[string]iamtypes.StatusType{"AKIA1": iamtypes.StatusTypeActive, "AKIA2": iamtypes.StatusTypeActive}}, wantResult: Acted,
			check: func(t *testing.T, _ *fakeEC2, _ *fakeTrail, i *fakeIAM) {
				if !slices.Equal(i.updates, []string{"AKIA1=Inactive"}) {
					t.Errorf("updates %v, want only AKIA1=Inactive", i.updates)
				}
			}},
		{name: "access key deleted since", target: &respond.Target{Kind: respond.KindAccessKey, Account: "333333333333", UserName: "bob", AccessKeyID: "AKIA1"}, mode: "enforce",
			iam: &fakeIAM{keys: map[string]iamtypes.StatusType{}}, wantResult: Gone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ec2 == nil {
				tt.ec2 = &fakeEC2{}
			}
			if tt.trail == nil {
				tt.trail = &fakeTrail{}
			}
			if tt.iam == nil {
				tt.iam = &fakeIAM{keys: map[string]iamtypes.StatusType{}}
			}
			var session string
			x := &Executor{Clients: func(_ context.Context, account, _, s string) (*Clients, error) {
				session = s
				return &Clients{EC2: tt.ec2, CloudTrail: tt.trail, IAM: tt.iam}, nil
			}}
			o, err := x.Execute(context.Background(), respond.Decision{AlertID: "rule/e1", Act: true, Mode: tt.mode, Target: tt.target})
			if err != nil {
				t.Fatal(err)
			}
			if o.Result != tt.wantResult {
				t.Errorf("result %s, want %s", o.Result, tt.wantResult)
			}
			if session != "rule@e1" {
				t.Errorf("session %q, want rule@e1", session)
			}
			if tt.check != nil {
				tt.check(t, tt.ec2, tt.trail, tt.iam)
			}
		})
	}
}
