package gen_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/setgen/setgen/gen"
	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// tempModule is a consumer module in a temporary directory that requires
// github.com/setgen/setgen, replaced by this repository.
type tempModule struct {
	t   *testing.T
	dir string
	env []string
}

// newTempModule writes the files of testdata/e2e/<name>.txtar, with
// REPO_ROOT in them replaced, and the repository's go.sum, so the go
// command needs nothing beyond the module cache.
func newTempModule(t *testing.T, name string, extra map[string][]byte) *tempModule {
	t.Helper()
	root := repoRoot(t)
	ar, err := txtar.ParseFile(filepath.Join(root, "testdata", "e2e", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range ar.Files {
		files[f.Name] = bytes.ReplaceAll(f.Data, []byte("REPO_ROOT"), []byte(filepath.ToSlash(root)))
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files["go.sum"] = sum
	for name, data := range extra {
		files[name] = data
	}
	m := &tempModule{t: t, dir: t.TempDir()}
	writeFiles(t, m.dir, files)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "GOFLAGS" && k != "GOWORK" {
			m.env = append(m.env, kv)
		}
	}
	// -mod=mod lets the go command complete go.mod from the module graph
	// (go.uber.org/mock, rueidis, ...), which the module cache holds.
	m.env = append(m.env, "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"), "GOWORK=off")
	return m
}

// run runs the go command in the module and returns its combined output
// and whether it succeeded.
func (m *tempModule) run(args ...string) (string, bool) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = m.dir
	cmd.Env = m.env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	m.t.Logf("go %s: %v (%s)", strings.Join(args, " "), err, time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		m.t.Fatalf("go %s timed out:\n%s", strings.Join(args, " "), out)
	}
	return string(out), err == nil
}

// must runs the go command and fails the test if it fails.
func (m *tempModule) must(args ...string) string {
	m.t.Helper()
	out, ok := m.run(args...)
	if !ok {
		m.t.Fatalf("go %s failed:\n%s", strings.Join(args, " "), out)
	}
	return out
}

func (m *tempModule) read(name string) []byte {
	m.t.Helper()
	b, err := os.ReadFile(filepath.Join(m.dir, filepath.FromSlash(name)))
	if err != nil {
		m.t.Fatal(err)
	}
	return b
}

// edit replaces old, which must occur once, with new in the module's file name.
func (m *tempModule) edit(name, old, new string) {
	m.t.Helper()
	b := m.read(name)
	if bytes.Count(b, []byte(old)) != 1 {
		m.t.Fatalf("%s: %q does not occur once", name, old)
	}
	writeFiles(m.t, m.dir, map[string][]byte{name: bytes.Replace(b, []byte(old), []byte(new), 1)})
}

// TestEndToEnd is the consumer's workflow in a temporary module: go
// generate, go vet, then go test of code that calls every method of a
// generated set against a real redis-server, and its gomock mock; schema
// evolution and canonical encoding through generated codecs; every golden
// case's expected output compiles; and generated code stops compiling
// when its type changes, until it is generated again.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a module and runs redis-server")
	}
	// Every golden case, moved into the module, must build and vet.
	extra := map[string][]byte{}
	for _, c := range goldenCases(t) {
		from, to := "example.com/"+c.name, "example.com/e2e/golden/"+c.name
		for _, files := range []map[string][]byte{c.inputs, c.want} {
			for name, data := range files {
				if name == "go.mod" {
					continue
				}
				data = bytes.ReplaceAll(data, []byte(`"`+from+`"`), []byte(`"`+to+`"`))
				data = bytes.ReplaceAll(data, []byte(`"`+from+`/`), []byte(`"`+to+`/`))
				extra["golden/"+c.name+"/"+name] = data
			}
		}
	}
	// With round-trip tests of their codecs.
	rt, err := txtar.ParseFile(filepath.Join(repoRoot(t), "testdata", "e2e", "roundtrip.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var roundTrips []string
	for _, f := range rt.Files {
		pkg := filepath.ToSlash(filepath.Dir(f.Name))
		found := false
		for name := range extra {
			found = found || strings.HasPrefix(name, pkg+"/")
		}
		if !found {
			t.Fatalf("roundtrip.txtar: %s is not in a golden case's package", f.Name)
		}
		extra[f.Name] = f.Data
		roundTrips = append(roundTrips, pkg)
	}
	m := newTempModule(t, "module", extra)
	srv := redistest.Start(t, redistest.Config{})
	m.env = append(m.env, "SETGEN_E2E_REDIS="+srv.Addr)
	// Each phase needs the ones before it: the first that fails ends the test.
	phase := func(name string, f func(t *testing.T)) {
		t.Helper()
		ok := t.Run(name, func(t *testing.T) {
			m.t = t
			f(t)
		})
		m.t = t
		if !ok {
			t.FailNow()
		}
	}

	phase("every method is tested", func(t *testing.T) { everyMethodCalled(t, string(m.read("users/users_test.go"))) })
	phase("install and generate", func(t *testing.T) {
		// What go get -tool writes: the tool's requirements in go.mod (-e:
		// the packages the generator is about to write do not exist yet).
		m.must("mod", "tidy", "-e")
		m.must("generate", "./users/...", "./evolve/...", "./stale/...")
		// The README's install: the tool survives go mod tidy, and
		// generating again changes nothing.
		users := string(m.read("users/user_set.go"))
		m.must("mod", "tidy")
		m.must("generate", "./users/...")
		if again := string(m.read("users/user_set.go")); again != users {
			t.Error("go generate after go mod tidy changed users/user_set.go")
		}
		// A module at setgen's Go floor stays there: installing the tool
		// does not raise its go line.
		if mod := string(m.read("go.mod")); !regexp.MustCompile(`(?m)^go 1\.25\.0$`).MatchString(mod) {
			t.Errorf("go.mod's go line changed from 1.25.0 after go get -tool and go mod tidy:\n%s", mod)
		}
		for _, name := range []string{"users/user_set.go", "users/tag_set.go", "users/id_set.go", "users/usersmock/user_set_mock.go",
			"users/usersmock/tag_set_mock.go", "evolve/v1/item_set.go", "evolve/v2/item_set.go",
			"stale/addfield/item_set.go", "stale/retag/item_set.go", "stale/rekind/item_set.go", "stale/rekind/name_set.go"} {
			if !gen.IsGenerated(m.read(name)) {
				t.Errorf("%s does not start with the generated-code header", name)
			}
		}
	})
	phase("vet and test", func(t *testing.T) {
		m.must("vet", "./...")
		out := m.must("test", "-count=1", "-v", "./users/...", "./evolve/...", "./golden/...")
		wants := []string{"--- PASS: TestEveryMethod", "--- PASS: TestRawAndIntegerSets", "--- PASS: TestMock",
			"--- PASS: TestSchemaEvolution", "--- PASS: TestCanonicalEncoding", "ok  \texample.com/e2e/users", "ok  \texample.com/e2e/evolve"}
		for _, pkg := range roundTrips {
			wants = append(wants, "ok  \texample.com/e2e/"+pkg+"\t")
		}
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("go test output lacks %q:\n%s", want, out)
			}
		}
	})
	phase("stale generated code", func(t *testing.T) {
		// Change the types, and the build fails in the generated files
		// until go generate runs again.
		m.edit("stale/addfield/item.go", "Name string `msgpack:\"name\"`\n", "Name string `msgpack:\"name\"`\n\tAge  int    `msgpack:\"age\"`\n")
		m.edit("stale/retag/item.go", "`msgpack:\"size\"`", "`msgpack:\"bytes\"`")
		m.edit("stale/rekind/item.go", "type Name string", "type Name int")
		out, ok := m.run("build", "./stale/...")
		if ok {
			t.Fatalf("go build succeeded with stale generated code:\n%s", out)
		}
		for _, pkg := range []string{"addfield", "retag", "rekind"} {
			if !regexp.MustCompile(`(?m)^# example\.com/e2e/stale/` + pkg + `\n(stale/` + pkg + `/)?\S*_set\.go:\d+`).MatchString(out) {
				t.Errorf("go build does not report stale/%s's generated code:\n%s", pkg, out)
			}
		}
		m.must("generate", "./stale/...")
		m.must("build", "./stale/...")
		for name, want := range map[string]string{
			"stale/addfield/item_set.go": `"\xa3age"`,
			"stale/retag/item_set.go":    `"\xa5bytes"`,
			"stale/rekind/name_set.go":   `codec.AppendDecimal(b, int64(*v))`,
		} {
			if !bytes.Contains(m.read(name), []byte(want)) {
				t.Errorf("regenerated %s lacks %s", name, want)
			}
		}
	})
}

// everyMethodCalled fails unless the consumer's test calls every method of
// the set's interface.
func everyMethodCalled(t *testing.T, usersTest string) {
	api := reflect.TypeFor[runtime.SetAPI[string]]()
	for i := range api.NumMethod() {
		name := api.Method(i).Name
		if !regexp.MustCompile(`\b(s|other|dst|set)\.` + name + `\(`).MatchString(usersTest) {
			t.Errorf("users_test.go does not call UserSet.%s", name)
		}
	}
}
