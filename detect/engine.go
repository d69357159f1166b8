package detect

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
)

// Engine holds compiled rules. It is immutable and safe for concurrent use;
// the state of thresholds and dedupe lives in a Detector.
type Engine struct {
	rules []*compiled
	// Rules whose condition requires an eventName (or else an eventSource)
	// are indexed by it, so a record is only tested against the rules that
	// can match it. The index is read off the condition itself.
	byName, bySource map[string][]*compiled
	always           []*compiled
	// ctx is the organization context every condition sees, prepared once.
	ctx *engineContext
}

// compiled is a rule ready to run.
type compiled struct {
	*Rule
	index      int
	match      cel.Program
	matchAST   *cel.Ast
	exceptions []compiledException
	groupBy    cel.Program // threshold rules only
	distinct   cel.Program // threshold rules with Distinct only
}

type compiledException struct {
	*Exception
	principals, accounts, roles, tags []*regexp.Regexp
	condition                         cel.Program
}

// Compile checks and compiles rules, in order, without an organization context
// (CompileWith). It returns every problem at once as LoadErrors, each naming
// the file, the rule, the field and the CEL error.
func Compile(rules []*Rule) (*Engine, error) {
	return CompileWith(rules, nil)
}

// CompileWith checks and compiles rules, in order, with the organization
// context their conditions see (nil: none known, so only a record's own
// account is the organization's). It returns every problem at once as
// LoadErrors, each naming the file, the rule, the field and the CEL error.
func CompileWith(rules []*Rule, ctx *Context) (*Engine, error) {
	if ctx != nil {
		if err := ctx.Validate(); err != nil {
			return nil, fmt.Errorf("organization context: %w", err)
		}
	}
	env, err := sharedEnv()
	if err != nil {
		return nil, fmt.Errorf("cel environment: %w", err)
	}
	e := &Engine{byName: map[string][]*compiled{}, bySource: map[string][]*compiled{}, ctx: newEngineContext(ctx)}
	var errs LoadErrors
	for i, r := range rules {
		c, es := compileRule(env, r, i)
		errs = append(errs, es...)
		if len(es) > 0 {
			continue
		}
		e.rules = append(e.rules, c)
		if r.Disabled {
			continue
		}
		names, sources := indexKeys(c.matchAST)
		switch {
		case len(names) > 0:
			for _, n := range names {
				e.byName[n] = append(e.byName[n], c)
			}
		case len(sources) > 0:
			for _, s := range sources {
				e.bySource[s] = append(e.bySource[s], c)
			}
		default:
			e.always = append(e.always, c)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return e, nil
}

func compileRule(env *cel.Env, r *Rule, index int) (*compiled, LoadErrors) {
	var errs LoadErrors
	fail := func(field string, err error) {
		errs = append(errs, &LoadError{File: r.File, Rule: r.ID, Field: field, Err: err})
	}
	var matchAST *cel.Ast
	program := func(field, expr string, want ...*cel.Type) cel.Program {
		a, iss := env.Compile(expr)
		if iss.Err() != nil {
			fail(field, fmt.Errorf("%s", strings.TrimSpace(iss.Err().Error())))
			return nil
		}
		if out := a.OutputType(); !slices.ContainsFunc(append(want, cel.DynType), out.IsExactType) {
			fail(field, fmt.Errorf("the expression gives a %s; want %s", out, want[0]))
			return nil
		}
		p, err := env.Program(a, cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			fail(field, err)
			return nil
		}
		if field == "match" {
			matchAST = a
		}
		return p
	}
	c := &compiled{Rule: r, index: index}
	c.match = program("match", r.Match, cel.BoolType)
	c.matchAST = matchAST
	for i := range r.Exceptions {
		x := &r.Exceptions[i]
		field := fmt.Sprintf("exceptions[%d]", i)
		ce := compiledException{Exception: x}
		globs := func(name string, pats []string) []*regexp.Regexp {
			var out []*regexp.Regexp
			for _, p := range pats {
				if p == "" {
					fail(field+"."+name, fmt.Errorf("empty pattern"))
					continue
				}
				out = append(out, glob(p))
			}
			return out
		}
		ce.principals = globs("principals", x.Principals)
		ce.accounts = globs("accounts", x.Accounts)
		ce.roles = globs("roles", x.Roles)
		ce.tags = globs("tags", x.Tags)
		if x.Condition != "" {
			ce.condition = program(field+".condition", x.Condition, cel.BoolType)
		}
		c.exceptions = append(c.exceptions, ce)
	}
	if t := r.Threshold; t != nil {
		c.groupBy = program("threshold.groupBy", t.GroupBy, cel.StringType)
		if t.Distinct != "" {
			c.distinct = program("threshold.distinct", t.Distinct, cel.StringType, cel.ListType(cel.StringType), cel.ListType(cel.DynType))
		}
	}
	return c, errs
}

// glob turns a pattern where * matches any run of characters into an
// anchored regular expression.
func glob(p string) *regexp.Regexp {
	parts := strings.Split(p, "*")
	for i, s := range parts {
		parts[i] = regexp.QuoteMeta(s)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

func anyMatch(res []*regexp.Regexp, values ...string) bool {
	for _, re := range res {
		for _, v := range values {
			if re.MatchString(v) {
				return true
			}
		}
	}
	return false
}

// indexKeys reads off a condition the eventName values (or else the
// eventSource values) it requires: a conjunct eventName == "X" or
// eventName in ["X", "Y"], or a disjunction of conditions that each require
// some. A record with another value cannot match, so the rule need not run
// for it.
func indexKeys(a *cel.Ast) (names, sources []string) {
	e := a.NativeRep().Expr()
	names, _ = requiredValues(e, "eventName")
	sources, _ = requiredValues(e, "eventSource")
	slices.Sort(names)
	slices.Sort(sources)
	return slices.Compact(names), slices.Compact(sources)
}

// Rules returns the compiled rules, in order, disabled ones included.
func (e *Engine) Rules() []*Rule {
	out := make([]*Rule, len(e.rules))
	for i, c := range e.rules {
		out[i] = c.Rule
	}
	return out
}

// candidates returns the rules that can match rec, in rule order.
func (e *Engine) candidates(rec *Record) []*compiled {
	byName := e.byName[rec.EventName()]
	bySource := e.bySource[rec.EventSource()]
	if len(byName)+len(bySource) == 0 {
		return e.always
	}
	out := make([]*compiled, 0, len(byName)+len(bySource)+len(e.always))
	out = append(append(append(out, byName...), bySource...), e.always...)
	slices.SortFunc(out, func(a, b *compiled) int { return a.index - b.index })
	return out
}

// Match is a rule whose condition a record meets, exceptions applied.
type Match struct {
	// Rule is the rule.
	Rule *Rule
	c    *compiled
}

// EvalError is a rule that failed on a record: the record does not match
// that rule, and the caller should count or report the failure.
type EvalError struct {
	// Rule is the rule's id.
	Rule string
	// Field is the failing expression: match, an exception's condition, the
	// threshold's groupBy or distinct.
	Field string
	// Err is CEL's error.
	Err error
}

// Error says which rule and field failed, and CEL's error.
func (e *EvalError) Error() string { return fmt.Sprintf("rule %s: %s: %v", e.Rule, e.Field, e.Err) }

// Match returns the rules rec matches and is not excepted from, in rule
// order, and the rules that failed on it.
func (e *Engine) Match(rec *Record) ([]Match, []*EvalError) {
	act := activation{rec: rec, ctx: e.ctx, memo: &activationMemo{}}
	var out []Match
	var errs []*EvalError
	for _, c := range e.candidates(rec) {
		ok, err := evalBool(c.match, act)
		if err != nil {
			errs = append(errs, &EvalError{Rule: c.ID, Field: "match", Err: err})
			continue
		}
		if !ok {
			continue
		}
		excepted, xerr := c.excepted(rec, act)
		if xerr != nil {
			errs = append(errs, xerr)
		}
		if !excepted {
			out = append(out, Match{Rule: c.Rule, c: c})
		}
	}
	return out, errs
}

func evalBool(p cel.Program, act activation) (bool, error) {
	v, _, err := p.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := v.(types.Bool)
	if !ok {
		return false, fmt.Errorf("the condition gave %s, not a bool", v.Type().TypeName())
	}
	return bool(b), nil
}

// excepted reports whether one of the rule's exceptions covers rec. A
// failing exception condition does not apply (the record alerts).
func (c *compiled) excepted(rec *Record, act activation) (bool, *EvalError) {
	var evalErr *EvalError
	for i, x := range c.exceptions {
		if x.principals != nil && !anyMatch(x.principals, rec.Principal()) {
			continue
		}
		if x.accounts != nil && !anyMatch(x.accounts, rec.AccountID()) {
			continue
		}
		if x.roles != nil && !anyMatch(x.roles, rec.Role()) {
			continue
		}
		if x.tags != nil && !anyMatch(x.tags, rec.requestTags()...) {
			continue
		}
		if x.condition != nil {
			ok, err := evalBool(x.condition, act)
			if err != nil {
				evalErr = &EvalError{Rule: c.ID, Field: fmt.Sprintf("exceptions[%d].condition", i), Err: err}
				continue
			}
			if !ok {
				continue
			}
		}
		return true, nil
	}
	return false, evalErr
}

// requiredValues returns the string values e requires of the variable
// ident, and false when it requires none in a form it recognizes.
func requiredValues(e ast.Expr, ident string) ([]string, bool) {
	if e.Kind() != ast.CallKind {
		return nil, false
	}
	call := e.AsCall()
	args := call.Args()
	if len(args) != 2 {
		return nil, false
	}
	isIdent := func(x ast.Expr) bool { return x.Kind() == ast.IdentKind && x.AsIdent() == ident }
	str := func(x ast.Expr) (string, bool) {
		if x.Kind() != ast.LiteralKind {
			return "", false
		}
		s, ok := x.AsLiteral().(types.String)
		return string(s), ok
	}
	switch call.FunctionName() {
	case operators.LogicalAnd:
		// Either operand's requirement holds for the whole.
		for _, a := range args {
			if v, ok := requiredValues(a, ident); ok {
				return v, true
			}
		}
	case operators.LogicalOr:
		// Both operands must require values; the whole requires either.
		l, ok := requiredValues(args[0], ident)
		if !ok {
			return nil, false
		}
		r, ok := requiredValues(args[1], ident)
		if !ok {
			return nil, false
		}
		return append(slices.Clone(l), r...), true
	case operators.Equals:
		for _, pair := range [][2]ast.Expr{{args[0], args[1]}, {args[1], args[0]}} {
			if s, ok := str(pair[1]); ok && isIdent(pair[0]) {
				return []string{s}, true
			}
		}
	case operators.In:
		if !isIdent(args[0]) || args[1].Kind() != ast.ListKind {
			return nil, false
		}
		var out []string
		for _, el := range args[1].AsList().Elements() {
			s, ok := str(el)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}
