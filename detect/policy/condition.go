package policy

import (
	"iter"
	"strings"
)

// Operator is a condition operator as IAM reads its name: a base operator
// (StringEquals, ArnLike, IpAddress, ...), optionally qualified by a set
// operator prefix (ForAnyValue:, ForAllValues:) and the IfExists suffix.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
type Operator struct {
	// Base is the base operator, lowercased (stringequals, arnlike, ...).
	Base string
	// ForAnyValue, ForAllValues and IfExists tell the qualifiers present.
	ForAnyValue, ForAllValues, IfExists bool
}

// ParseOperator reads a condition operator name, case-insensitively.
func ParseOperator(name string) Operator {
	o := strings.ToLower(name)
	var op Operator
	if rest, ok := strings.CutPrefix(o, "forallvalues:"); ok {
		op.ForAllValues, o = true, rest
	} else if rest, ok := strings.CutPrefix(o, "foranyvalue:"); ok {
		op.ForAnyValue, o = true, rest
	}
	o, op.IfExists = strings.CutSuffix(o, "ifexists")
	op.Base = o
	return op
}

// Negated reports whether the operator requires the key not to match
// (StringNotEquals, StringNotLike, ArnNotLike, NotIpAddress, ...).
func (o Operator) Negated() bool { return strings.Contains(o.Base, "not") }

// Requires reports whether a condition with this operator can only hold
// when the request carries the key with a value that matches: a positive
// operator without IfExists or ForAllValues. IAM documents the others as
// true without the key: a negated operator is true when the key is absent,
// ...IfExists evaluates to true when it is absent, and ForAllValues returns
// true when the request has no value for the key
// (reference_policies_elements_condition_operators.html, above). Only a
// requiring condition narrows who a statement reaches.
func (o Operator) Requires() bool {
	return !o.Negated() && !o.IfExists && !o.ForAllValues
}

// MatchesStrings reports whether the base operator compares the key with
// the condition's strings or ARNs, equal or like (StringEquals,
// StringEqualsIgnoreCase, StringLike, ArnEquals, ArnLike).
func (o Operator) MatchesStrings() bool {
	switch o.Base {
	case "stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike":
		return true
	}
	return false
}

// Condition is one key of a statement's Condition element under one
// operator.
type Condition struct {
	Op Operator
	// Key is the condition key, lowercased: IAM compares condition key names
	// case-insensitively
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
	Key string
	// Values are the condition's values; numbers and booleans as their JSON
	// text (the policy grammar allows "string", number or Boolean values:
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
	Values []string
}

// Required yields the conditions of the statement that can only hold when
// the request carries their key with a matching value (Operator.Requires),
// with at least one value. Every one of them must hold for the statement to
// apply, so each narrows who and what the statement reaches.
func (s Statement) Required() iter.Seq[Condition] {
	return func(yield func(Condition) bool) {
		for name, keys := range s.Condition {
			op := ParseOperator(name)
			if !op.Requires() {
				continue
			}
			for key, vals := range keys {
				if len(vals) == 0 {
					continue
				}
				if !yield(Condition{Op: op, Key: strings.ToLower(key), Values: vals}) {
					return
				}
			}
		}
	}
}
