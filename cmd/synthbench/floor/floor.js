// The floor of the CDK for cmd/synthbench: a plain JavaScript aws-cdk-lib app that emits the
// stacks of a trailguard cloud assembly (FLOOR_ASSEMBLY) with CfnInclude, one stack per
// stack of the assembly, in the same accounts and regions, under the same compliance gates
// trailguard's app runs (compliance.NewGates): the four cdk-nag packs as Aspects and the
// CloudFormationValidatePlugin with the Control Tower Guard rules of FLOOR_SERVICES from
// FLOOR_RULES and CloudFormation's own checks. What it costs is what the CDK itself costs to
// synthesize and gate these templates, with no construct built and no function compiled.
'use strict';
const fs = require('fs');
const path = require('path');
const cdk = require('aws-cdk-lib');
const { CfnInclude } = require('aws-cdk-lib/cloudformation-include');
const nag = require('cdk-nag');

const source = process.env.FLOOR_ASSEMBLY;
const rulesDir = process.env.FLOOR_RULES;
const services = (process.env.FLOOR_SERVICES || '').split(',').filter(Boolean);
if (!source || !rulesDir || services.length === 0) {
  console.error('floor: set FLOOR_ASSEMBLY (a cloud assembly), FLOOR_RULES (the Guard rules directory) and FLOOR_SERVICES');
  process.exit(2);
}

const guardRules = [];
for (const svc of services) {
  const dir = path.join(rulesDir, svc);
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.guard')).sort()) {
    guardRules.push({ name: f.slice(0, -'.guard'.length), content: fs.readFileSync(path.join(dir, f), 'utf8') });
  }
}

// The context trailguard's app adds to cdk.json's (internal/synth.NewApp).
const app = new cdk.App({ stackTraces: false, context: { 'aws:cdk:disable-creation-stack-traces': true } });
const manifest = JSON.parse(fs.readFileSync(path.join(source, 'manifest.json'), 'utf8'));
for (const [id, a] of Object.entries(manifest.artifacts)) {
  if (a.type !== 'aws:cloudformation:stack') continue;
  const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(a.environment);
  const p = a.properties;
  const qualifier = /^\/cdk-bootstrap\/([^/]+)\/version$/.exec(p.bootstrapStackVersionSsmParameter)[1];
  const stack = new cdk.Stack(app, id, {
    stackName: p.stackName || id,
    env: { account, region },
    terminationProtection: p.terminationProtection,
    tags: p.tags,
    // The included template already has the bootstrap version parameter and rule.
    synthesizer: new cdk.DefaultStackSynthesizer({ qualifier, generateBootstrapVersionRule: false }),
  });
  new CfnInclude(stack, 'Template', { templateFile: path.join(source, p.templateFile) });
}

const props = { verbose: true, reports: false };
const aspects = cdk.Aspects.of(app);
aspects.add(new nag.AwsSolutionsChecks(props));
aspects.add(new nag.NIST80053R5Checks(props));
aspects.add(new nag.HIPAASecurityChecks(props));
aspects.add(new nag.PCIDSS321Checks(props));
cdk.Validations.of(app).addPlugins(new cdk.CloudFormationValidatePlugin({ guardRules, includeDefaultRules: true }));

// The gates run in full. Their verdict is not this app's business: trailguard acknowledges
// some Guard findings next to its constructs, which the templates do not carry, so the cdk
// CLI reports them and exits 1 after writing the whole cloud assembly (cmd/synthbench checks
// that it did).
app.synth();
