package gen_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/setgen/setgen/gen"
)

const testMod = "module example.com/bad\n\ngo 1.25\n"

// marked finds the line marked with "// <-" in files and returns its
// file:line, as Generate reports it for a package in dir.
func marked(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	var at []string
	for name, src := range files {
		sc := bufio.NewScanner(strings.NewReader(src))
		for n := 1; sc.Scan(); n++ {
			if strings.HasSuffix(sc.Text(), "// <-") {
				at = append(at, filepath.Join(dir, name)+":"+strconv.Itoa(n))
			}
		}
	}
	if len(at) != 1 {
		t.Fatalf("want one line marked // <-, found %v", at)
	}
	return at[0]
}

func writeStrings(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	b := map[string][]byte{"go.mod": []byte(testMod)}
	for name, src := range files {
		b[name] = []byte(src)
	}
	writeFiles(t, dir, b)
}

// TestFieldErrors: a field whose type cannot be stored is reported as
// file:line: field X: why, at the field's declaration, and nothing is
// returned.
func TestFieldErrors(t *testing.T) {
	header := "package bad\n\nimport (\n\t\"time\"\n\t\"unsafe\"\n)\n\nvar _ unsafe.Pointer\nvar _ time.Time\n\n"
	cases := []struct {
		name  string
		field string // as reported
		files map[string]string
		why   string // a regexp the reason matches
	}{
		{"chan", "Events", map[string]string{"u.go": header + "type User struct {\n\tID string\n\tEvents chan int // <-\n}\n"}, "channel"},
		{"recv chan", "Done", map[string]string{"u.go": header + "type User struct {\n\tDone <-chan struct{} // <-\n}\n"}, "channel"},
		{"func", "OnSave", map[string]string{"u.go": header + "type User struct {\n\tOnSave func(User) error `msgpack:\"on_save\"` // <-\n}\n"}, "function"},
		{"unsafe.Pointer", "Raw", map[string]string{"u.go": header + "type User struct {\n\tRaw unsafe.Pointer // <-\n}\n"}, "unsafe.Pointer"},
		{"any", "Extra", map[string]string{"u.go": header + "type User struct {\n\tExtra any // <-\n}\n"}, "interface"},
		{"interface{}", "Extra", map[string]string{"u.go": header + "type User struct {\n\tExtra interface{} // <-\n}\n"}, "interface"},
		{"error", "Err", map[string]string{"u.go": header + "type User struct {\n\tErr error // <-\n}\n"}, "interface"},
		{"named interface", "Shape", map[string]string{"u.go": header + "type Shape interface{ Area() float64 }\n\ntype User struct {\n\tShape Shape // <-\n}\n"}, "interface"},
		{"fmt.Stringer", "Name", map[string]string{"u.go": "package bad\n\nimport \"fmt\"\n\ntype User struct {\n\tName fmt.Stringer // <-\n}\n"}, "interface"},
		{"complex128", "Z", map[string]string{"u.go": header + "type User struct {\n\tZ complex128 // <-\n}\n"}, "complex128"},
		{"complex64", "Z", map[string]string{"u.go": header + "type User struct {\n\tZ complex64 // <-\n}\n"}, "complex64"},
		{"map of chans", "Subs", map[string]string{"u.go": header + "type User struct {\n\tSubs map[string]chan int // <-\n}\n"}, "channel"},
		{"map with interface keys", "ByKey", map[string]string{"u.go": header + "type User struct {\n\tByKey map[any]int // <-\n}\n"}, "map key.*interface"},
		{"slice of funcs", "Hooks", map[string]string{"u.go": header + "type User struct {\n\tHooks []func() // <-\n}\n"}, "function"},
		{"pointer to chan", "C", map[string]string{"u.go": header + "type User struct {\n\tC *chan int // <-\n}\n"}, "channel"},
		{"array of any", "A", map[string]string{"u.go": header + "type User struct {\n\tA [2]any // <-\n}\n"}, "interface"},
		{"named chan", "Q", map[string]string{"u.go": header + "type Queue chan string\n\ntype User struct {\n\tQ Queue // <-\n}\n"}, "channel"},
		{"nested struct in another file", "Ch", map[string]string{
			"u.go": header + "type User struct {\n\tAddr Address\n}\n",
			"a.go": "package bad\n\ntype Address struct {\n\tStreet string\n\tCh chan int // <-\n}\n",
		}, "channel"},
		{"embedded", "Base.Fn", map[string]string{"u.go": header + "type Base struct {\n\tFn func() // <-\n}\n\ntype User struct {\n\tBase\n}\n"}, "function"},
		{"pointer to pointer", "PP", map[string]string{"u.go": header + "type User struct {\n\tPP **int // <-\n}\n"}, "pointer"},
		{"anonymous struct", "Anon", map[string]string{"u.go": header + "type User struct {\n\tAnon struct{ A int } // <-\n}\n"}, "anonymous struct"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeStrings(t, dir, c.files)
			at := marked(t, dir, c.files)
			files, err := gen.Generate(gen.Config{Dir: dir, Types: []string{"User"}, Mock: true})
			if err == nil {
				t.Fatalf("Generate succeeded (%d files), want an error", len(files))
			}
			if files != nil {
				t.Errorf("Generate returned %d files beside its error", len(files))
			}
			re := regexp.MustCompile("^" + regexp.QuoteMeta(at) + ": field " + regexp.QuoteMeta(c.field) + ": .*" + c.why)
			if !re.MatchString(err.Error()) {
				t.Errorf("error\n\t%v\ndoes not match\n\t%v", err, re)
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// TestTypeErrors: errors about the annotated types themselves.
func TestTypeErrors(t *testing.T) {
	cases := []struct {
		name  string
		types []string
		file  string // GOFILE, when types is empty
		line  int
		src   string
		want  string // a regexp; DIR stands for the package directory
	}{
		{"clash with UserSet", []string{"User"}, "", 0,
			"package bad\n\ntype User struct{ ID string }\n\n// UserSet is the user's own.\ntype UserSet map[string]User\n",
			`^DIR/u\.go:6: UserSet is already declared; setgen needs that name for the set of User`},
		{"clash with NewUserSet", []string{"User"}, "", 0,
			"package bad\n\ntype User struct{ ID string }\n\nfunc NewUserSet() {}\n",
			`^DIR/u\.go:5: NewUserSet is already declared`},
		{"clash with UserSetAPI", []string{"Tag", "User"}, "", 0,
			"package bad\n\ntype Tag string\n\ntype User struct{ ID string }\n\nvar UserSetAPI = 1\n",
			`^DIR/u\.go:7: UserSetAPI is already declared`},
		{"a set name declared by the user", []string{"Foo", "FooTTL"}, "", 0,
			"package bad\n\ntype Foo struct{ A int }\n\ntype FooTTL struct{ B int }\n\ntype FooTTLSet int\n",
			`FooTTLSet is already declared`},
		{"undeclared type", []string{"Nobody"}, "", 0,
			"package bad\n\ntype User struct{ ID string }\n",
			`type Nobody is not declared in package bad`},
		{"not a type", []string{"Limit"}, "", 0,
			"package bad\n\nconst Limit = 3\n",
			`Limit is not a type`},
		{"alias", []string{"Name"}, "", 0,
			"package bad\n\ntype Name = string\n",
			"Name is an alias of string, which has no name of its own to store members by; declare a defined type instead: `type Name string`"},
		{"generic", []string{"Box"}, "", 0,
			"package bad\n\ntype Box[T any] struct{ V T }\n",
			"^DIR/u\\.go:3: Box is generic; .*declare an instance and annotate that: `type IntBox Box\\[int\\]`"},
		{"generic of two", []string{"Pair"}, "", 0,
			"package bad\n\ntype Pair[A, B any] struct{ A A; B B }\n",
			"`type IntPair Pair\\[int, string\\]`"},
		{"alias of an unnamed type", []string{"Names"}, "", 0,
			"package bad\n\ntype Names = []string\n",
			"^DIR/u\\.go:3: Names is an alias of the unnamed type \\[\\]string; declare a defined type instead: `type Names \\[\\]string`"},
		{"only unexported fields", []string{"Token"}, "", 0,
			"package bad\n\ntype Token struct {\n\tv string\n}\n",
			`^DIR/u\.go:4: field v: unexported fields are not stored`},
		{"defined over time.Time", []string{"Stamp"}, "", 0,
			"package bad\n\nimport \"time\"\n\ntype Stamp time.Time\n",
			`Stamp is defined over time.Time`},
		{"recursive slice type", []string{"Tree"}, "", 0,
			"package bad\n\ntype Tree []Tree\n",
			`^DIR/u\.go:3: type Tree: recursive type Tree: recursion is supported through structs only`},
		{"recursive map field", []string{"User"}, "", 0,
			"package bad\n\ntype M map[string]M\n\ntype User struct {\n\tLinks M\n}\n",
			`^DIR/u\.go:6: field Links: recursive type M`},
		{"two fields with one msgpack name", []string{"User"}, "", 0,
			"package bad\n\ntype User struct {\n\tA string `msgpack:\"x\"`\n\tB string `msgpack:\"x\"`\n}\n",
			`two fields are named "x"`},
		{"unexported type with -mock", []string{"user"}, "", 0,
			"package bad\n\ntype user struct{ ID string }\n",
			`^DIR/u\.go:3: user is unexported, so its mock in package badmock could not name it`},
		{"directive above a func", nil, "u.go", 3,
			"package bad\n\n//go:generate setgen\nfunc F() {}\n\ntype User struct{}\n",
			`^u\.go:3: the go:generate line is not directly above a type declaration`},
		{"directive above a type group", nil, "u.go", 3,
			"package bad\n\n//go:generate setgen\ntype (\n\tA string\n\tB string\n)\n",
			`^u\.go:3: the declaration below declares 2 types`},
		{"directive at the end", nil, "u.go", 4,
			"package bad\n\ntype User struct{}\n\n//go:generate setgen\n",
			`^u\.go:4: no type declaration below the go:generate line`},
		{"GOFILE not in the package", nil, "other.go", 1,
			"package bad\n\ntype User struct{}\n",
			`other\.go: not a file of package bad`},
		{"no type and no GOFILE", nil, "", 0,
			"package bad\n\ntype User struct{}\n",
			`no -type given`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeStrings(t, dir, map[string]string{"u.go": c.src})
			files, err := gen.Generate(gen.Config{Dir: dir, Types: c.types, File: c.file, Line: c.line, Mock: true})
			if err == nil {
				t.Fatalf("Generate succeeded (%d files), want an error", len(files))
			}
			if files != nil {
				t.Errorf("Generate returned %d files beside its error", len(files))
			}
			re := regexp.MustCompile(strings.ReplaceAll(c.want, "DIR", regexp.QuoteMeta(dir)))
			if !re.MatchString(err.Error()) {
				t.Errorf("error\n\t%v\ndoes not match\n\t%v", err, re)
			}
		})
	}
}

// TestStaleGeneratedFileIgnored: a generated file left from an older
// version of the type does not stop regeneration (it is hidden from the
// loader), while a hand-written file that does not compile is reported.
func TestStaleGeneratedFileIgnored(t *testing.T) {
	dir := t.TempDir()
	writeStrings(t, dir, map[string]string{
		"u.go":          "package bad\n\ntype User struct {\n\tID string\n}\n",
		"user_set.go":   "// " + gen.Header(nil) + "\n\npackage bad\n\nfunc broken() { undefined() }\n",
		"uses_set.go":   "package bad\n\nvar _ = NewUserSet\n", // names what is about to be generated
		"other_test.go": "package bad\n",
	})
	files, err := gen.Generate(gen.Config{Dir: dir, Types: []string{"User"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != filepath.Join(dir, "user_set.go") {
		t.Fatalf("files = %v, want user_set.go", files)
	}
	if bytes.Contains(files[0].Content, []byte("broken")) || !bytes.Contains(files[0].Content, []byte("func NewUserSet(")) {
		t.Errorf("user_set.go was not regenerated:\n%s", files[0].Content)
	}
}

// TestWrite: Write writes new and changed files only, creating the mock
// directory, and reports which.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	writeStrings(t, dir, map[string]string{"u.go": "package bad\n\ntype Tag string\n"})
	files, err := gen.Generate(gen.Config{Dir: dir, Types: []string{"Tag"}, Mock: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "tag_set.go"), filepath.Join(dir, "badmock", "tag_set_mock.go")}
	changed, err := gen.Write(files)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(changed, ",") != strings.Join(want, ",") {
		t.Errorf("first Write changed %v, want %v", changed, want)
	}
	for i, p := range want {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, files[i].Content) {
			t.Errorf("%s: %v, or content differs from Generate's", p, err)
		}
	}
	changed, err = gen.Write(files)
	if err != nil || len(changed) != 0 {
		t.Errorf("second Write changed %v (%v), want nothing", changed, err)
	}
	if err := os.WriteFile(want[1], []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err = gen.Write(files)
	if err != nil || len(changed) != 1 || changed[0] != want[1] {
		t.Errorf("Write after an edit changed %v (%v), want %v", changed, err, want[1:])
	}
}
