package upgrade

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
)

// SpecFile is where the pinned aws-cdk CLI keeps the AWS service specification it diffs with
// (`cdk diff` says "may be replaced" from it), relative to the module root after `make deps`.
const SpecFile = "node_modules/aws-cdk/db.json.gz"

// LoadSpec reads the AWS service specification database (@aws-cdk/aws-service-spec, gzipped
// JSON, as the aws-cdk CLI bundles it): per resource type, whether it is stateful and which
// top-level properties cause replacement. It is generated from the CloudFormation resource
// schemas (createOnlyProperties) and the resource specification's UpdateType "Immutable"
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-resource-specification-format.html).
func LoadSpec(r io.Reader) (Spec, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading the service spec: %w", err)
	}
	var db struct {
		Schema struct {
			Resource struct {
				Entities []struct {
					CloudFormationType string `json:"cloudFormationType"`
					IsStateful         bool   `json:"isStateful"`
					Properties         map[string]struct {
						CausesReplacement string `json:"causesReplacement"`
					} `json:"properties"`
				} `json:"entities"`
			} `json:"resource"`
		} `json:"schema"`
	}
	if err := json.NewDecoder(gz).Decode(&db); err != nil {
		return nil, fmt.Errorf("reading the service spec: %w", err)
	}
	spec := Spec{}
	for _, e := range db.Schema.Resource.Entities {
		ts := TypeSpec{Stateful: e.IsStateful, Replacing: map[string]string{}}
		for name, p := range e.Properties {
			if p.CausesReplacement == "yes" || p.CausesReplacement == "maybe" {
				ts.Replacing[name] = p.CausesReplacement
			}
		}
		spec[e.CloudFormationType] = ts
	}
	if len(spec) == 0 {
		return nil, fmt.Errorf("reading the service spec: no resource types in it")
	}
	return spec, nil
}
