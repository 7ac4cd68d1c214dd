package gen_test

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/setgen/setgen/gen"
)

// setgenCmd is the command a go:generate line runs.
const setgenCmd = "go run github.com/setgen/setgen/cmd/setgen"

// repoRoot returns the repository's root: the test runs in gen/.
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(wd)
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatalf("repo root: %v", err)
	}
	if !bytes.HasPrefix(mod, []byte("module github.com/setgen/setgen\n")) {
		t.Fatalf("repo root %s: go.mod is not github.com/setgen/setgen's", root)
	}
	return root
}

// directive is one //go:generate line that runs setgen.
type directive struct {
	file string // base name, as GOFILE
	line int    // 1-based, as GOLINE
	args []string
}

// directives returns the setgen go:generate lines of the package in dir,
// in file and line order.
func directives(t testing.TB, dir string) []directive {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []directive
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(src))
		for n := 1; sc.Scan(); n++ {
			rest, ok := strings.CutPrefix(sc.Text(), "//go:generate ")
			if !ok || !strings.Contains(rest, "github.com/setgen/setgen/cmd/setgen") {
				continue
			}
			args, ok := strings.CutPrefix(strings.TrimSpace(rest), setgenCmd)
			if !ok || strings.ContainsAny(args, `"'`+"`") {
				t.Fatalf("%s:%d: unexpected go:generate line %q (want %q and plain flags)", e.Name(), n, sc.Text(), setgenCmd)
			}
			out = append(out, directive{file: e.Name(), line: n, args: strings.Fields(args)})
		}
	}
	return out
}

// config turns a directive's arguments into the gen.Config the command
// builds from them (see cmd/setgen), for the package in dir.
func (d directive) config(t testing.TB, dir string) gen.Config {
	t.Helper()
	env := map[string]string{"GOFILE": d.file, "GOLINE": strconv.Itoa(d.line)}
	cfg, err := gen.ParseArgs(d.args, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("%s:%d: %v", d.file, d.line, err)
	}
	cfg.Dir = filepath.Join(dir, cfg.Dir)
	return cfg
}

// generateDir runs every setgen directive of the package in dir through
// gen.Generate, as go generate would, and returns the files by path.
func generateDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	ds := directives(t, dir)
	if len(ds) == 0 {
		t.Fatalf("%s: no setgen go:generate line", dir)
	}
	out := map[string][]byte{}
	for _, d := range ds {
		files, err := gen.Generate(d.config(t, dir))
		if err != nil {
			t.Fatalf("%s:%d: setgen %s: %v", d.file, d.line, strings.Join(d.args, " "), err)
		}
		for _, f := range files {
			if !filepath.IsAbs(f.Path) {
				t.Errorf("Generate returned a relative path %s", f.Path)
			}
			if old, dup := out[f.Path]; dup && !bytes.Equal(old, f.Content) {
				t.Errorf("%s is generated twice with different contents", f.Path)
			}
			out[f.Path] = f.Content
		}
	}
	return out
}

// generatedFiles returns the files under dir (recursively) that setgen wrote.
func generatedFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if gen.IsGenerated(src) {
			out[p] = src
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeFiles writes files (relative path -> content) under dir.
func writeFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// firstDiff describes where got and want first differ, by line.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return "line " + strconv.Itoa(i+1) + ":\n\tgot:  " + strconv.Quote(gl) + "\n\twant: " + strconv.Quote(wl)
		}
	}
	return "no difference"
}
