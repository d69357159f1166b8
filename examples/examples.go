// Package examples holds example trailguard configs. The default one is embedded in the
// app, so `cdk synth` works out of the box.
package examples

import _ "embed"

// DefaultName is the path the default config is reported under in messages.
const DefaultName = "examples/org.yaml"

// Default is the contents of examples/org.yaml.
//
//go:embed org.yaml
var Default []byte
