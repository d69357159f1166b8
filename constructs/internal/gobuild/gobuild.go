// Package gobuild builds the Go Lambda functions of this module at synth: a `bootstrap` for
// the provided.al2023 runtime on arm64, by import path, reproducibly, offline and cached.
//
// Why not github.com/aws/aws-cdk-go/awscdklambdagoalpha (GoFunction)? It is an alpha module
// (its API may break in any release) and takes the entry as a file system path plus the
// module directory, whose whole contents it hashes for the asset: a platform team using the
// constructs from its own module would have to find this module in its module cache, and every
// synth would hash a directory tree. It falls back to Docker when local bundling fails, which
// hides a broken build behind a network pull. Building by import path with the go command
// already on the machine needs none of that: `go build <import path>` resolves the package in
// whichever module the synth runs in (this one, or one whose go.mod requires it), Go's build
// cache makes a rebuild take about a second, and the flags below make the bytes reproducible
// so the asset hash changes only when the code does.
//
// This is the one place a construct runs a program: the function code has to come from
// somewhere at synth.
package gobuild

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Target platform of the functions: Lambda's provided.al2023 runtime on Graviton.
const (
	GOOS   = "linux"
	GOARCH = "arm64"
)

// Binary is the file name the provided runtimes execute.
const Binary = "bootstrap"

// Builder builds function binaries.
type Builder struct {
	// Go is the go command.
	// Default: "go", looked up on PATH.
	Go string
	// Dir is the directory the go command runs in; its module decides the versions of the
	// packages built.
	// Default: the current directory, or, when that is in no module, the module this package
	// was compiled from (when its sources are on disk).
	Dir string
	// CacheDir holds one directory per built package, each with its Binary.
	// Default: trailguard/functions in the user's cache directory (os.UserCacheDir).
	CacheDir string

	mu         sync.Mutex
	built      map[string]string // output directories by import path
	registered []string          // import paths the next build also builds
}

// Register names packages that a synth will build: the first Build or BuildAll after it
// builds them too, in the same go invocations. A synth builds several functions, each asked
// for by its construct in turn; deciding whether each is up to date takes a `go list` of
// about a second, once for all of them instead of once each. A registered package that
// fails to build is reported when it is asked for.
func (b *Builder) Register(importPaths ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.registered = append(b.registered, importPaths...)
}

// Default is the Builder the constructs use.
var Default = &Builder{}

// Build returns a directory holding only Binary, built from the main package importPath for
// GOOS/GOARCH with cgo off, -trimpath, no VCS stamping and no build id (reproducible bytes),
// -mod=readonly and GOPROXY=off (never the network: the module cache must hold every
// dependency, as after `go mod download`). Each import path is built once per Builder.
func (b *Builder) Build(importPath string) (string, error) {
	dirs, err := b.BuildAll(importPath)
	if err != nil {
		return "", err
	}
	return dirs[0], nil
}

// BuildAll is Build for several packages at once; it returns their directories in order, or
// every error.
func (b *Builder) BuildAll(importPaths ...string) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	dirs := make([]string, len(importPaths))
	var todo []int
	for i, p := range importPaths {
		if dir, ok := b.built[p]; ok {
			dirs[i] = dir
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return dirs, nil
	}
	// The registered packages not built yet come along, after the ones asked for.
	var extra []string
	for _, p := range b.registered {
		if _, ok := b.built[p]; !ok && !slices.Contains(importPaths, p) && !slices.Contains(extra, p) {
			extra = append(extra, p)
		}
	}
	b.registered = nil
	what := strings.Join(importPaths, ", ")
	goCmd := b.Go
	if goCmd == "" {
		goCmd = "go"
	}
	goPath, err := exec.LookPath(goCmd)
	if err != nil {
		return nil, fmt.Errorf("building function %s needs the go command (https://go.dev/dl), and %q was not found: %v", what, goCmd, errors.Unwrap(err))
	}
	env := buildEnv(os.Environ())
	gomod, err := b.run(goPath, env, "env", "GOMOD")
	if err != nil {
		return nil, fmt.Errorf("building function %s: %w", what, err)
	}
	if gomod = strings.TrimSpace(gomod); (gomod == "" || gomod == os.DevNull) && b.Dir == "" {
		// Not in a module (a built app binary run from elsewhere, as cdk.json may name
		// one): build in the module this package was compiled from, if it is on disk.
		if dir := sourceModuleDir(); dir != "" {
			b.Dir = dir
			if gomod, err = b.run(goPath, env, "env", "GOMOD"); err != nil {
				return nil, fmt.Errorf("building function %s: %w", what, err)
			}
			gomod = strings.TrimSpace(gomod)
		}
	}
	cache := b.CacheDir
	if cache == "" {
		userCache, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("building function %s: no cache directory: %w", what, err)
		}
		cache = filepath.Join(userCache, "trailguard", "functions")
	}
	// One after the other: each go build links for about a second at a few hundred MiB, and
	// a synth already holds the jsii kernel and the cdk CLI; in parallel the links gained
	// little on 2 cores and doubled that peak (measured with cmd/synthbench).
	version, err := b.run(goPath, env, "env", "GOVERSION")
	if err != nil {
		return nil, fmt.Errorf("building function %s: %w", what, err)
	}
	all := extra
	for _, i := range todo {
		all = append(all, importPaths[i])
	}
	listings := b.listAll(goPath, env, all)
	if b.built == nil {
		b.built = map[string]string{}
	}
	errs := make([]error, len(importPaths))
	for _, i := range todo {
		dirs[i], errs[i] = b.buildOne(goPath, env, gomod, cache, version, importPaths[i], listings[importPaths[i]])
	}
	for _, p := range extra {
		if dir, err := b.buildOne(goPath, env, gomod, cache, version, p, listings[p]); err == nil {
			b.built[p] = dir
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, i := range todo {
		b.built[importPaths[i]] = dirs[i]
	}
	return dirs, nil
}

// listAll returns, by import path, what `go list -export -deps` prints for each of
// importPaths (each package it depends on, with the file of its compiled code), from one go
// invocation for all of them. It returns nil when that fails (a package does not exist, say):
// buildOne then lists each package on its own and reports its error.
func (b *Builder) listAll(goPath string, env []string, importPaths []string) map[string]string {
	if len(importPaths) < 2 {
		return nil
	}
	out, err := b.run(goPath, env, append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}} {{.Export}}\t{{join .Deps \" \"}}"}, append(buildFlags, importPaths...)...)...)
	if err != nil {
		return nil
	}
	type pkg struct{ line, deps string }
	var order []pkg
	byPath := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		line, deps, _ := strings.Cut(l, "\t")
		path, _, _ := strings.Cut(line, " ")
		order = append(order, pkg{line, deps})
		byPath[path] = deps
	}
	// Each package's lines, sorted as buildOne sorts a listing of its own: the order in
	// which go list prints dependencies depends on the other packages listed.
	listings := map[string]string{}
	for _, p := range importPaths {
		deps, ok := byPath[p]
		if !ok {
			return nil
		}
		want := map[string]bool{p: true}
		for _, d := range strings.Fields(deps) {
			want[d] = true
		}
		var lines []string
		for _, q := range order {
			if path, _, _ := strings.Cut(q.line, " "); want[path] {
				lines = append(lines, q.line)
			}
		}
		listings[p] = sortedLines(strings.Join(lines, "\n"))
	}
	return listings
}

// buildOne builds importPath into its directory under cache; listing is what `go list
// -export -deps` prints for it, or "" to run it here.
func (b *Builder) buildOne(goPath string, env []string, gomod, cache, version, importPath, listing string) (string, error) {
	// One directory per module and package, so that two checkouts never overwrite each
	// other's binary.
	sum := sha256.Sum256([]byte(gomod + "\x00" + importPath + "\x00" + GOOS + "/" + GOARCH))
	out := filepath.Join(cache, filepath.Base(importPath)+"-"+hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("building function %s: %w", importPath, err)
	}
	// Skip the link when nothing the binary is made of changed: `go list -export` compiles
	// (from Go's build cache) without linking, and names each package's compiled output by
	// its content hash, so the list is a key of the binary's inputs. The link is what costs:
	// about a second and a few hundred MiB, on every synth.
	if listing == "" {
		var err error
		listing, err = b.run(goPath, env, append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}} {{.Export}}"}, append(buildFlags, importPath)...)...)
		if err != nil {
			return "", fmt.Errorf("building function %s: %w", importPath, err)
		}
		listing = sortedLines(listing)
	}
	keySum := sha256.Sum256([]byte(strings.Join(buildFlags, " ") + "\x00" + version + "\x00" + listing))
	key := hex.EncodeToString(keySum[:])
	// Beside the asset directory, not in it: the directory is the function's code.
	keyFile := out + ".inputs"
	if prev, err := os.ReadFile(keyFile); err == nil && string(prev) == key {
		if fi, err := os.Stat(filepath.Join(out, Binary)); err == nil && fi.Mode().IsRegular() {
			return out, nil
		}
	}
	// Build beside the binary and rename: a concurrent synth never sees half a file.
	tmp, err := os.CreateTemp(out, ".bootstrap-*")
	if err != nil {
		return "", fmt.Errorf("building function %s: %w", importPath, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if _, err := b.run(goPath, env, append(append([]string{"build"}, buildFlags...), "-o", tmp.Name(), importPath)...); err != nil {
		return "", fmt.Errorf("building function %s: %w", importPath, err)
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return "", fmt.Errorf("building function %s: %w", importPath, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(out, Binary)); err != nil {
		return "", fmt.Errorf("building function %s: %w", importPath, err)
	}
	// The key goes last: a synth that stops before this point builds again next time.
	if err := os.WriteFile(keyFile, []byte(key), 0o644); err != nil {
		return "", fmt.Errorf("building function %s: %w", importPath, err)
	}
	return out, nil
}

// sortedLines returns the lines of s sorted, each ending in a newline.
func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// buildFlags are the flags of every build, and of the listing that decides whether to build.
// -gcflags=all=-dwarf=false: the linker drops the debug information anyway (-w), so the
// compiler need not write it; a cold build of a function takes about a fifth less CPU (the
// stream consumer for arm64 with an empty build cache: 176 s to 138 s, on 2 cores 92 s to
// 72 s). Stack traces come from the pclntab, which it does not touch.
var buildFlags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-gcflags=all=-dwarf=false", "-tags=lambda.norpc"}

// sourceModuleDir returns the root of the module this file was compiled from, or "" when the
// binary was built with -trimpath or the sources are gone.
func sourceModuleDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// buildEnv is environ with the target platform and the offline, read-only module settings.
// GOFLAGS is replaced: flags meant for the developer's own builds must not change these bytes.
func buildEnv(environ []string) []string {
	set := map[string]string{
		"GOOS":        GOOS,
		"GOARCH":      GOARCH,
		"CGO_ENABLED": "0",
		"GOFLAGS":     "-mod=readonly",
		"GOPROXY":     "off",
		// Never download another toolchain either: build with the one installed.
		"GOTOOLCHAIN": "local",
	}
	env := make([]string, 0, len(environ)+len(set))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// run runs the go command and returns its standard output; on failure the error carries what
// it printed on standard error.
func (b *Builder) run(goPath string, env []string, args ...string) (string, error) {
	cmd := exec.Command(goPath, args...)
	cmd.Dir = b.Dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "GOPROXY=off") {
			msg += " (the build is offline: run `go mod download` first)"
		}
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("go %s: %s", args[0], msg)
	}
	return stdout.String(), nil
}
