package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/trailguard/trailguard/internal/orgscope"
)

// Context is what the engine knows beyond the records: the organization and who deploys into
// it. It is given once, to LoadWith or CompileWith, and every condition sees it (the org and
// actor variables and the organization functions of the package documentation). The zero
// Context is "no organization known": only the account a record happened in is the
// organization's.
type Context struct {
	// Organization is the AWS Organization the records come from.
	Organization Organization `json:"organization"`
	// Deployers are IAM role ARN patterns (* matches any run of characters) of the principals
	// that deploy through CloudFormation: CloudFormation acting with one of these roles, or
	// with the CDK bootstrap roles of BootstrapQualifier, is deployment. The trailguard
	// config's deployment.deployers. Default: DefaultDeployer.
	Deployers []string `json:"deployers,omitempty"`
	// BootstrapQualifier is the CDK bootstrap qualifier whose roles
	// (cdk-<qualifier>-cfn-exec-role-<account>-<region>, -deploy-role-, ...) deploy; "" when
	// none. The trailguard config's deployment.qualifier. Default:
	// DefaultBootstrapQualifier.
	BootstrapQualifier string `json:"bootstrapQualifier,omitempty"`
}

// Organization is the AWS Organization the records come from.
type Organization struct {
	// ID is the organization id, o-...
	ID string `json:"id,omitempty"`
	// ManagementAccount is the management account's id.
	ManagementAccount string `json:"managementAccount,omitempty"`
	// SecurityAccount is the Security (log archive) account's id.
	SecurityAccount string `json:"securityAccount,omitempty"`
	// Accounts are the ids of the organization's accounts (the management and Security
	// accounts are added to them).
	Accounts []string `json:"accounts,omitempty"`
	// OrganizationalUnits are organizational unit ids (ou-...) known to be the
	// organization's.
	OrganizationalUnits []string `json:"organizationalUnits,omitempty"`
}

var (
	ctxAccountRe = regexp.MustCompile(`^[0-9]{12}$`)
	ctxOURe      = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	ctxQualRe    = regexp.MustCompile(`^[a-z0-9]{1,10}$`)
)

// Validate returns every problem of the context at once, each naming the field and the value.
func (c *Context) Validate() error {
	var errs []error
	o := c.Organization
	if o.ID != "" && !orgscope.IsOrgID(o.ID) {
		errs = append(errs, fmt.Errorf("organization.id must match o-[a-z0-9]{10,32}, got %q", o.ID))
	}
	acct := func(field, v string) {
		if v != "" && !ctxAccountRe.MatchString(v) {
			errs = append(errs, fmt.Errorf("%s must be a 12-digit account id, got %q", field, v))
		}
	}
	acct("organization.managementAccount", o.ManagementAccount)
	acct("organization.securityAccount", o.SecurityAccount)
	for i, a := range o.Accounts {
		if a == "" {
			errs = append(errs, fmt.Errorf("organization.accounts[%d] is empty: give a 12-digit account id", i))
		}
		acct(fmt.Sprintf("organization.accounts[%d]", i), a)
	}
	for i, ou := range o.OrganizationalUnits {
		if !ctxOURe.MatchString(ou) {
			errs = append(errs, fmt.Errorf("organization.organizationalUnits[%d] must be an OU id (ou-...), got %q", i, ou))
		}
	}
	for i, d := range c.Deployers {
		if !strings.HasPrefix(d, "arn:") || !strings.Contains(d, ":role/") {
			errs = append(errs, fmt.Errorf("deployers[%d] must be an IAM role ARN pattern such as arn:aws:iam::*:role/ci-deploy, got %q", i, d))
		}
	}
	if q := c.BootstrapQualifier; q != "" && !ctxQualRe.MatchString(q) {
		errs = append(errs, fmt.Errorf("bootstrapQualifier must be 1-10 lowercase letters and digits, got %q", q))
	}
	return errors.Join(errs...)
}

// ParseContext decodes a Context from JSON (as the detection functions carry it) and
// validates it.
func ParseContext(data []byte) (*Context, error) {
	var c Context
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("organization context: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("organization context: %w", err)
	}
	return &c, nil
}

// Configured reports whether the context knows an organization.
func (c *Context) Configured() bool {
	return c != nil && (c.Organization.ID != "" || len(c.accounts()) > 0)
}

// accounts returns the organization's accounts, the management and Security accounts
// included, sorted and without duplicates.
func (c *Context) accounts() []string {
	if c == nil {
		return nil
	}
	out := slices.Clone(c.Organization.Accounts)
	for _, a := range []string{c.Organization.ManagementAccount, c.Organization.SecurityAccount} {
		if a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Defaults of a Context, the trailguard config's (deployment.deployers and
// deployment.qualifier).
const (
	// DefaultDeployer is the deployer pattern without Deployers: the role Organizations
	// creates in the accounts it creates.
	DefaultDeployer = "arn:aws*:iam::*:role/OrganizationAccountAccessRole"
	// DefaultBootstrapQualifier is the CDK's default bootstrap qualifier.
	DefaultBootstrapQualifier = "hnb659fds"
)

// engineContext is a Context prepared once for an engine.
type engineContext struct {
	configured bool
	scope      orgscope.Scope
	deployers  []*regexp.Regexp
	bootstrap  *regexp.Regexp
	// org is the value of the org variable.
	org map[string]any
}

func newEngineContext(c *Context) *engineContext {
	if c == nil {
		c = &Context{}
	}
	accounts := c.accounts()
	e := &engineContext{configured: c.Configured(), scope: orgscope.NewScope(c.Organization.ID, accounts...)}
	deployers, qualifier := c.Deployers, c.BootstrapQualifier
	if len(deployers) == 0 {
		deployers = []string{DefaultDeployer}
	}
	if qualifier == "" {
		qualifier = DefaultBootstrapQualifier
	}
	for _, d := range deployers {
		e.deployers = append(e.deployers, glob(d))
	}
	if q := qualifier; q != "" {
		// The CDK bootstrap stack's roles:
		// https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html
		e.bootstrap = regexp.MustCompile(`^cdk-` + regexp.QuoteMeta(q) + `-(cfn-exec|deploy|file-publishing|image-publishing|lookup)-role-[0-9]{12}-[a-z0-9-]+$`)
	}
	ous := slices.Clone(c.Organization.OrganizationalUnits)
	if ous == nil {
		ous = []string{}
	}
	if accounts == nil {
		accounts = []string{}
	}
	e.org = map[string]any{
		"configured":          e.configured,
		"id":                  c.Organization.ID,
		"managementAccount":   c.Organization.ManagementAccount,
		"securityAccount":     c.Organization.SecurityAccount,
		"accounts":            accounts,
		"organizationalUnits": ous,
	}
	return e
}

// scopeFor returns the organization as a record sees it: the configured accounts and the
// record's own account (an organization trail and the stream carry only the organization's
// accounts; without a config it is the only account known to be ours).
func (e *engineContext) scopeFor(rec *Record) orgscope.Scope {
	return e.scope.WithOwn(rec.AccountID())
}

// Actor kinds.
const (
	cloudFormation = "cloudformation.amazonaws.com"
)

// actorInfo describes who acted in a record: the fields of the actor variable (see the
// package documentation), computed once per record when a condition first names actor; the
// deployer match (regular expressions) only when a condition asks for it.
type actorInfo struct {
	ctx                                       *engineContext
	rec                                       *Record
	typ, account, role, roleARN, session, via string
	service, permissionSet, scope, issuedTo   string
	serviceLinkedRole, identityCenter         bool
	deployerKnown, deployer                   bool
}

func (e *engineContext) actor(rec *Record) *actorInfo {
	a := &actorInfo{ctx: e, rec: rec}
	a.typ = rec.path("userIdentity", "type")
	a.account = rec.path("userIdentity", "accountId")
	a.roleARN = rec.path("userIdentity", "sessionContext", "sessionIssuer", "arn")
	a.role = rec.Role()
	if arn := rec.path("userIdentity", "arn"); strings.Contains(arn, ":assumed-role/") {
		if i := strings.LastIndexByte(arn, '/'); i >= 0 {
			a.session = arn[i+1:]
		}
	}
	// The service that made the call for the caller: invokedBy, else a service name as the
	// source address ("for calls made by an AWS service on behalf of the user, the service
	// name": https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
	invokedBy := rec.path("userIdentity", "invokedBy")
	a.via = invokedBy
	if a.via == "" {
		if ip := rec.str("sourceIPAddress"); strings.HasSuffix(ip, ".amazonaws.com") {
			a.via = ip
		}
	}
	// AWS acting on its own: an AWSService identity, or a service-linked role, which only its
	// service can assume and nobody can edit
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html).
	const slrPath = ":role/aws-service-role/"
	switch {
	case a.typ == "AWSService":
		a.service = invokedBy
	case strings.Contains(a.roleARN, slrPath):
		a.serviceLinkedRole = true
		rest := a.roleARN[strings.Index(a.roleARN, slrPath)+len(slrPath):]
		a.service, _, _ = strings.Cut(rest, "/")
	case a.roleARN == "" && strings.HasPrefix(a.role, "AWSServiceRoleFor") && strings.HasSuffix(invokedBy, ".amazonaws.com"):
		// A record without the session issuer (its path): the service-linked role's reserved
		// name prefix, and the service that CloudTrail says made the call.
		a.serviceLinkedRole = true
		a.service = invokedBy
	}
	a.identityCenter = strings.HasPrefix(a.role, "AWSReservedSSO_") &&
		(a.roleARN == "" || strings.Contains(a.roleARN, ":role/aws-reserved/sso.amazonaws.com/"))
	if a.identityCenter {
		name := strings.TrimPrefix(a.role, "AWSReservedSSO_")
		if i := strings.LastIndexByte(name, '_'); i > 0 {
			name = name[:i]
		}
		a.permissionSet = name
	}
	// Credentials issued to a resource (a Lambda function's execution role, an instance
	// profile): userIdentity.inScopeOf,
	// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
	a.issuedTo = rec.path("userIdentity", "inScopeOf", "credentialsIssuedTo")
	a.scope = rec.path("userIdentity", "inScopeOf", "issuerType")
	return a
}

// deployerRole reports whether a role ARN (arn:...:role/[path/]name) names a deployer:
// it matches deployment.deployers (with or without its path) or is a CDK bootstrap role of
// the qualifier.
func (e *engineContext) deployerRole(arn string) bool {
	i := strings.Index(arn, ":role/")
	if i < 0 {
		return false
	}
	name := arn[strings.LastIndexByte(arn, '/')+1:]
	if e.bootstrap != nil && e.bootstrap.MatchString(name) {
		return true
	}
	return anyMatch(e.deployers, arn, arn[:i+len(":role/")]+name)
}

// isDeployer reports whether the caller's role is a deployer: deployment.deployers or the CDK
// bootstrap roles of the qualifier.
func (a *actorInfo) isDeployer() bool {
	if a.deployerKnown {
		return a.deployer
	}
	a.deployerKnown = true
	if a.role == "" {
		return false
	}
	if a.ctx.bootstrap != nil && a.ctx.bootstrap.MatchString(a.role) {
		a.deployer = true
		return true
	}
	a.deployer = a.roleARN != "" && a.ctx.deployerRole(a.roleARN)
	return a.deployer
}

// isDeployment reports whether the call is a deployment: CloudFormation acting for a deployer.
// CloudFormation acting for anyone else is that principal's own act.
func (a *actorInfo) isDeployment() bool { return a.via == cloudFormation && a.isDeployer() }

// field returns the actor variable's field name, and whether it has one.
func (a *actorInfo) field(name string) (any, bool) {
	switch name {
	case "type":
		return a.typ, true
	case "account":
		return a.account, true
	case "inOrg":
		return a.account != "" && a.ctx.scopeFor(a.rec).Contains(a.account), true
	case "role":
		return a.role, true
	case "roleArn":
		return a.roleARN, true
	case "session":
		return a.session, true
	case "via":
		return a.via, true
	case "viaCloudFormation":
		return a.via == cloudFormation, true
	case "service":
		return a.service, true
	case "awsService":
		return a.service != "", true
	case "serviceLinkedRole":
		return a.serviceLinkedRole, true
	case "deployer":
		return a.isDeployer(), true
	case "deployment":
		return a.isDeployment(), true
	case "identityCenter":
		return a.identityCenter, true
	case "permissionSet":
		return a.permissionSet, true
	case "credentialsScope":
		return a.scope, true
	case "credentialsIssuedTo":
		return a.issuedTo, true
	case "lambda":
		if a.scope == "AWS::Lambda::Function" {
			return a.issuedTo, true
		}
		return "", true
	}
	return nil, false
}

// actorFields are the actor variable's fields, in documentation order.
var actorFields = []string{"type", "account", "inOrg", "role", "roleArn", "session", "via", "viaCloudFormation",
	"service", "awsService", "serviceLinkedRole", "deployer", "deployment", "identityCenter", "permissionSet",
	"credentialsScope", "credentialsIssuedTo", "lambda"}

// Deployment reports whether rec's call was a deployment under the engine's context: what a
// condition reads as actor.deployment, CloudFormation acting for one of the deployers
// (Context.Deployers or the CDK bootstrap roles of Context.BootstrapQualifier). Code that
// decides on an alert outside the rules (the automatic response) asks the engine that made
// it, so that both judge the record alike.
func (e *Engine) Deployment(rec *Record) bool {
	return e.ctx.actor(rec).isDeployment()
}
