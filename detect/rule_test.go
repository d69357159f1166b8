package detect

import (
	"strings"
	"testing"
)

// TestRuleErrors: every problem of a rule file is reported at once, each naming the file, the
// rule, the field and the fix.
func TestRuleErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"required fields", "id: Bad_Id\n", []string{`r.yaml: rule Bad_Id: id: must be lowercase letters, digits and single dashes, got "Bad_Id"`,
			"title: is required", "severity: is required", "match: is required"}},
		{"references and exceptions", "id: r\ntitle: T\nseverity: low\nmatch: 'true'\nreferences: [docs.aws]\nexceptions: [{principals: [a]}, {reason: ok}]\n",
			[]string{`references[0]: must be a URL, got "docs.aws"`, "exceptions[0].reason: is required", "exceptions[1]: sets nothing to match"}},
		{"threshold count too small, window missing", "id: r\ntitle: T\nseverity: low\nmatch: 'true'\nthreshold: {count: 1}\n",
			[]string{"threshold.count: must be at least 2, got 1", "threshold.window: is required"}},
		{"threshold count beyond what a shared count item holds", "id: r\ntitle: T\nseverity: low\nmatch: 'true'\nthreshold: {count: 5000, window: 10m}\n",
			[]string{"threshold.count: must be at most 1000, got 5000"}},
		{"unknown response action", "id: r\ntitle: T\nseverity: low\nmatch: 'true'\nresponse: {action: make-private}\n",
			[]string{`test/r.yaml: rule r: response.action: unknown action "make-private"; want one of cloudtrail-restore-trail, cloudtrail-start-logging, ec2-revoke-open-ingress, events-restore-forwarder-rule`}},
		{"response without an action", "id: r\ntitle: T\nseverity: low\nmatch: 'true'\nresponse: {params: {}}\n",
			[]string{"rule r: response.action: is required; want one of"}},
		{"unknown and bad response parameters", "id: r\ntitle: T\nseverity: low\nmatch: 'true'\nresponse: {action: ec2-revoke-open-ingress, params: {ports: [22, 70000], force: true}}\n",
			[]string{"response.params.force: unknown parameter of ec2-revoke-open-ingress; want ports", "response.params.ports: must hold port numbers 0-65535, got 70000"}},
		{"a parameter to an action that takes none", "id: r\ntitle: T\nseverity: low\nmatch: 'true'\nresponse: {action: s3-block-public-access, params: {bucket: x}}\n",
			[]string{"response.params.bucket: unknown parameter of s3-block-public-access; it takes none"}},
		{"a response on a threshold rule", "id: r\ntitle: T\nseverity: low\nmatch: 'true'\nthreshold: {count: 5, window: 10m}\nresponse: {action: cloudtrail-start-logging}\n",
			[]string{"rule r: response: a threshold rule cannot carry a response"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFiles(map[string][]byte{"r.yaml": []byte(tc.yaml)}, "test")
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}
