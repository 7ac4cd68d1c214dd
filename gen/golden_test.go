package gen_test

import (
	"bytes"
	"flag"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/setgen/setgen/gen"
)

var update = flag.Bool("update", false, "rewrite the expected files of testdata/golden/*.txtar with the generator's output")

// goldenCase is one testdata/golden/<name>.txtar: a package directory
// after go generate. Files that start with setgen's header are the
// expected output; the others (go.mod, sources with their go:generate
// lines) are the input.
type goldenCase struct {
	name    string
	path    string
	archive *txtar.Archive
	inputs  map[string][]byte
	want    map[string][]byte
}

func goldenCases(t testing.TB) []goldenCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot(t), "testdata", "golden", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no testdata/golden/*.txtar")
	}
	var out []goldenCase
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := goldenCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), path: p, archive: ar,
			inputs: map[string][]byte{}, want: map[string][]byte{}}
		for _, f := range ar.Files {
			m := c.inputs
			if gen.IsGenerated(f.Data) {
				m = c.want
			}
			if _, dup := m[f.Name]; dup {
				t.Fatalf("%s: %s appears twice", p, f.Name)
			}
			m[f.Name] = f.Data
		}
		wantMod := "module example.com/" + c.name + "\n"
		if !bytes.HasPrefix(c.inputs["go.mod"], []byte(wantMod)) {
			t.Fatalf("%s: go.mod must start with %q", p, wantMod)
		}
		out = append(out, c)
	}
	return out
}

// relative re-keys files by their path relative to dir, with slashes.
func relative(t testing.TB, dir string, files map[string][]byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for p, content := range files {
		rel, err := filepath.Rel(dir, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("generated file %s is outside the package directory %s", p, dir)
		}
		out[filepath.ToSlash(rel)] = content
	}
	return out
}

// TestGolden generates each golden case's package in a temporary directory
// and compares the output with the archive's expected files. With -update
// it rewrites them instead.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, c.inputs)
			got := relative(t, dir, generateDir(t, dir))
			if len(got) == 0 {
				t.Fatal("nothing generated")
			}
			for _, name := range sortedKeys(got) {
				content := got[name]
				if first, _, _ := bytes.Cut(content, []byte("\n")); !gen.IsGenerated(first) || !bytes.HasSuffix(first, []byte(`"; DO NOT EDIT.`)) {
					t.Errorf("%s: first line is %q, want a setgen header", name, first)
				}
				formatted, err := format.Source(content)
				if err != nil {
					t.Errorf("%s: does not parse: %v", name, err)
				} else if !bytes.Equal(formatted, content) {
					t.Errorf("%s: not gofmt'd: %s", name, firstDiff(content, formatted))
				}
			}

			// Run again with the output on disk: previously generated files
			// are hidden from the loader, and the bytes are the same.
			writeFiles(t, dir, got)
			again := relative(t, dir, generateDir(t, dir))
			compareFiles(t, "second run", again, got)

			if *update {
				ar := &txtar.Archive{Comment: c.archive.Comment}
				for _, f := range c.archive.Files {
					if !gen.IsGenerated(f.Data) {
						ar.Files = append(ar.Files, f)
					}
				}
				for _, name := range sortedKeys(got) {
					ar.Files = append(ar.Files, txtar.File{Name: name, Data: got[name]})
				}
				if err := os.WriteFile(c.path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			compareFiles(t, "golden "+filepath.Base(c.path)+" (go test ./gen -run TestGolden -update rewrites it)", got, c.want)
		})
	}
}

// compareFiles fails t on any file missing from got, extra in got, or
// different.
func compareFiles(t testing.TB, what string, got, want map[string][]byte) {
	t.Helper()
	for _, name := range sortedKeys(want) {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: %s is not generated", what, name)
		case !bytes.Equal(g, want[name]):
			t.Errorf("%s: %s differs at %s", what, name, firstDiff(g, want[name]))
		}
	}
	for _, name := range sortedKeys(got) {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s is generated but not expected", what, name)
		}
	}
}
