package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/internal/upgrade"
	"github.com/trailguard/trailguard/internal/version"
)

// Tests of what a real lifecycle does to the stacks: a first deploy before anything else
// exists, a failed first deploy and its retry, an upgrade from the last release.

// allTemplates are the templates of the example in both deployment modes by a name for
// messages, the template a StackSet deploys included.
func allTemplates(t *testing.T) map[string]template {
	t.Helper()
	out := map[string]template{}
	for mode, s := range map[string]*synthesized{"stacks": example, "stackset": stacksetApp(t)} {
		for name, tmpl := range s.templates {
			out[mode+": "+name] = tmpl
			for id, ss := range tmpl.resourcesOfType("AWS::CloudFormation::StackSet") {
				body, ok := ss.props()["TemplateBody"].(string)
				if !ok {
					continue
				}
				var inner template
				if err := json.Unmarshal([]byte(body), &inner); err != nil {
					t.Fatalf("%s %s: TemplateBody: %v", name, id, err)
				}
				out[mode+": "+name+"/"+id] = inner
			}
		}
	}
	return out
}

// configuredPrincipals are the principal ARNs (and patterns) a config names.
func configuredPrincipals(cfg *config.Config) []string {
	var out []string
	out = append(out, cfg.EventHistory.Investigators...)
	out = append(out, cfg.LogArchive.Readers...)
	out = append(out, cfg.LogArchive.BreakGlassPrincipals...)
	out = append(out, cfg.Guardrails.ExemptPrincipals...)
	out = append(out, cfg.Deployment.Deployers...)
	return out
}

// rendered renders v's string leaves with Fn::Join joined and other intrinsics as
// placeholders, so that an ARN built with Fn::Join is seen whole.
func rendered(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, rendered(e)...)
		}
		return out
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			var parts []string
			for _, p := range asList(j[1]) {
				if s, ok := p.(string); ok {
					parts = append(parts, s)
				} else {
					parts = append(parts, "{"+strings.Join(rendered(p), ",")+"}")
				}
			}
			return []string{strings.Join(parts, fmt.Sprint(j[0]))}
		}
		var out []string
		for _, k := range keys(x) {
			out = append(out, rendered(x[k])...)
		}
		return out
	}
	return nil
}

// principals calls fn with every Principal and NotPrincipal in v and where it is.
func principals(v any, path string, fn func(path string, p any)) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range keys(x) {
			if k == "Principal" || k == "NotPrincipal" {
				fn(path, x[k])
			}
			principals(x[k], path+"/"+k, fn)
		}
	case []any:
		for i, e := range x {
			principals(e, fmt.Sprintf("%s/%d", path, i), fn)
		}
	case string:
		// Policies CloudFormation takes as a JSON string (Kinesis resource policies).
		if strings.HasPrefix(x, "{") && strings.Contains(x, "Principal") {
			var doc any
			if json.Unmarshal([]byte(x), &doc) == nil {
				principals(doc, path, fn)
			}
		}
	}
}

// TestNoTrustedPrincipalMustPreExist: IAM refuses a policy whose principal names a role or
// user that does not exist ("Invalid principal in policy"), and a policy naming a role breaks
// when the role is re-created (IAM stores its unique id). No policy in any template names a
// role or user as its principal: configured principals (investigators, readers, break-glass,
// deployers, exempt principals) are matched by aws:PrincipalArn under an account or "*"
// principal. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
func TestNoTrustedPrincipalMustPreExist(t *testing.T) {
	configured := configuredPrincipals(example.cfg)
	if len(configured) < 5 {
		t.Fatalf("the example configures %d principals, want investigators, readers, break-glass, exempt principals and deployers", len(configured))
	}
	namesIdentity := regexp.MustCompile(`:iam::[^:]*:(role|user|assumed-role)/`)
	checked := 0
	for name, tmpl := range allTemplates(t) {
		principals(tmpl["Resources"], name, func(path string, p any) {
			checked++
			for _, s := range rendered(p) {
				if namesIdentity.MatchString(s) || slices.Contains(configured, s) {
					t.Errorf("%s: principal %s names a role or user, which must exist before the stack and breaks when it is re-created: use its account as principal with an aws:PrincipalArn condition", path, s)
				}
			}
		})
	}
	if checked == 0 {
		t.Fatal("no principal found in the templates: nothing checked")
	}
}

// TestFailedFirstDeployCanBeRetried: a rolled-back first create keeps Retain resources, and
// the retry collides with their fixed names. Every retained resource is RetainExceptOnCreate
// (deleted when the operation that created it rolls back, kept on stack deletion) and kept on
// replacement; the stateful ones are all retained; no DynamoDB deletion protection stops the
// rollback. The StackSet alone stays Retain: deleting it deletes its stack instances.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
func TestFailedFirstDeployCanBeRetried(t *testing.T) {
	mustRetain := map[string]bool{}
	for _, typ := range upgrade.StatefulTypes {
		mustRetain[typ] = typ != "AWS::CloudTrail::Trail" // a trail holds no data; the SCPs protect it
	}
	for _, typ := range []string{"AWS::S3::BucketPolicy", "AWS::Kinesis::ResourcePolicy"} {
		mustRetain[typ] = true // RemovalPolicy.RETAIN on a bucket still deletes its policy
	}
	for name, tmpl := range allTemplates(t) {
		res, _ := tmpl["Resources"].(map[string]any)
		for _, id := range keys(res) {
			r := resource(res[id].(map[string]any))
			typ, del, repl := r["Type"].(string), r["DeletionPolicy"], r["UpdateReplacePolicy"]
			want := "RetainExceptOnCreate"
			if typ == "AWS::CloudFormation::StackSet" {
				want = "Retain"
			}
			if (del != nil || mustRetain[typ]) && (del != want || repl != "Retain") {
				t.Errorf("%s %s (%s): DeletionPolicy %v, UpdateReplacePolicy %v; want %s and Retain", name, id, typ, del, repl, want)
			}
			if typ == "AWS::DynamoDB::Table" && r.props()["DeletionProtectionEnabled"] == true {
				t.Errorf("%s %s: deletion protection would stop a rolled-back first create from deleting the table", name, id)
			}
		}
	}
}

// TestDeadLetterQueuesOutliveTheirSources: a message moved to a dead-letter queue keeps its
// first enqueue time, so a dead-letter queue must keep messages longer than its source queue
// or it drops them sooner than its retention says.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
func TestDeadLetterQueuesOutliveTheirSources(t *testing.T) {
	retention := func(r resource) float64 {
		if v, ok := r.props()["MessageRetentionPeriod"].(float64); ok {
			return v
		}
		return 345600 // SQS's default, 4 days
	}
	pairs := 0
	for name, tmpl := range allTemplates(t) {
		queues := tmpl.resourcesOfType("AWS::SQS::Queue")
		for _, id := range keys(queues) {
			src := queues[id]
			target := get(src.props(), "RedrivePolicy", "deadLetterTargetArn")
			if target == nil {
				continue
			}
			dlqID, _ := get(target, "Fn::GetAtt", 0).(string)
			dlq, ok := queues[dlqID]
			if !ok {
				t.Errorf("%s %s: dead-letter queue %v is not a queue of the template: cannot compare retention", name, id, target)
				continue
			}
			pairs++
			if retention(dlq) <= retention(src) {
				t.Errorf("%s: dead-letter queue %s keeps messages %v s, its source %s %v s: want longer", name, dlqID, retention(dlq), id, retention(src))
			}
		}
	}
	if pairs == 0 {
		t.Fatal("no queue with a dead-letter queue in the templates: nothing checked")
	}
}

// references are the logical IDs v refers to with Ref, Fn::GetAtt or Fn::Sub.
func references(v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch k {
			case "Ref":
				if s, ok := e.(string); ok {
					out[s] = true
				}
			case "Fn::GetAtt":
				if s, ok := get(e, 0).(string); ok {
					out[s] = true
				}
			case "Fn::Sub":
				s, _ := e.(string)
				if l := asList(e); len(l) > 0 {
					s, _ = l[0].(string)
				}
				for _, m := range regexp.MustCompile(`\$\{([A-Za-z0-9]+)[.}]`).FindAllStringSubmatch(s, -1) {
					out[m[1]] = true
				}
			}
			references(e, out)
		}
	case []any:
		for _, e := range x {
			references(e, out)
		}
	}
}

// TestNoRedundantDependsOn: a DependsOn on a resource the resource already refers to is
// redundant (cfn-lint W3005, "dependency already enforced"): CloudFormation infers it.
func TestNoRedundantDependsOn(t *testing.T) {
	checked := 0
	for name, tmpl := range allTemplates(t) {
		res, _ := tmpl["Resources"].(map[string]any)
		for _, id := range keys(res) {
			r := res[id].(map[string]any)
			deps := strs(r["DependsOn"])
			if len(deps) == 0 {
				continue
			}
			checked++
			refs := map[string]bool{}
			references(r["Properties"], refs)
			for _, d := range deps {
				if refs[d] {
					t.Errorf("%s %s: DependsOn %s, which its properties already refer to (cfn-lint W3005)", name, id, d)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no DependsOn in the templates: nothing checked")
	}
}

// TestCfnLint runs cfn-lint, AWS's CloudFormation linter, on every golden template when it is
// installed (`pip install cfn-lint`): no error and no warning.
func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed; TestNoRedundantDependsOn checks its W3005")
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.template.json"))
	more, _ := filepath.Glob(filepath.Join("testdata", "stackset", "*.template.json"))
	out, err := exec.Command(lint, append(files, more...)...).CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint on the golden templates: %v\n%s", err, out)
	}
}

// TestUpgradeFromLastRelease is the upgrade gate: deploying this version over the last
// release (the templates kept in testdata/upgrade/v<Baseline>) must replace or delete no
// stateful resource, unless testdata/upgrade/migrations.yaml lists the change with its
// migration note (and then CHANGELOG.md and docs/upgrading.md say what to do). Replacement
// is judged by the AWS service specification the cdk CLI diffs with. Additions and in-place
// updates pass.
func TestUpgradeFromLastRelease(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, upgrade.SpecFile))
	if err != nil {
		t.Fatalf("%v (make deps installs it)", err)
	}
	defer f.Close()
	spec, err := upgrade.LoadSpec(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec["AWS::SQS::Queue"].Replacing) == 0 {
		t.Fatal("the service spec names no replacing property of AWS::SQS::Queue: not the spec the gate expects")
	}
	baseDir := filepath.Join("testdata", "upgrade", "v"+version.Baseline)
	old := map[string]upgrade.Template{}
	for _, mode := range []string{"", "stackset"} {
		files, _ := filepath.Glob(filepath.Join(baseDir, mode, "*.template.json"))
		for _, file := range files {
			var tmpl upgrade.Template
			if err := readJSON(file, &tmpl); err != nil {
				t.Fatal(err)
			}
			old[filepath.Join(mode, strings.TrimSuffix(filepath.Base(file), ".template.json"))] = tmpl
		}
	}
	if len(old) == 0 {
		t.Fatalf("no baseline templates in %s", baseDir)
	}
	current := map[string]upgrade.Template{}
	add := func(key string, tmpl template) {
		b, err := normalizeTemplate(tmpl) // as the baseline was kept: asset hashes masked
		if err != nil {
			t.Fatal(err)
		}
		var ut upgrade.Template
		if err := json.Unmarshal(b, &ut); err != nil {
			t.Fatal(err)
		}
		current[key] = ut
	}
	for name, tmpl := range example.templates {
		add(name, tmpl)
	}
	add(filepath.Join("stackset", "trailguard-management"), stacksetApp(t).template(t, "trailguard-management"))

	migrationsFile := filepath.Join("testdata", "upgrade", "migrations.yaml")
	data, err := os.ReadFile(migrationsFile)
	if err != nil {
		t.Fatal(err)
	}
	migrations, err := upgrade.LoadMigrations(migrationsFile, data)
	if err != nil {
		t.Fatal(err)
	}
	unlisted, stale := upgrade.Gate(upgrade.Compare(old, current, spec), migrations)
	for _, c := range unlisted {
		t.Errorf("upgrading from %s: %s. Keep the resource (its logical ID and replacing properties), or list %q in %s with its migration note and say what to do in CHANGELOG.md and docs/upgrading.md",
			version.Baseline, c, c.ID(), migrationsFile)
	}
	for _, m := range stale {
		t.Errorf("%s lists %q, which upgrading from %s does not replace or delete (or gives no note): remove it", migrationsFile, m.Change, version.Baseline)
	}
}
