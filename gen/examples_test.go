package gen_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestGoGenerateAtRoot runs what a contributor runs, go generate ./... at
// the repository's root, in a copy of the repository: every directive
// succeeds and the generated files are the committed ones.
func TestGoGenerateAtRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the repository and runs go generate")
	}
	root := repoRoot(t)
	copyDir := filepath.Join(t.TempDir(), "setgen")
	if out, err := exec.Command("cp", "-r", root, copyDir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	cmd := exec.Command("go", "generate", "./...")
	cmd.Dir = copyDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go generate ./... at the root: %v\n%s", err, out)
	}
	want := generatedFiles(t, root)
	got := generatedFiles(t, copyDir)
	for p := range want {
		if strings.Contains(p, string(filepath.Separator)+"testdata"+string(filepath.Separator)) {
			delete(want, p) // golden outputs are data, not generated in place
		}
	}
	for p := range got {
		if strings.Contains(p, string(filepath.Separator)+"testdata"+string(filepath.Separator)) {
			delete(got, p)
		}
	}
	compareFiles(t, "go generate ./... (run it and commit the result)", relative(t, copyDir, got), relative(t, root, want))
}
