package policy

import (
	"regexp"
)

// adminManagedPolicy matches the AWS managed policies trailguard treats as
// administrator access, in any partition:
//   - AdministratorAccess: every action on every resource.
//   - IAMFullAccess: iam:* lets the holder attach AdministratorAccess to
//     itself, so it is administrator access one call later.
//   - PowerUserAccess: every action but IAM, Organizations and Account
//     management; it reads every data store and secret and runs code
//     anywhere. Not strictly able to grant itself more, but no team hands it
//     out casually; an attacker's second choice when AdministratorAccess is
//     watched.
//
// Job-function policies (job-function/*) and service "full access"
// policies are not on the list: they stay within a service.
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/policy-list.html
var adminManagedPolicy = regexp.MustCompile(`^arn:aws[a-z-]*:iam::aws:policy/(AdministratorAccess|IAMFullAccess|PowerUserAccess)$`)

// AdminPolicyARN reports whether arn is an AWS managed policy that grants
// administrator access (see above).
func AdminPolicyARN(arn string) bool { return adminManagedPolicy.MatchString(arn) }

// escalationActions are IAM actions with which a principal grants itself
// (or becomes a principal with) any permission: allowed on every resource,
// each is administrator access one call later. From the IAM API reference
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html):
// policy writes and attachments, new default policy versions, group
// membership, trust policy rewrites, and credentials for other users.
var escalationActions = []string{
	"iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy",
	"iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy",
	"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
	"iam:AddUserToGroup", "iam:UpdateAssumeRolePolicy",
	"iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
}

// iamWideResource matches resource patterns that cover every IAM user,
// group, role or policy of an account (or of every account).
var iamWideResource = regexp.MustCompile(`^arn:aws[a-z*-]*:iam::(\*|[0-9]{12}):(\*|(user|group|role|policy)/\*)$`)

// Admin reports whether an identity policy document (object, JSON text or
// URL-encoded JSON text) is equivalent to administrator access: some Allow
// statement allows one of IAM's permission-granting actions
// (escalationActions: through Action "*" or "*:*", wildcards such as iam:*
// or iam:Put*, or a NotAction that does not exclude it) on every resource
// (Resource "*" or a NotResource) or on every user, group, role or policy
// of an account. PowerUserAccess's shape (NotAction iam:*) is therefore not
// admin by its document; AdminPolicyARN lists it by name.
//
// Conditions are not weighed: a condition such as MFA presence restricts
// when, not what, and an attacker holding the session satisfies it. Deny
// statements are not subtracted.
func Admin(doc any) bool {
	for _, s := range Statements(doc) {
		if s.Admin() {
			return true
		}
	}
	return false
}

// Admin reports whether this statement alone is administrator access (see
// the package function Admin).
func (s Statement) Admin() bool {
	if !s.Allows() || (!s.AllResources() && !s.iamWide()) {
		return false
	}
	// Every action (Action "*", "*:*", "iam:*", a NotAction that spares
	// IAM, ...) includes these; any one is enough.
	for _, a := range escalationActions {
		if s.CoversAction(a) {
			return true
		}
	}
	return false
}

// iamWide reports whether a Resource pattern covers all of an account's
// IAM users, groups, roles or policies.
func (s Statement) iamWide() bool {
	for _, r := range s.Resource {
		if iamWideResource.MatchString(r) {
			return true
		}
	}
	return false
}
