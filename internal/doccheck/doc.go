// Package doccheck holds the tests that keep the module's documentation honest: every
// exported identifier of the public packages has a doc comment and every public package a
// package doc showing its use (what `go doc` prints is the API's manual), docs/public-api.md
// lists exactly the public packages, and every relative link in the README, the changelog,
// docs/*.md and the examples' READMEs reaches an existing file and heading; and the README's
// two commands are what .ci/run runs. It has no code of its own; `go test
// ./internal/doccheck` runs the checks (pure Go, no CDK).
package doccheck
