package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Rule is an EventBridge rule of an account's default event bus.
type Rule struct {
	// State is ENABLED, DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
	State string
	// EventPattern is the pattern, JSON.
	EventPattern string
	Description  string
	// Targets are the rule's targets.
	Targets []EventTarget
}

// EventTarget is a rule's target as EventBridge's JSON writes it
// (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html).
type EventTarget struct {
	Id                string
	Arn               string
	RoleArn           string             `json:",omitempty"`
	KinesisParameters *KinesisParameters `json:",omitempty"`
	DeadLetterConfig  *DeadLetterConfig  `json:",omitempty"`
	RetryPolicy       *RetryPolicy       `json:",omitempty"`
}

// KinesisParameters are a stream target's parameters.
type KinesisParameters struct{ PartitionKeyPath string }

// DeadLetterConfig is a target's dead-letter queue.
type DeadLetterConfig struct{ Arn string }

// RetryPolicy is a target's retry policy.
type RetryPolicy struct{ MaximumRetryAttempts, MaximumEventAgeInSeconds int }

// SetRule sets the rule name of account's default bus in region; nil deletes it.
func (o *Org) SetRule(account, region, name string, r *Rule) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r == nil {
		delete(o.rules, trailKey(account, region, name))
		return
	}
	c := *r
	c.Targets = slices.Clone(r.Targets)
	o.rules[trailKey(account, region, name)] = &c
}

// Rule returns a rule; nil when it does not exist.
func (o *Org) Rule(account, region, name string) *Rule {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.rules[trailKey(account, region, name)]
	if r == nil {
		return nil
	}
	c := *r
	c.Targets = slices.Clone(r.Targets)
	return &c
}

// events serves the default bus's rules (AWS JSON 1.1, X-Amz-Target AWSEvents.<Operation>:
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Operations.html):
// DescribeRule, ListTargetsByRule, EnableRule, PutRule, PutTargets. A missing rule is
// ResourceNotFoundException ("Rule NAME does not exist on EventBus default.").
func (o *Org) events(q *request) {
	const ct = "application/x-amz-json-1.1"
	w := q.w
	target := q.r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	p := jsonParams(q.body)
	o.record(q, "events:"+op, p)
	account := q.signer.Account()
	if account == "" {
		jsonError(w, ct, http.StatusBadRequest, "AccessDeniedException", "awsfake: not an assumed role")
		return
	}
	var in struct {
		Name, Rule, EventBusName, EventPattern, State, Description string
		Targets                                                    []EventTarget
	}
	if err := json.Unmarshal(q.body, &in); err != nil {
		jsonError(w, ct, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if in.EventBusName != "" && in.EventBusName != "default" {
		jsonError(w, ct, http.StatusBadRequest, "ResourceNotFoundException", "awsfake: the default bus only")
		return
	}
	name := in.Name
	if name == "" {
		name = in.Rule
	}
	key := trailKey(account, q.region, name)
	r := o.rules[key]
	if r == nil && op != "PutRule" {
		jsonError(w, ct, http.StatusBadRequest, "ResourceNotFoundException", fmt.Sprintf("Rule %s does not exist on EventBus default.", name))
		return
	}
	arn := fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", q.region, account, name)
	var out any = struct{}{}
	switch op {
	case "DescribeRule":
		m := map[string]any{"Name": name, "Arn": arn, "State": r.State, "EventBusName": "default", "CreatedBy": account}
		if r.EventPattern != "" {
			m["EventPattern"] = r.EventPattern
		}
		if r.Description != "" {
			m["Description"] = r.Description
		}
		out = m
	case "ListTargetsByRule":
		out = map[string]any{"Targets": append([]EventTarget{}, r.Targets...)}
	case "EnableRule":
		r.State = "ENABLED"
	case "PutRule":
		// PutRule creates the rule or replaces its pattern, state and description; its
		// targets stay (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html).
		if !json.Valid([]byte(in.EventPattern)) {
			jsonError(w, ct, http.StatusBadRequest, "InvalidEventPatternException", "Event pattern is not valid.")
			return
		}
		if r == nil {
			r = &Rule{}
			o.rules[key] = r
		}
		r.EventPattern, r.Description, r.State = in.EventPattern, in.Description, in.State
		if r.State == "" {
			r.State = "ENABLED"
		}
		out = map[string]string{"RuleArn": arn}
	case "PutTargets":
		// A target with an id the rule has replaces it; the others are added.
		for _, t := range in.Targets {
			if i := slices.IndexFunc(r.Targets, func(g EventTarget) bool { return g.Id == t.Id }); i >= 0 {
				r.Targets[i] = t
			} else {
				r.Targets = append(r.Targets, t)
			}
		}
		out = map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}
	default:
		jsonError(w, ct, http.StatusBadRequest, "UnknownOperationException", "awsfake: EventBridge does not serve "+op)
		return
	}
	w.Header().Set("Content-Type", ct)
	json.NewEncoder(w).Encode(out)
}
