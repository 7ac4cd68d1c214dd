package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// pkgDir writes a module with the given files into a temporary directory,
// makes it the working directory (as go generate does) and returns it.
func pkgDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/app\n\ngo 1.25\n"
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

// listGo returns the .go files under dir, relative and sorted.
func listGo(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".go") {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// env is an environment for run: go generate's variables, or none.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// noGoGenerate is the environment outside go generate.
var noGoGenerate = env{}.get

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"-nope"}, nil, "flag provided but not defined: -nope"},
		{"bad bool", []string{"-mock=maybe", "-type=User"}, nil, "invalid boolean value"},
		{"two directories", []string{"-type=User", "a", "b"}, nil, "usage: setgen"},
		{"empty type name", []string{"-type=User,,Tag"}, nil, "-type has an empty name"},
		{"blank type name", []string{"-type= "}, nil, "-type has an empty name"},
		{"no type outside go generate", nil, nil, "-type is required outside go generate"},
		{"GOLINE not a number", nil, map[string]string{"GOFILE": "u.go", "GOLINE": "x"}, "-type is required outside go generate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := pkgDir(t, map[string]string{"u.go": "package app\n\ntype User struct{ ID string }\n"})
			var stderr bytes.Buffer
			if code := run(c.args, env(c.env).get, &stderr); code != 2 {
				t.Errorf("run(%q) = %d, want 2; stderr:\n%s", c.args, code, &stderr)
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("stderr does not say %q:\n%s", c.want, &stderr)
			}
			if !strings.Contains(stderr.String(), "usage: setgen") {
				t.Errorf("stderr has no usage line:\n%s", &stderr)
			}
			if got := listGo(t, dir); !slices.Equal(got, []string{"u.go"}) {
				t.Errorf("files after a usage error: %v", got)
			}
		})
	}
}

// TestHelp: -h prints the usage and every flag.
func TestHelp(t *testing.T) {
	var stderr bytes.Buffer
	code := run([]string{"-h"}, noGoGenerate, &stderr)
	if code != 2 {
		t.Errorf("run(-h) = %d, want 2", code)
	}
	for _, want := range []string{"usage: setgen", "-type", "-mock", "-output"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("-h output lacks %q:\n%s", want, &stderr)
		}
	}
}

// TestUnsupportedFieldExits1: file:line: field X: why, status 1, nothing
// written, not even the files of the types that were fine.
func TestUnsupportedFieldExits1(t *testing.T) {
	cases := []struct{ field, decl, why string }{
		{"Events", "Events chan string", "channels cannot be stored"},
		{"OnSave", "OnSave func() error", "functions cannot be stored"},
		{"Raw", "Raw unsafe.Pointer", "unsafe.Pointer cannot be stored"},
		{"Extra", "Extra any", "interface type any has no concrete codec"},
		{"Shape", "Shape interface{ Area() float64 }", "has no concrete codec"},
		{"Z", "Z complex128", "complex128 is not supported"},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			src := "package app\n\nimport \"unsafe\"\n\nvar _ unsafe.Pointer\n\n// Tag is fine.\ntype Tag string\n\n" +
				"// User is not.\ntype User struct {\n\tID string `msgpack:\"id\"`\n\t" + c.decl + "\n}\n"
			dir := pkgDir(t, map[string]string{"user.go": src})
			var stderr bytes.Buffer
			if code := run([]string{"-type=Tag,User", "-mock"}, noGoGenerate, &stderr); code != 1 {
				t.Errorf("run = %d, want 1; stderr:\n%s", code, &stderr)
			}
			re := regexp.MustCompile(`^setgen: user\.go:13: field ` + c.field + `: .*` + regexp.QuoteMeta(c.why) + `.*\n$`)
			if !re.MatchString(stderr.String()) {
				t.Errorf("stderr\n\t%q\ndoes not match\n\t%v", stderr.String(), re)
			}
			if got := listGo(t, dir); !slices.Equal(got, []string{"user.go"}) {
				t.Errorf("files written despite the error: %v", got)
			}
		})
	}
}

// TestClashExits1: a type named like the set setgen must declare.
func TestClashExits1(t *testing.T) {
	dir := pkgDir(t, map[string]string{"user.go": "package app\n\ntype User struct{ ID string }\n\n// UserSet is hand-written.\ntype UserSet []User\n"})
	var stderr bytes.Buffer
	if code := run([]string{"-type=User"}, noGoGenerate, &stderr); code != 1 {
		t.Errorf("run = %d, want 1", code)
	}
	if want := "setgen: user.go:6: UserSet is already declared; setgen needs that name for the set of User"; !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("stderr = %q, want it to start with %q", stderr.String(), want)
	}
	if got := listGo(t, dir); !slices.Equal(got, []string{"user.go"}) {
		t.Errorf("files written despite the error: %v", got)
	}
}

// TestGoGenerateLine: without -type, GOFILE and GOLINE name the type
// declared directly below the directive.
func TestGoGenerateLine(t *testing.T) {
	src := `package app

// Before is above the directive.
type Before struct{ A int }

DIRECTIVE go run github.com/setgen/setgen/cmd/setgen -mock
type Item struct {
	SKU string ` + "`msgpack:\"sku\"`" + `
}

// After is below.
type After string

DIRECTIVE go run github.com/setgen/setgen/cmd/setgen
func helper() {}
`
	// Spelled so that no line of this file starts with the directive
	// itself: go generate ./... at the repository's root would run it.
	src = strings.ReplaceAll(src, "DIRECTIVE", "//go:"+"generate")
	dir := pkgDir(t, map[string]string{"item.go": src})
	var stderr bytes.Buffer
	if code := run([]string{"-mock"}, env{"GOFILE": "item.go", "GOLINE": "6"}.get, &stderr); code != 0 {
		t.Fatalf("run = %d; stderr:\n%s", code, &stderr)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr on success: %s", &stderr)
	}
	want := []string{"appmock/item_set_mock.go", "item.go", "item_set.go"}
	if got := listGo(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files = %v, want %v", got, want)
	}
	out, err := os.ReadFile(filepath.Join(dir, "item_set.go"))
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := bytes.Cut(out, []byte("\n")); string(first) != `// Code generated by "setgen -mock"; DO NOT EDIT.` {
		t.Errorf("header %q does not record the command line", first)
	}
	for _, want := range []string{"type ItemSet ", "func NewItemSet(", `case "sku":`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("item_set.go lacks %q", want)
		}
	}

	// A directive that is not above a type is an error.
	stderr.Reset()
	if code := run(nil, env{"GOFILE": "item.go", "GOLINE": "14"}.get, &stderr); code != 1 || !strings.Contains(stderr.String(), "item.go:14: the go:generate line is not directly above a type declaration") {
		t.Errorf("run with GOLINE=14 = %d, stderr %q", code, &stderr)
	}
}

// TestOutputAndDirectory: -output gathers the sets in one file, and the
// directory argument names the package.
func TestOutputAndDirectory(t *testing.T) {
	dir := pkgDir(t, map[string]string{"sub/tags.go": "package tags\n\ntype Tag string\n\ntype Code uint8\n"})
	var stderr bytes.Buffer
	if code := run([]string{"-type", "Tag, Code", "-output", "sets_gen.go", "sub"}, noGoGenerate, &stderr); code != 0 {
		t.Fatalf("run = %d; stderr:\n%s", code, &stderr)
	}
	want := []string{"sub/sets_gen.go", "sub/tags.go"}
	if got := listGo(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files = %v, want %v", got, want)
	}
	out, err := os.ReadFile(filepath.Join(dir, "sub", "sets_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("type TagSet ")) || !bytes.Contains(out, []byte("type CodeSet ")) {
		t.Errorf("sets_gen.go lacks TagSet or CodeSet")
	}

	// Running again rewrites nothing (the header records the command
	// line, so the same one).
	info, err := os.Stat(filepath.Join(dir, "sub", "sets_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	past := info.ModTime().Add(-2 * time.Second)
	if err := os.Chtimes(filepath.Join(dir, "sub", "sets_gen.go"), past, past); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"-type", "Tag, Code", "-output", "sets_gen.go", "sub"}, noGoGenerate, &stderr); code != 0 {
		t.Fatalf("second run = %d; stderr:\n%s", code, &stderr)
	}
	info, err = os.Stat(filepath.Join(dir, "sub", "sets_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().Equal(past) {
		t.Errorf("an unchanged file was rewritten")
	}

	// An absolute path in the package works; one outside it is refused.
	abs := filepath.Join(dir, "sub", "abs_gen.go")
	if code := run([]string{"-type=Tag", "-output=" + abs, "sub"}, noGoGenerate, &stderr); code != 0 {
		t.Fatalf("run with an absolute -output = %d; stderr:\n%s", code, &stderr)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("absolute -output not written: %v", err)
	}
	stderr.Reset()
	outside := filepath.Join(t.TempDir(), "x.go")
	if code := run([]string{"-type=Tag", "-output=" + outside, "sub"}, noGoGenerate, &stderr); code != 1 || !strings.Contains(stderr.String(), "must be in the package's directory") {
		t.Fatalf("run with -output outside the package = %d; stderr %q", code, &stderr)
	}
	if _, err := os.Stat(outside); err == nil {
		t.Fatal("a file was written outside the package")
	}
}
