package gen_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExamplesUpToDate regenerates every package under examples/ that has
// setgen go:generate lines, with the same configuration go generate would
// give the command, and fails on any difference with the committed files,
// and on any committed setgen-generated file that would not be generated.
func TestExamplesUpToDate(t *testing.T) {
	root := filepath.Join(repoRoot(t), "examples")
	want := generatedFiles(t, root)
	if len(want) == 0 {
		t.Fatal("examples/ has no setgen-generated file")
	}
	got := map[string][]byte{}
	var dirs []string
	err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil || !e.IsDir() {
			return err
		}
		if len(directives(t, p)) > 0 {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no package under examples/ has a setgen go:generate line")
	}
	for _, dir := range dirs {
		for p, content := range generateDir(t, dir) {
			got[p] = content
		}
	}
	rel := func(m map[string][]byte) map[string][]byte { return relative(t, root, m) }
	compareFiles(t, "examples (run go generate ./examples/...)", rel(got), rel(want))
}
