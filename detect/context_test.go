package detect

import (
	"strings"
	"testing"
	"testing/fstest"
)

var testContext = &Context{
	Organization: Organization{ID: "o-a1b2c3d4e5", ManagementAccount: "111111111111", SecurityAccount: "222222222222",
		Accounts: []string{"333333333333"}},
	Deployers:          []string{"arn:aws:iam::*:role/github-deploy"},
	BootstrapQualifier: "hnb659fds",
}

// evalWith evaluates a boolean condition over a record with a context.
func evalWith(t *testing.T, ctx *Context, cond, raw string) bool {
	t.Helper()
	rules, err := ParseFS(fstest.MapFS{"r.yaml": {Data: []byte("id: r\ntitle: R\nseverity: low\nmatch: >-\n  " + strings.ReplaceAll(cond, "\n", " ") + "\n")}}, ".", "test")
	if err != nil {
		t.Fatal(err)
	}
	e, err := CompileWith(rules, ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ParseRecord([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	m, errs := e.Match(rec)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", cond, errs[0])
	}
	return len(m) == 1
}

func identity(ui, extra string) string {
	return `{"eventVersion":"1.09","userIdentity":` + ui + `,"eventTime":"2026-11-02T09:00:00Z","eventSource":"iam.amazonaws.com","eventName":"X",` +
		`"awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","eventID":"e1","recipientAccountId":"333333333333"` + extra + `}`
}

func assumed(role, path, session, extra string) string {
	return `{"type":"AssumedRole","principalId":"AROAEXAMPLE:` + session + `","arn":"arn:aws:sts::333333333333:assumed-role/` + role + `/` + session + `",` +
		`"accountId":"333333333333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::333333333333:role/` + path + role + `",` +
		`"accountId":"333333333333","userName":"` + role + `"}}` + extra + `}`
}

func TestContextActor(t *testing.T) {
	cfnExec := assumed("cdk-hnb659fds-cfn-exec-role-333333333333-us-east-1", "", "AWSCloudFormation", `,"invokedBy":"cloudformation.amazonaws.com"`)
	tests := []struct {
		name, cond, ui, extra string
		want                  bool
	}{
		{"cfn exec role via CloudFormation is deployment", "actor.deployment", cfnExec, "", true},
		{"named deployer via CloudFormation is deployment", "actor.deployment", assumed("github-deploy", "", "run-1", `,"invokedBy":"cloudformation.amazonaws.com"`), "", true},
		{"anyone else via CloudFormation is not", "actor.deployment && !actor.viaCloudFormation", assumed("dev", "", "mallory", `,"invokedBy":"cloudformation.amazonaws.com"`), "", false},
		{"anyone else via CloudFormation: via is set", "actor.viaCloudFormation && !actor.deployer", assumed("dev", "", "mallory", `,"invokedBy":"cloudformation.amazonaws.com"`), "", true},
		{"deployer acting directly is no deployment", "actor.deployer && !actor.deployment", assumed("github-deploy", "", "run-1", ""), "", true},
		{"another qualifier's exec role is no deployer", "actor.deployer", assumed("cdk-other-cfn-exec-role-333333333333-us-east-1", "", "AWSCloudFormation", `,"invokedBy":"cloudformation.amazonaws.com"`), "", false},
		{"service-linked role", `actor.serviceLinkedRole && actor.service == "malware-protection.guardduty.amazonaws.com"`,
			assumed("AWSServiceRoleForAmazonGuardDutyMalwareProtection", "aws-service-role/malware-protection.guardduty.amazonaws.com/", "AmazonGuardDutyMalwareProtection", `,"invokedBy":"malware-protection.guardduty.amazonaws.com"`), "", true},
		{"role named like an SLR outside the path is not one", "actor.serviceLinkedRole",
			assumed("AWSServiceRoleForAmazonGuardDutyMalwareProtection", "", "x", ""), "", false},
		{"AWSService identity", `actor.awsService && actor.service == "config.amazonaws.com"`, `{"type":"AWSService","invokedBy":"config.amazonaws.com"}`, "", true},
		{"service as source address", `actor.via == "ecs-tasks.amazonaws.com" && !actor.awsService`, assumed("ecsTaskExecutionRole", "", "0123456789abcdef0123456789abcdef", ""), `,"sourceIPAddress":"ecs-tasks.amazonaws.com"`, true},
		{"identity center", `actor.identityCenter && actor.permissionSet == "AdministratorAccess"`,
			assumed("AWSReservedSSO_AdministratorAccess_0123456789abcdef", "aws-reserved/sso.amazonaws.com/eu-west-1/", "alice@example.com", ""), "", true},
		{"lambda scope", `actor.lambda == "arn:aws:lambda:us-east-1:333333333333:function:thumbs"`,
			assumed("thumbs-role", "", "thumbs", `,"inScopeOf":{"issuerType":"AWS::Lambda::Function","credentialsIssuedTo":"arn:aws:lambda:us-east-1:333333333333:function:thumbs"}`), "", true},
		{"caller in org", "actor.inOrg", assumed("x", "", "s", ""), "", true},
		{"service-linked role without its session issuer", `actor.serviceLinkedRole && actor.service == "sso.amazonaws.com"`,
			`{"type":"AssumedRole","arn":"arn:aws:sts::333333333333:assumed-role/AWSServiceRoleForSSO/AWS-SSO","accountId":"333333333333","invokedBy":"sso.amazonaws.com"}`, "", true},
		{"a role named like a service-linked role, no invokedBy, is none", "actor.serviceLinkedRole || actor.awsService",
			`{"type":"AssumedRole","arn":"arn:aws:sts::333333333333:assumed-role/AWSServiceRoleForSSO/x","accountId":"333333333333"}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := evalWith(t, testContext, tt.cond, identity(tt.ui, tt.extra)); got != tt.want {
				t.Errorf("%s = %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

func TestContextFunctions(t *testing.T) {
	rec := identity(assumed("x", "", "s", ""), "")
	tests := []struct {
		name string
		ctx  *Context
		cond string
		want bool
	}{
		{"member in org", testContext, `inOrg("111111111111") && inOrg("arn:aws:iam::333333333333:root")`, true},
		{"stranger not in org", testContext, `inOrg("999999999999")`, false},
		{"no config: own account only", nil, `inOrg("333333333333") && !inOrg("111111111111")`, true},
		{"org variable", testContext, `org.id == "o-a1b2c3d4e5" && "333333333333" in org.accounts && org.configured`, true},
		{"org variable without config", nil, `!org.configured && size(org.accounts) == 0`, true},
		{"aws owned", nil, `awsOwnedAccount("arn:aws:iam::127311923021:root", "elasticloadbalancing") && !awsOwnedAccount("999999999999")`, true},
		{"outside grants of policy text", testContext,
			`outsideGrants('{"Statement":[{"Effect":"Allow","Principal":{"AWS":["111111111111","999999999999"]},"Action":"s3:*","Resource":"*"}]}') == ["999999999999"]`, true},
		{"shared outside", testContext,
			`sharedOutside([{"userId":"111111111111"},{"group":"all"},{"userId":"999999999999"},{"organizationArn":"arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5"}]) == ["999999999999", "all"]`, true},
		{"shared in org ou", testContext,
			`size(sharedOutside([{"organizationalUnitArn":"arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/ou-ab12-abcdefgh"}])) == 0`, true},
		{"shared other org", testContext,
			`size(sharedOutside([{"organizationArn":"arn:aws:organizations::999999999999:organization/o-zzzzzzzzzz"}])) == 1`, true},
		{"permission for org", testContext, `size(permissionOutside({"principal":"*","principalOrgID":"o-a1b2c3d4e5"})) == 0`, true},
		{"permission for service from outside account", testContext, `permissionOutside({"principal":"s3.amazonaws.com","sourceAccount":"999999999999"}) == ["s3.amazonaws.com for 999999999999"]`, true},
		{"permission for outside account", testContext, `permissionOutside({"principal":"999999999999"}) == ["999999999999"]`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := evalWith(t, tt.ctx, tt.cond, rec); got != tt.want {
				t.Errorf("%s = %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

func TestContextValidate(t *testing.T) {
	bad := &Context{Organization: Organization{ID: "o-1", Accounts: []string{"12"}}, Deployers: []string{"*"}, BootstrapQualifier: "Bad"}
	err := bad.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{`organization.id must match`, `organization.accounts[0] must be a 12-digit account id, got "12"`, `deployers[0] must be an IAM role ARN pattern`, `bootstrapQualifier`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := ParseContext([]byte(`{"organisation":{}}`)); err == nil || !strings.Contains(err.Error(), "organisation") {
		t.Errorf("unknown field: %v", err)
	}
}

func TestActorUnknownField(t *testing.T) {
	rules, err := ParseFS(fstest.MapFS{"r.yaml": {Data: []byte("id: r\ntitle: R\nseverity: low\nmatch: actor.deployed\n")}}, ".", "test")
	if err != nil {
		t.Fatal(err)
	}
	e, err := CompileWith(rules, testContext)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ParseRecord([]byte(identity(assumed("x", "", "s", ""), "")))
	if err != nil {
		t.Fatal(err)
	}
	_, errs := e.Match(rec)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `actor has no field "deployed"`) || !strings.Contains(errs[0].Error(), "deployment") {
		t.Errorf("a misspelt field must fail naming the fields there are, got %v", errs)
	}
	if !evalWith(t, testContext, `"deployment" in actor && !("deployed" in actor) && size(actor) == 18`, identity(assumed("x", "", "s", ""), "")) {
		t.Error("actor's fields as a map")
	}
}

// TestEngineDeployment: Engine.Deployment judges a record as the rules' actor.deployment
// does, with the engine's deployers.
func TestEngineDeployment(t *testing.T) {
	viaCFN := `,"invokedBy":"cloudformation.amazonaws.com"`
	tests := []struct {
		name string
		ui   string
		want bool
	}{
		{"cfn exec role via CloudFormation", assumed("cdk-hnb659fds-cfn-exec-role-333333333333-us-east-1", "", "AWSCloudFormation", viaCFN), true},
		{"configured deployer via CloudFormation", assumed("github-deploy", "", "run-1", viaCFN), true},
		{"configured deployer acting directly", assumed("github-deploy", "", "run-1", ""), false},
		{"anyone else via CloudFormation", assumed("dev", "", "mallory", viaCFN), false},
		{"another qualifier's exec role via CloudFormation", assumed("cdk-other-cfn-exec-role-333333333333-us-east-1", "", "AWSCloudFormation", viaCFN), false},
		{"the default deployer, not configured here", assumed("OrganizationAccountAccessRole", "", "s", viaCFN), false},
	}
	e, err := CompileWith(nil, testContext)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := ParseRecord([]byte(identity(tt.ui, "")))
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Deployment(rec); got != tt.want {
				t.Errorf("Deployment = %v, want %v", got, tt.want)
			}
			if got := evalWith(t, testContext, "actor.deployment", identity(tt.ui, "")); got != tt.want {
				t.Errorf("actor.deployment = %v, want %v: the two must agree", got, tt.want)
			}
		})
	}
}
