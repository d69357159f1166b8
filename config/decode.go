package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// decoder turns a YAML document into a Config field by field, so that every unknown key and
// every wrongly typed value is reported (not just the first, as yaml.Strict would), and so
// that validation can name the line of each field.
type decoder struct {
	problems *Problems
	// lines maps a field path ("members[1].id") to the line it was written on.
	lines map[string]int
	// bad holds the paths whose values could not be decoded, so validation does not pile
	// further complaints on a value that is already reported.
	bad     map[string]bool
	anchors map[string]ast.Node
}

func decode(data []byte, cfg *Config, problems *Problems) (lines map[string]int, bad map[string]bool) {
	d := &decoder{problems: problems, lines: map[string]int{}, bad: map[string]bool{}, anchors: map[string]ast.Node{}}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		problems.add("", lineOfYAMLError(err), "", "the file is not valid YAML: %s", yamlMessage(err))
		return d.lines, d.bad
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc.Body == nil {
			continue
		}
		if body != nil {
			problems.add("", line(doc.Body), "", "the file holds more than one YAML document; put the whole config in one")
			return d.lines, d.bad
		}
		body = doc.Body
	}
	if body == nil || isNull(body) {
		problems.add("", 0, "", "the file is empty; start from examples/org.yaml")
		return d.lines, d.bad
	}
	d.collectAnchors(body)
	d.value("", line(body), body, reflect.ValueOf(cfg).Elem())
	return d.lines, d.bad
}

// fail reports a value that cannot be decoded into its field.
func (d *decoder) fail(path string, node ast.Node, format string, args ...any) {
	d.bad[path] = true
	d.problems.add(path, line(node), scalarText(node), format, args...)
}

// value decodes node into v, recording at (the line of the key, or of the list item) as the
// line of path.
func (d *decoder) value(path string, at int, node ast.Node, v reflect.Value) {
	node = d.resolve(node)
	if path != "" {
		d.lines[path] = at
	}
	if isNull(node) {
		return // an explicit null leaves the default in place
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.value(path, at, node, elem.Elem())
		v.Set(elem)
	case reflect.Struct:
		d.mapping(path, node, func(key string, keyLine int, val ast.Node) {
			field, ok := fieldByTag(v, key)
			if !ok {
				d.problems.add(join(path, key), keyLine, "", "is not a known setting%s", suggest(v.Type(), key))
				return
			}
			d.value(join(path, key), keyLine, val, field)
		})
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		d.mapping(path, node, func(key string, keyLine int, val ast.Node) {
			elem := reflect.New(v.Type().Elem()).Elem()
			d.value(join(path, key), keyLine, val, elem)
			v.SetMapIndex(reflect.ValueOf(key), elem)
		})
	case reflect.Slice:
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			d.fail(path, node, "must be a list")
			return
		}
		out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
		for i, item := range seq.Values {
			d.value(fmt.Sprintf("%s[%d]", path, i), line(item), item, out.Index(i))
		}
		v.Set(out)
	case reflect.String:
		s, ok := node.(ast.ScalarNode)
		if !ok {
			d.fail(path, node, "must be a single value, not a %s", kindName(node))
			return
		}
		// Keep the text as written: an account id written without quotes stays
		// "012345678901", not the number YAML would make of it.
		v.SetString(scalarString(s))
	case reflect.Int:
		n, ok := node.(*ast.IntegerNode)
		if !ok {
			d.fail(path, node, "must be a whole number")
			return
		}
		i, err := strconv.ParseInt(fmt.Sprint(n.GetValue()), 10, 64)
		if err != nil {
			d.fail(path, node, "must be a whole number")
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		b, ok := node.(*ast.BoolNode)
		if !ok {
			d.fail(path, node, "must be true or false")
			return
		}
		v.SetBool(b.Value)
	default:
		// Only the kinds above appear in Config; reaching this is a programming error.
		panic(fmt.Sprintf("config: unsupported field kind %s at %s", v.Kind(), path))
	}
}

// mapping calls fn for each key of a mapping node, reporting a non-mapping as a problem.
func (d *decoder) mapping(path string, node ast.Node, fn func(key string, keyLine int, val ast.Node)) {
	var pairs []*ast.MappingValueNode
	switch n := node.(type) {
	case *ast.MappingNode:
		pairs = n.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{n}
	default:
		if path == "" {
			d.fail(path, node, "the file must be a mapping of settings, as examples/org.yaml is")
		} else {
			d.fail(path, node, "must be a mapping of keys to values, as it is in examples/org.yaml")
		}
		return
	}
	// Duplicate keys need no check here: the parser rejects them.
	for _, p := range pairs {
		if p.Key.IsMergeKey() {
			d.mapping(path, d.resolve(p.Value), fn)
			continue
		}
		key := fmt.Sprint(p.Key.GetToken().Value)
		fn(key, line(p.Key), p.Value)
	}
}

func (d *decoder) collectAnchors(node ast.Node) {
	ast.Walk(visitorFunc(func(n ast.Node) {
		if a, ok := n.(*ast.AnchorNode); ok {
			d.anchors[fmt.Sprint(a.Name.GetToken().Value)] = a.Value
		}
	}), node)
}

// resolve looks through anchors, aliases and tags to the node that holds the value.
func (d *decoder) resolve(node ast.Node) ast.Node {
	for i := 0; i < 32; i++ { // bounded: a self-referencing alias must not loop forever
		switch n := node.(type) {
		case *ast.AnchorNode:
			node = n.Value
		case *ast.AliasNode:
			target, ok := d.anchors[fmt.Sprint(n.Value.GetToken().Value)]
			if !ok {
				return n
			}
			node = target
		case *ast.TagNode:
			node = n.Value
		default:
			return node
		}
	}
	return node
}

type visitorFunc func(ast.Node)

func (f visitorFunc) Visit(n ast.Node) ast.Visitor {
	f(n)
	return f
}

// fieldByTag finds the field of struct v whose yaml tag is key.
func fieldByTag(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if tagName(t.Field(i)) == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// suggest names a known key that differs from key only in case, or lists the known keys.
func suggest(t reflect.Type, key string) string {
	var known []string
	for i := 0; i < t.NumField(); i++ {
		name := tagName(t.Field(i))
		if strings.EqualFold(name, key) || strings.EqualFold(strings.ReplaceAll(name, "_", ""), strings.ReplaceAll(key, "_", "")) {
			return fmt.Sprintf("; did you mean %q?", name)
		}
		known = append(known, name)
	}
	return "; expected one of " + strings.Join(known, ", ")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func line(n ast.Node) int {
	if n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok
}

func scalarString(s ast.ScalarNode) string {
	switch n := s.(type) {
	case *ast.StringNode:
		return n.Value
	case *ast.LiteralNode:
		return n.Value.Value
	default:
		return n.GetToken().Value
	}
}

// scalarText is the value as written, for error messages; empty for mappings and lists.
func scalarText(n ast.Node) string {
	if s, ok := n.(ast.ScalarNode); ok {
		return scalarString(s)
	}
	return ""
}

func kindName(n ast.Node) string {
	switch n.(type) {
	case *ast.SequenceNode:
		return "list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "mapping"
	default:
		return n.Type().String()
	}
}

// lineOfYAMLError digs the line out of a goccy/go-yaml syntax error.
func lineOfYAMLError(err error) int {
	var se *yaml.SyntaxError
	if errors.As(err, &se) && se.Token != nil && se.Token.Position != nil {
		return se.Token.Position.Line
	}
	return 0
}

// yamlMessage is the syntax error without the source excerpt goccy appends.
func yamlMessage(err error) string {
	var se *yaml.SyntaxError
	if errors.As(err, &se) {
		return se.Message
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}
