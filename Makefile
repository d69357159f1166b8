# trailguard — the commands a newcomer and CI run. Everything JavaScript comes from the pinned
# package-lock.json (Node 24, the aws-cdk CLI, the Control Tower Guard rules).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Use the pinned Node for the cdk CLI and for jsii (the machine's own Node may be older).
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export JSII_NODE := $(CURDIR)/node_modules/.bin/node
# The CLI runs offline in CI: no telemetry, no notices, no version check.
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := true
# Silence jsii's "untested Node version" notice only for versions this project pins.
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

# Lints the CI workflow template users copy (pinned, fetched through the Go module proxy).
ACTIONLINT := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

CONFIG ?=
CDK_CONFIG := $(if $(CONFIG),-c config=$(CONFIG),)

.PHONY: help deps lint synth test bench plan clean detection-report

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The example apps are modules of their own (./... leaves them out): their modules, lint and
# vet too.
EXAMPLES := examples/platform examples/brownfield

deps: node_modules/.installed ## install the pinned toolchain and Go modules
	go mod download
	for d in $(EXAMPLES); do (cd $$d && go mod download); done

# The app prints its summary. With more than one stack the cdk CLI adds "Supply a stack id
# (...)" naming every stack on one line (150 KB for 1,000 accounts): left out. pipefail keeps
# cdk's exit status.
#
# With an empty Go build cache, compiling is most of it: the app (for this machine), then the
# functions it builds (for linux/arm64), each keeping about 1.7 of 2 cores busy. prebuild
# compiles and links the functions as the synth would while `go list -export` compiles the
# app, side by side (340 s to 270 s measured; a second or two when the caches are warm); a
# failure in either is left to the synth to report.
synth: deps ## synthesize every stack into cdk.out with the compliance gates (CONFIG=path.yaml for your own org)
	rm -rf cdk.out
	go run ./constructs/internal/gobuild/prebuild & go list -export -deps ./app >/dev/null 2>&1 || true; wait
	cdk synth --quiet $(CDK_CONFIG) 2>&1 | { grep -v '^Supply a stack id (' || true; }

lint: ## gofmt, go vet and actionlint
	@unformatted=$$(gofmt -l $$(go list -f '{{.Dir}}' ./...) $(EXAMPLES)); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...
	for d in $(EXAMPLES); do (cd $$d && go vet ./...); done
	go run $(ACTIONLINT) .github/workflows/*.yml

# -timeout: test/ runs make and the cdk CLI about 20 times, many of them complete synths, on
# top of its in-process synths (minutes on 2 busy cores); go test's default of 10 minutes per
# package is too close.
test: deps lint ## lint and run all tests (config, golden templates, compliance gates, CLI)
	go test -timeout 30m ./...

plan: ## print the ordered deploy steps (CONFIG=path.yaml for your own org)
	go run ./cmd/trailguard plan $(if $(CONFIG),--config $(CONFIG),)

# The floor app of the synth ratios (cmd/synthbench -ratios): its own pinned aws-cdk-lib.
FLOOR := cmd/synthbench/floor
$(FLOOR)/node_modules/.installed: $(FLOOR)/package.json $(FLOOR)/package-lock.json
	cd $(FLOOR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

bench: deps $(FLOOR)/node_modules/.installed ## benchmarks: synth time and memory by org size, synth ratios (1,000 accounts × 4 regions / default example / the CDK's floor), Event History export throughput and memory, detection engine throughput and memory, trailguard detect against a parse-only JSON decoder on one core, detection function cold start and batch time, the responder's time per action, the AWS quota gate
	go run ./cmd/synthbench
	go run ./cmd/synthbench -ratios -repeat 5
	go run ./cmd/historybench
	go run ./cmd/detectbench
	go run ./cmd/functionbench
	go test -run '^$$' -bench ResponderAction -benchtime 200x ./internal/lambdatest
	go test -run '^$$' -bench . -benchmem ./compliance/quota

detection-report: ## measure the default rules (org-day precision, attack coverage) into docs/detection.md
	go run ./cmd/detectreport

clean: ## remove generated output
	rm -rf cdk.out
