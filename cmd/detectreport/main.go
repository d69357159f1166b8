// Command detectreport measures the default detection rules and publishes the result in
// docs/detection.md, between the markers <!-- detection-report:begin --> and
// <!-- detection-report:end -->:
//
//   - precision on the ordinary organization day (detect/testdata/orgday: the records, the
//     organization's config, the wanted alerts of manifest.yaml): alerts raised, wanted and
//     false, per rule, with the config and without it;
//   - coverage on the attack corpus (detect/testdata/attacks/manifest.yaml, when present):
//     per behaviour, how many of its variants alert on one of the rules listed for them.
//
// Run it from the module root: go run ./cmd/detectreport (make detection-report). With -check
// it changes nothing and exits 1 when docs/detection.md is not up to date.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/detect"
)

// Markers around the generated part of the docs.
const (
	beginMarker = "<!-- detection-report:begin -->"
	endMarker   = "<!-- detection-report:end -->"
)

// Paths, relative to the module root.
const (
	orgDayDir     = "detect/testdata/orgday"
	attacksDir    = "detect/testdata/attacks"
	detectionDocs = "docs/detection.md"
)

func main() {
	check := flag.Bool("check", false, "exit 1 if "+detectionDocs+" is not up to date instead of writing it")
	flag.Parse()
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "detectreport:", err)
		os.Exit(1)
	}
}

func run(check bool) error {
	report, err := Report(".")
	if err != nil {
		return err
	}
	doc, err := os.ReadFile(detectionDocs)
	if err != nil {
		return err
	}
	updated, err := Splice(doc, report)
	if err != nil {
		return fmt.Errorf("%s: %w", detectionDocs, err)
	}
	if check {
		if !bytes.Equal(doc, updated) {
			return fmt.Errorf("%s is not up to date: run make detection-report", detectionDocs)
		}
		return nil
	}
	if bytes.Equal(doc, updated) {
		fmt.Println(detectionDocs, "is up to date")
		return nil
	}
	fmt.Println("updated", detectionDocs)
	return os.WriteFile(detectionDocs, updated, 0o644)
}

// Splice replaces what lies between the markers of doc with report.
func Splice(doc []byte, report string) ([]byte, error) {
	s := string(doc)
	b := strings.Index(s, beginMarker)
	e := strings.Index(s, endMarker)
	if b < 0 || e < b {
		return nil, fmt.Errorf("no %s ... %s markers: add them where the report belongs", beginMarker, endMarker)
	}
	return []byte(s[:b+len(beginMarker)] + "\n" + report + s[e:]), nil
}

// Manifest is the org day's manifest.yaml.
type Manifest struct {
	Wanted []struct {
		Rule      string `yaml:"rule"`
		EventName string `yaml:"eventName"`
		Account   string `yaml:"account"`
		Why       string `yaml:"why"`
	} `yaml:"wanted"`
}

// AttackManifest is detect/testdata/attacks/manifest.yaml.
type AttackManifest struct {
	Behaviours []struct {
		ID       string `yaml:"id"`
		Title    string `yaml:"title"`
		Variants []struct {
			Name  string   `yaml:"name"`
			File  string   `yaml:"file"`
			Rules []string `yaml:"rules"`
		} `yaml:"variants"`
	} `yaml:"behaviours"`
}

// check returns every missing field of the manifest at once, each by its path.
func (m *AttackManifest) check() error {
	var errs []error
	if len(m.Behaviours) == 0 {
		errs = append(errs, errors.New("behaviours: none; want a list of {id, title, variants}"))
	}
	for i, b := range m.Behaviours {
		if b.ID == "" {
			errs = append(errs, fmt.Errorf("behaviours[%d].id is empty", i))
		}
		if len(b.Variants) == 0 {
			errs = append(errs, fmt.Errorf("behaviours[%d] (%s).variants: none", i, b.ID))
		}
		for j, v := range b.Variants {
			if v.File == "" {
				errs = append(errs, fmt.Errorf("behaviours[%d] (%s).variants[%d].file is empty: the CloudTrail log file, relative to %s", i, b.ID, j, attacksDir))
			}
			if len(v.Rules) == 0 {
				errs = append(errs, fmt.Errorf("behaviours[%d] (%s).variants[%d].rules: none; want the rule ids any of which detects it", i, b.ID, j))
			}
		}
	}
	return errors.Join(errs...)
}

// Report measures the rules under root (the module root) and returns the Markdown.
func Report(root string) (string, error) {
	var b strings.Builder
	cfgPath := filepath.Join(root, orgDayDir, "org.yaml")
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return "", err
	}
	cfg, err := config.Load(cfgPath, raw)
	if err != nil {
		return "", err
	}
	var m Manifest
	mb, err := os.ReadFile(filepath.Join(root, orgDayDir, "manifest.yaml"))
	if err != nil {
		return "", err
	}
	if err := yaml.UnmarshalWithOptions(mb, &m, yaml.Strict()); err != nil {
		return "", fmt.Errorf("%s/manifest.yaml: %w", orgDayDir, err)
	}
	records, err := readLog(filepath.Join(root, orgDayDir, "day.json.gz"))
	if err != nil {
		return "", err
	}
	withCfg, err := runRules(detect.ContextFromConfig(cfg), records)
	if err != nil {
		return "", err
	}
	without, err := runRules(nil, records)
	if err != nil {
		return "", err
	}
	learnedCtx := &detect.Context{Organization: detect.Organization{Accounts: recipients(records)}}
	learned, err := runRules(learnedCtx, records)
	if err != nil {
		return "", err
	}
	wanted := func(a *detect.Alert) bool {
		for _, w := range m.Wanted {
			if a.Rule == w.Rule && a.EventName == w.EventName && a.AccountID == w.Account {
				return true
			}
		}
		return false
	}
	type row struct{ raised, wanted int }
	tally := func(alerts []*detect.Alert) (map[string]*row, int, int) {
		rows := map[string]*row{}
		var good int
		for _, a := range alerts {
			r := rows[a.Rule]
			if r == nil {
				r = &row{}
				rows[a.Rule] = r
			}
			r.raised++
			if wanted(a) {
				r.wanted++
				good++
			}
		}
		return rows, len(alerts), good
	}
	rowsCfg, nCfg, goodCfg := tally(withCfg)
	rowsNo, nNo, goodNo := tally(without)
	_, nLearned, goodLearned := tally(learned)
	fmt.Fprintf(&b, "Regenerate with `make detection-report` (`go run ./cmd/detectreport`).\n\n")
	fmt.Fprintf(&b, "**Precision on an ordinary day** ([detect/testdata/orgday](../detect/testdata/orgday): %d records of a 9-account organization, %d alerts wanted):\n\n", len(records), len(m.Wanted))
	fmt.Fprintf(&b, "| run | alerts | wanted (of %d) | false |\n|---|---:|---:|---:|\n", len(m.Wanted))
	fmt.Fprintf(&b, "| with the organization's config (`--config`) | %d | %d | %d |\n", nCfg, goodCfg, nCfg-goodCfg)
	fmt.Fprintf(&b, "| without a config: the accounts that received the records are the organization's (`trailguard detect` on files) | %d | %d | %d |\n", nLearned, goodLearned, nLearned-goodLearned)
	fmt.Fprintf(&b, "| without a config, from standard input: only a record's own account is the organization's | %d | %d | %d |\n\n", nNo, goodNo, nNo-goodNo)
	ids := map[string]bool{}
	for id := range rowsCfg {
		ids[id] = true
	}
	for id := range rowsNo {
		ids[id] = true
	}
	for _, w := range m.Wanted {
		ids[w.Rule] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	fmt.Fprintf(&b, "| rule | alerts (config) | wanted | false | alerts (no config) | false (no config) |\n|---|---:|---:|---:|---:|---:|\n")
	for _, id := range sorted {
		c, n := rowsCfg[id], rowsNo[id]
		if c == nil {
			c = &row{}
		}
		if n == nil {
			n = &row{}
		}
		fmt.Fprintf(&b, "| `%s` | %d | %d | %d | %d | %d |\n", id, c.raised, c.wanted, c.raised-c.wanted, n.raised, n.raised-n.wanted)
	}
	b.WriteString("\n")
	cov, err := coverage(root)
	if err != nil {
		return "", err
	}
	b.WriteString(cov)
	return b.String(), nil
}

// coverage measures the attack corpus, or says it was not measured.
func coverage(root string) (string, error) {
	path := filepath.Join(root, attacksDir, "manifest.yaml")
	mb, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "**Coverage of attacks**: not measured (" + attacksDir + "/manifest.yaml is absent).\n", nil
	}
	if err != nil {
		return "", err
	}
	var m AttackManifest
	// Not strict: the attack corpus may carry more (descriptions, references) than the report
	// reads; what it reads is checked below.
	if err := yaml.Unmarshal(mb, &m); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if err := m.check(); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	var b strings.Builder
	var full, variants, detected int
	var rows []string
	for _, beh := range m.Behaviours {
		var hit int
		var missed []string
		for _, v := range beh.Variants {
			records, err := readLog(filepath.Join(root, attacksDir, v.File))
			if err != nil {
				return "", fmt.Errorf("behaviour %s, variant %s: %w", beh.ID, v.Name, err)
			}
			alerts, err := runRules(nil, records)
			if err != nil {
				return "", err
			}
			if slices.ContainsFunc(alerts, func(a *detect.Alert) bool { return slices.Contains(v.Rules, a.Rule) }) {
				hit++
			} else {
				missed = append(missed, v.Name)
			}
		}
		variants += len(beh.Variants)
		detected += hit
		if hit == len(beh.Variants) && hit > 0 {
			full++
		}
		note := ""
		if len(missed) > 0 {
			note = "missed: " + strings.Join(missed, "; ")
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %d/%d | %s |", beh.ID, beh.Title, hit, len(beh.Variants), note))
	}
	fmt.Fprintf(&b, "**Coverage of attacks** ([%s](../%s/manifest.yaml)): %d of %d behaviours fully detected; %d of %d variants alert.\n\n", attacksDir, attacksDir, full, len(m.Behaviours), detected, variants)
	b.WriteString("| behaviour | title | variants alerting | |\n|---|---|---:|---|\n")
	b.WriteString(strings.Join(rows, "\n"))
	b.WriteString("\n")
	return b.String(), nil
}

// runRules runs the default rules with ctx over records, in order, with one Detector.
// recipients are the records' recipientAccountId values: the accounts trailguard detect takes
// for the organization's without a config.
func recipients(records []json.RawMessage) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range records {
		var rec struct {
			RecipientAccountID string `json:"recipientAccountId"`
		}
		if json.Unmarshal(r, &rec) == nil && rec.RecipientAccountID != "" && !seen[rec.RecipientAccountID] {
			seen[rec.RecipientAccountID] = true
			out = append(out, rec.RecipientAccountID)
		}
	}
	return out
}

func runRules(ctx *detect.Context, records []json.RawMessage) ([]*detect.Alert, error) {
	e, err := detect.LoadWith(detect.LoadOptions{Context: ctx})
	if err != nil {
		return nil, err
	}
	d := detect.NewDetector(e, nil)
	var out []*detect.Alert
	for i, raw := range records {
		rec, err := detect.ParseRecord(raw)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		alerts, err := d.Process(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, alerts...)
	}
	return out, nil
}

// readLog reads a CloudTrail log file ({"Records":[...]}, optionally gzipped).
func readLog(path string) ([]json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r = zr
	}
	var file struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.NewDecoder(r).Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: not a CloudTrail log file ({\"Records\":[...]}): %w", path, err)
	}
	return file.Records, nil
}
