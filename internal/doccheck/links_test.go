package doccheck

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// markdownFiles are the documents whose links TestRelativeLinks checks, as globs relative to
// the module root.
var markdownFiles = []string{"README.md", "CHANGELOG.md", "docs/*.md", "examples/*/README.md", "detect/testdata/*/README.md"}

// TestRelativeLinks fails on a relative link in README.md, CHANGELOG.md, docs/*.md or the
// examples' and test corpora's READMEs that points to no file or directory of the repository,
// or to a heading (#anchor) its markdown file does not have, as GitHub renders them. Links
// with a scheme (https:, mailto:) are not followed.
func TestRelativeLinks(t *testing.T) {
	var files []string
	for _, g := range markdownFiles {
		m, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 3 {
		t.Fatalf("found %d markdown files under %s: %v", len(files), root, files)
	}
	docs := map[string]*markdown{} // by path relative to root, parsed once
	parse := func(rel string) (*markdown, error) {
		if d, ok := docs[rel]; ok {
			return d, nil
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		d := parseMarkdown(src)
		docs[rel] = d
		return d, nil
	}
	checked := 0
	for _, f := range files {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		d, err := parse(rel)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range d.links {
			if problem := checkLink(rel, l.dest, parse); problem != "" {
				t.Errorf("%s:%d: link %q: %s", rel, l.line, l.dest, problem)
			}
			checked++
		}
	}
	t.Logf("%d links checked in %d files", checked, len(files))
}

// checkLink returns what is wrong with the link dest in the markdown file from (relative to
// root), or "".
func checkLink(from, dest string, parse func(string) (*markdown, error)) string {
	u, err := url.Parse(dest)
	if err != nil {
		return fmt.Sprintf("not a URL: %v", err)
	}
	if u.Scheme != "" || u.Host != "" {
		return ""
	}
	target := from
	if u.Path != "" {
		if strings.HasPrefix(u.Path, "/") {
			return "absolute path: link relative to this file"
		}
		target = path.Join(path.Dir(from), u.Path)
		if strings.HasPrefix(target, "../") || target == ".." {
			return "leaves the repository"
		}
		info, err := os.Stat(filepath.Join(root, filepath.FromSlash(target)))
		if err != nil {
			return fmt.Sprintf("no file %s", target)
		}
		if info.IsDir() {
			if u.Fragment != "" {
				return fmt.Sprintf("%s is a directory: it has no heading #%s", target, u.Fragment)
			}
			return ""
		}
	}
	if u.Fragment == "" {
		return ""
	}
	if !strings.HasSuffix(target, ".md") {
		if strings.HasPrefix(u.Fragment, "L") {
			return "" // a line of a source file (#L12), as GitHub shows it
		}
		return fmt.Sprintf("%s is not markdown: #%s names no heading", target, u.Fragment)
	}
	d, err := parse(target)
	if err != nil {
		return err.Error()
	}
	if !d.anchors[u.Fragment] {
		return fmt.Sprintf("%s has no heading #%s%s", target, u.Fragment, d.closest(u.Fragment))
	}
	return ""
}

// markdown is what TestRelativeLinks needs of a document: its links and its headings' anchors.
type markdown struct {
	links   []link
	anchors map[string]bool
}

// link is one link destination and the line it is on.
type link struct {
	dest string
	line int
}

// closest suggests the anchors that share the longest prefix with anchor, for the message.
func (d *markdown) closest(anchor string) string {
	best, n := "", 0
	for a := range d.anchors {
		i := 0
		for i < len(a) && i < len(anchor) && a[i] == anchor[i] {
			i++
		}
		if i > n || (i == n && a < best) {
			best, n = a, i
		}
	}
	if n < 3 {
		return ""
	}
	return fmt.Sprintf(" (did you mean #%s?)", best)
}

// parseMarkdown parses src as GitHub Flavored Markdown (goldmark: links in code spans and
// code blocks are not links, headings in code blocks are not headings).
func parseMarkdown(src []byte) *markdown {
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	d := &markdown{anchors: map[string]bool{}}
	seen := map[string]int{}
	lineOf := func(n ast.Node) int {
		at := -1
		_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
			if t, ok := c.(*ast.Text); ok && entering {
				at = t.Segment.Start
				return ast.WalkStop, nil
			}
			return ast.WalkContinue, nil
		})
		if at >= 0 {
			return 1 + strings.Count(string(src[:at]), "\n")
		}
		for p := n; p != nil; p = p.Parent() {
			if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
				return 1 + strings.Count(string(src[:p.Lines().At(0).Start]), "\n")
			}
		}
		return 0
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			// GitHub's anchors (github-slugger): the heading's text, lowercased, without
			// punctuation but hyphens and underscores, spaces as hyphens; a repeated one gets
			// -1, -2, ...
			slug := slugify(plainText(n, src))
			if k := seen[slug]; k > 0 {
				d.anchors[fmt.Sprintf("%s-%d", slug, k)] = true
			} else {
				d.anchors[slug] = true
			}
			seen[slug]++
		case *ast.Link:
			d.links = append(d.links, link{string(n.Destination), lineOf(n)})
		case *ast.Image:
			d.links = append(d.links, link{string(n.Destination), lineOf(n)})
		}
		return ast.WalkContinue, nil
	})
	return d
}

// plainText is the text of n's inline content, as GitHub renders it (code spans' text, links'
// text, no markup).
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// slugify is github-slugger's slug of a heading's text.
func slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
