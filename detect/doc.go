// Package detect is trailguard's detection engine: rules over CloudTrail
// records, the same for the real-time stream, the log archive and files on
// disk (trailguard detect).
//
// A rule is YAML (see Rule and docs/detection.md): an id, a title, a
// severity, a description and references, a match condition written in CEL
// (https://cel.dev), optional exceptions (principal, account, role and tag
// patterns, or a CEL condition) and an optional threshold (count, or count of
// distinct values, within a window of event time, grouped by a CEL
// expression), and an optional response (an action of package internal/respond/action,
// validated on load; docs/response.md). The default rules are embedded (DefaultRules); Load merges
// the rules of directories over them by id.
//
// Conditions see the record's top-level members by name (eventName,
// userIdentity, requestParameters, ...), the whole record as record, and
// the derived strings principal, accountId and role; besides CEL's standard
// library and its strings, lists, sets and optional-values extensions they
// can call json(value), asList(value), policyStatements(policy) and
// principals(statement), and these functions that judge what a request
// means (package internal/policy, docs/detection.md#semantics):
//
//   - publicPolicy(policy) bool: the resource policy (object, JSON text or
//     URL-encoded JSON text) is public as S3 Block Public Access defines it;
//   - publicACL(requestParameters) bool: an S3 request grants the AllUsers or
//     AuthenticatedUsers group (canned ACL, grant header or
//     AccessControlPolicy in JSON or XML form);
//   - adminPolicy(policy) bool: the identity policy is equivalent to
//     administrator access;
//   - adminPolicyArn(arn) bool: the managed policy is one treated as
//     administrator access (AdministratorAccess, IAMFullAccess,
//     PowerUserAccess);
//   - opensInternet(cidrs) bool: the union of the ranges holds at least a /12
//     of public IPv4 or a /20 of IPv6;
//   - ingressOpensInternet(requestParameters) bool: an
//     AuthorizeSecurityGroupIngress or ModifySecurityGroupRules request
//     admits a large share of the internet on more than port 80 or 443
//     alone;
//   - publicAddress(address) bool: the IP address is outside private and
//     special-purpose ranges;
//   - instanceTypes(value) list(string): every instance type named under an
//     instanceType or instanceTypes member at any depth (every launch API's
//     request shape).
//
// userIdentity, requestParameters,
// responseElements, additionalEventData, serviceEventDetails and tlsDetails
// are never null.
//
// # Organization context
//
// Every condition also sees the organization the records come from: a
// Context (ContextFromConfig builds it from the trailguard config) given once
// to LoadWith or CompileWith. The variable org holds the organization (id,
// managementAccount, securityAccount, accounts, organizationalUnits,
// configured); the variable actor says who acted in the record (type,
// account, inOrg, role, roleArn, session, via, viaCloudFormation, deployer,
// deployment, awsService, service, serviceLinkedRole, identityCenter,
// permissionSet, credentialsScope, credentialsIssuedTo, lambda). Functions:
// inOrg(accountOrArn), awsOwnedAccount(account[, service]),
// deployerRole(roleArn), outsideGrants(policy), sharedOutside(receivers) and
// permissionOutside(requestParameters), the last three judging who a policy
// or share reaches outside the organization (package internal/orgscope). A record's
// own account is always the organization's; without a Context it is the only
// one. CloudFormation acting for a deployer (actor.deployment) is deployment;
// acting for anyone else it is that principal's own act. docs/detection.md
// documents each field and function.
//
// Compile checks and compiles rules once; an Engine is immutable and safe for
// concurrent use, and runs a record only against the rules whose condition
// requires its eventName or eventSource (read off the condition's AST). A
// Detector keeps the state that spans records: threshold windows and
// dedupe.
//
// # Dedupe key
//
// Each Alert has a DedupeKey; a Detector returns each key once, remembering
// them in a DedupeStore. A single-record alert's key is
// "<rule id>/<eventID>" (EventDedupeKey): CloudTrail gives an event the same
// eventID in every copy of it (organization trail, local trail, Event
// History, the detail of the EventBridge event on the stream), so the stream
// and archive paths compute the same key for the same event and, sharing a
// store, alert once whichever sees it first. A threshold alert's key is
// "<rule id>/<group>/<burst start>" (ThresholdDedupeKey): the same for
// every record of one burst, in the functions and in trailguard detect.
package detect
