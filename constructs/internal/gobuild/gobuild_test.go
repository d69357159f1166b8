package gobuild

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const hello = "github.com/trailguard/trailguard/constructs/internal/gobuild/testdata/hello"

func TestBuild(t *testing.T) {
	b := &Builder{CacheDir: t.TempDir()}
	dir, err := b.Build(hello)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != Binary {
		t.Fatalf("Build's directory holds %v, want only %s", entries, Binary)
	}
	f, err := elf.Open(filepath.Join(dir, Binary))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.OSABI != elf.ELFOSABI_NONE || f.Type != elf.ET_EXEC {
		t.Errorf("got machine %v, type %v, want an arm64 Linux executable", f.Machine, f.Type)
	}
	if f.Section(".interp") != nil {
		t.Error("the binary is dynamically linked, want static (CGO_ENABLED=0)")
	}
	if info, err := os.Stat(filepath.Join(dir, Binary)); err != nil || info.Mode()&0o111 == 0 {
		t.Errorf("the binary is not executable: %v, %v", info.Mode(), err)
	}
	again, err := b.Build(hello)
	if err != nil || again != dir {
		t.Errorf("a second Build returned %q, %v, want the first one's %q", again, err, dir)
	}
}

func TestBuildAll(t *testing.T) {
	b := &Builder{CacheDir: t.TempDir()}
	first, err := b.Build(hello)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.BuildAll(hello, "github.com/trailguard/trailguard/cmd/no-such-function")
	if err == nil || !strings.Contains(err.Error(), "no-such-function") {
		t.Errorf("BuildAll error = %v, want the missing package named", err)
	}
	dirs, err := b.BuildAll("github.com/trailguard/trailguard/cmd/streamconsumer", hello)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 2 || dirs[1] != first || !strings.Contains(filepath.Base(dirs[0]), "streamconsumer-") {
		t.Errorf("BuildAll = %v, want the stream consumer's directory, then hello's %s", dirs, first)
	}
}

// TestBuildReproducible builds the same package with two builders and compares the bytes: the
// asset hash of a function must change only when its code does.
func TestBuildReproducible(t *testing.T) {
	var bins [][]byte
	for range 2 {
		dir, err := (&Builder{CacheDir: t.TempDir()}).Build(hello)
		if err != nil {
			t.Fatal(err)
		}
		bin, err := os.ReadFile(filepath.Join(dir, Binary))
		if err != nil {
			t.Fatal(err)
		}
		bins = append(bins, bin)
	}
	if !bytes.Equal(bins[0], bins[1]) {
		t.Error("two builds of the same package differ")
	}
	for _, leak := range []string{os.Getenv("HOME"), "go.buildid"} {
		if leak != "" && bytes.Contains(bins[0], []byte(leak)) {
			t.Errorf("the binary contains %q, want a build independent of the machine", leak)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name       string
		builder    *Builder
		importPath string
		want       []string
	}{
		{
			name:       "no go command",
			builder:    &Builder{Go: "go-not-installed-here"},
			importPath: hello,
			want:       []string{"building function " + hello + " needs the go command", `"go-not-installed-here" was not found`},
		},
		{
			name:       "unknown package",
			builder:    &Builder{},
			importPath: "github.com/trailguard/trailguard/cmd/no-such-function",
			want:       []string{"building function github.com/trailguard/trailguard/cmd/no-such-function: go list:", "no-such-function"},
		},
		{
			name:       "module not in the module cache",
			builder:    &Builder{},
			importPath: "example.com/not/required",
			want:       []string{"go list:", "example.com/not/required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.builder.CacheDir = t.TempDir()
			_, err := tt.builder.Build(tt.importPath)
			if err == nil {
				t.Fatal("Build succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "goroutine ") {
				t.Errorf("error %q carries a stack trace", err)
			}
		})
	}
}

func TestBuildEnv(t *testing.T) {
	env := buildEnv([]string{"HOME=/h", "GOFLAGS=-mod=mod", "GOPROXY=https://proxy.golang.org", "GOARCH=amd64", "PATH=/bin"})
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s is set twice", k)
		}
		got[k] = v
	}
	want := map[string]string{"HOME": "/h", "PATH": "/bin", "GOOS": "linux", "GOARCH": "arm64", "CGO_ENABLED": "0",
		"GOFLAGS": "-mod=readonly", "GOPROXY": "off", "GOTOOLCHAIN": "local"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestBuildOutsideAModule: a built app binary run from a directory in no module (cdk.json may
// name a binary) builds in the module it was compiled from.
func TestBuildOutsideAModule(t *testing.T) {
	b := &Builder{CacheDir: t.TempDir()}
	t.Chdir(t.TempDir())
	dir, err := b.Build(hello)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, Binary)); err != nil {
		t.Error(err)
	}
}

// TestBuildFromAnotherModule: a platform team's module whose app uses the detection construct
// builds both functions by import path, offline, with the versions its go.mod selects. The
// module is examples/platform, whose go.mod and go.sum `go mod tidy` wrote (online, as a
// platform team runs it) and `make deps` downloads: the test needs only what a build needs,
// not whatever else a developer's module cache happens to hold (an offline `go mod tidy` here
// needed the test-only modules of dependencies, which a fresh machine never downloaded).
func TestBuildFromAnotherModule(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Dir: filepath.Join(root, "examples", "platform"), CacheDir: t.TempDir()}
	// The example uses the detection construct.
	for _, pkg := range functionPackages["github.com/trailguard/trailguard/constructs/detection"] {
		out, err := b.Build(pkg)
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(filepath.Join(out, Binary))
		if err != nil {
			t.Fatal(err)
		}
		// Lambda takes up to 250 MB unzipped and 50 MB zipped per deployment package: a
		// binary under 50 MiB is within both whatever it compresses to.
		if info.Size() > 50<<20 {
			t.Errorf("%s is %d MiB, want under 50", pkg, info.Size()>>20)
		}
	}
}

// functionPackages are the functions each construct builds at synth, by construct package.
var functionPackages = map[string][]string{
	"github.com/trailguard/trailguard/constructs/detection": {
		"github.com/trailguard/trailguard/cmd/streamconsumer", "github.com/trailguard/trailguard/cmd/archiveconsumer"},
	"github.com/trailguard/trailguard/constructs/coveragemonitor": {"github.com/trailguard/trailguard/cmd/coveragemonitor"},
	"github.com/trailguard/trailguard/constructs/responder":       {"github.com/trailguard/trailguard/cmd/responder"},
}

// TestFunctionDepsRecordEveryModule: `go mod tidy` in a platform team's module records the
// modules a construct package imports under any build tag; the functions are built from this
// module with -mod=readonly, so each construct that builds a function must import (in its
// functiondeps.go, under the trailguard_function_deps tag) a package of every module its
// functions need beyond its own. Offline: go list reads only what the build of this module
// needs.
func TestFunctionDepsRecordEveryModule(t *testing.T) {
	modules := func(tags string, pkgs ...string) map[string]bool {
		args := append([]string{"list", "-deps", "-tags", tags, "-f", "{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}"}, pkgs...)
		cmd := exec.Command("go", args...)
		cmd.Env = buildEnv(os.Environ())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
		set := map[string]bool{}
		for _, m := range strings.Fields(string(out)) {
			set[m] = true
		}
		return set
	}
	for construct, functions := range functionPackages {
		recorded := modules("trailguard_function_deps", construct)
		for m := range modules("", functions...) {
			if !recorded[m] {
				t.Errorf("the functions of %s need module %s, which it does not import under the trailguard_function_deps tag: a platform team's `go mod tidy` would leave it out and the synth's offline build would fail; import one of its packages in its functiondeps.go", construct, m)
			}
		}
	}
}

// TestBuildSkipsTheLinkWhenNothingChanged: a second Builder (a second synth) with the same
// cache reuses the binary when its inputs are unchanged, and builds again when they change or
// the binary is gone.
func TestBuildSkipsTheLinkWhenNothingChanged(t *testing.T) {
	cache := t.TempDir()
	dir, err := (&Builder{CacheDir: cache}).Build(hello)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, Binary)
	first, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&Builder{CacheDir: cache}).Build(hello); err != nil {
		t.Fatal(err)
	}
	if again, err := os.Stat(bin); err != nil || !os.SameFile(first, again) || !again.ModTime().Equal(first.ModTime()) {
		t.Errorf("unchanged inputs: the binary was built again")
	}
	// Inputs recorded otherwise (as after a change to the code): built again.
	if err := os.WriteFile(dir+".inputs", []byte("other"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Builder{CacheDir: cache}).Build(hello); err != nil {
		t.Fatal(err)
	}
	if again, err := os.Stat(bin); err != nil || os.SameFile(first, again) {
		t.Errorf("changed inputs: the binary was not built again")
	}
}

// TestListAllListsEachAsAlone: one go list for several packages gives each the listing it
// gets on its own, so that the up-to-date check keys the same inputs either way.
func TestListAllListsEachAsAlone(t *testing.T) {
	b := &Builder{CacheDir: t.TempDir()}
	goPath, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	env := buildEnv(os.Environ())
	pkgs := []string{hello, "github.com/trailguard/trailguard/cmd/streamconsumer", "github.com/trailguard/trailguard/cmd/responder"}
	got := b.listAll(goPath, env, pkgs)
	if len(got) != len(pkgs) {
		t.Fatalf("listAll returned %d listings, want %d", len(got), len(pkgs))
	}
	for _, p := range pkgs {
		want, err := b.run(goPath, env, append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}} {{.Export}}"}, append(buildFlags, p)...)...)
		if err != nil {
			t.Fatal(err)
		}
		if want = sortedLines(want); got[p] != want {
			t.Errorf("%s: listed with the others:\n%s\nalone:\n%s", p, got[p], want)
		}
	}
	if got := b.listAll(goPath, env, []string{hello, "github.com/trailguard/trailguard/cmd/no-such-function"}); got != nil {
		t.Errorf("listAll with a missing package = %v, want nil (each is then listed alone)", got)
	}
}

// TestRegisteredPackagesBuildWithTheFirst: a registered package is built with the first
// package asked for, and a registered package that does not build fails nobody else.
func TestRegisteredPackagesBuildWithTheFirst(t *testing.T) {
	b := &Builder{CacheDir: t.TempDir()}
	stream := "github.com/trailguard/trailguard/cmd/streamconsumer"
	b.Register(stream, "github.com/trailguard/trailguard/cmd/no-such-function")
	if _, err := b.Build(hello); err != nil {
		t.Fatalf("Build with a broken registered package: %v", err)
	}
	if _, ok := b.built[stream]; !ok {
		t.Errorf("the registered %s was not built with the first Build", stream)
	}
	if _, err := b.Build("github.com/trailguard/trailguard/cmd/no-such-function"); err == nil {
		t.Error("asking for the broken registered package: no error")
	}
}
