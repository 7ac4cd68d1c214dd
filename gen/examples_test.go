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
	copyDir := copyRepo(t)
	goIn(t, copyDir, "generate", "./...")
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

// TestMethodSetSingleSource: the method set of a generated set is the
// runtime's. In a copy of the repository, a method added to runtime.Set
// and runtime.SetAPI (and nothing else) is, after go generate, on the
// generated UserSet, its UserSetAPI interface and its gomock mock.
func TestMethodSetSingleSource(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the repository and runs go generate and go test")
	}
	dir := copyRepo(t)
	edit := func(name, old, new string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(string(b), old) != 1 {
			t.Fatalf("%s: %q does not occur once", name, old)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("runtime/api.go", "type SetAPI[T any] interface {\n",
		"type SetAPI[T any] interface {\n\t// Probe is a method added by a test.\n\tProbe(ctx context.Context, m T) (int64, error)\n")
	edit("runtime/set.go", "\n// Contains reports whether m is a member.",
		"\n// Probe is a method added by a test.\nfunc (s *Set[T]) Probe(ctx context.Context, m T) (int64, error) { return 42, nil }\n\n// Contains reports whether m is a member.")
	goIn(t, dir, "generate", "./runtime/...", "./examples/users/...")
	writeFiles(t, dir, map[string][]byte{"examples/users/probe_test.go": []byte(`package users_test

import (
	"context"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/setgen/setgen/examples/users"
	"github.com/setgen/setgen/examples/users/usersmock"
)

func TestProbe(t *testing.T) {
	ctx, alice := context.Background(), users.User{ID: "alice"}
	set := users.NewUserSet(nil, "users")
	var api users.UserSetAPI = set
	mock := usersmock.NewMockUserSetAPI(gomock.NewController(t))
	mock.EXPECT().Probe(gomock.Any(), usersmock.EqUser(alice)).Return(7, nil)
	a, _ := set.Probe(ctx, alice)
	b, _ := api.Probe(ctx, alice)
	c, _ := mock.Probe(ctx, alice)
	if a != 42 || b != 42 || c != 7 {
		t.Fatalf("Probe: set %d, interface %d, mock %d", a, b, c)
	}
}
`)})
	if out := goIn(t, dir, "test", "-count=1", "-run", "^TestProbe$", "-v", "./examples/users/"); !strings.Contains(out, "--- PASS: TestProbe") {
		t.Fatalf("TestProbe did not pass:\n%s", out)
	}
}

// copyRepo copies the repository into a temporary directory.
func copyRepo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "setgen")
	if out, err := exec.Command("cp", "-r", repoRoot(t), dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	return dir
}

// goIn runs the go command in dir and returns its output, failing the
// test if it fails.
func goIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}
