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
	if op, ok := documentedOperators[name]; ok {
		return op // spelled as documented: no lowercasing to allocate
	}
	return parseOperator(name)
}

func parseOperator(name string) Operator {
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

// documentedOperators are the operators as the IAM documentation spells
// them, with and without their qualifiers, read ahead.
var documentedOperators = func() map[string]Operator {
	bases := []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
		"NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
		"DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
		"DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals",
		"ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
	}
	m := map[string]Operator{}
	for _, b := range bases {
		for _, set := range []string{"", "ForAnyValue:", "ForAllValues:"} {
			for _, ifExists := range []string{"", "IfExists"} {
				name := set + b + ifExists
				m[name] = parseOperator(name)
			}
		}
	}
	return m
}()

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
// operator. Every condition of a statement must hold for it to apply.
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
		for _, c := range s.Condition {
			if c.Op.Requires() && len(c.Values) > 0 && !yield(c) {
				return
			}
		}
	}
}
