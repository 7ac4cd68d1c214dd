package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/types"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"
	"golang.org/x/tools/imports"
)

// File is one generated file.
type File struct {
	Path    string // absolute
	Content []byte
}

// setType is the model of one annotated type.
type setType struct {
	obj     *types.TypeName
	name    string   // T
	set     string   // TSet
	api     string   // TSetAPI
	ctor    string   // NewTSet
	ttl     bool     // also TTLSet, TTLSetAPI, NewTTLSet
	codec   string   // TCodec
	top     elem     // the element's model
	root    rootKind // how a whole member is stored
	structs []*structType
	shapes  []types.Type     // named types the guard pins
	pkgs    []*types.Package // packages the generated code names
	locals  locals           // the names of generated locals
}

// Generate loads the package in cfg.Dir and renders the sets (and mocks) of
// the configured types. It writes nothing. It runs in phases: load the
// package, plan the names (the types' generated names, then imports and
// locals), model each type's codec, render the files.
func Generate(cfg Config) ([]File, error) {
	if cfg.Dir == "" {
		cfg.Dir = "."
	}
	l, err := load(cfg.Dir)
	if err != nil {
		return nil, err
	}
	sets, pkgScope, err := planSets(l, cfg)
	if err != nil {
		return nil, err
	}
	for _, st := range sets {
		if err := modelSet(l, st, cfg.tag()); err != nil {
			return nil, err
		}
	}
	imports := planImports(l, sets, pkgScope)
	return renderFiles(l, cfg, sets, imports)
}

// planSets resolves the configured types and claims the names generated
// for each (TSet, TSetAPI, NewTSet, TCodec; with -ttl TTLSet, TTLSetAPI,
// NewTTLSet) in the package's scope. It returns the sets in name order and
// that scope: the package's own names plus the claimed ones.
func planSets(l *loaded, cfg Config) ([]*setType, *scope, error) {
	names := slices.Clone(cfg.Types)
	if len(names) == 0 {
		if cfg.File == "" {
			return nil, nil, errors.New("no -type given and not run by go generate (GOFILE/GOLINE unset)")
		}
		n, err := l.typeAtLine(cfg.File, cfg.Line)
		if err != nil {
			return nil, nil, err
		}
		names = []string{n}
	}
	slices.Sort(names)
	names = slices.Compact(names)

	own := l.scopeNames()
	pkgScope := newScope(nil, slices.Collect(maps.Keys(own))...)
	var sets []*setType
	claimed := map[string]string{} // generated name -> the type it is for
	for _, n := range names {
		if n == "" {
			return nil, nil, errors.New("empty type name in -type")
		}
		tn, err := lookupType(l.pkg.Types, n)
		if err != nil {
			return nil, nil, err
		}
		if cfg.Mock && !tn.Exported() {
			return nil, nil, fmt.Errorf("%s: %s is unexported, so its mock in package %smock could not name it; export it or drop -mock",
				position(l.pkg.Fset.Position(tn.Pos())), n, l.pkg.Name)
		}
		st := &setType{obj: tn, name: n, set: n + "Set", api: n + "SetAPI", ctor: "New" + n + "Set", codec: n + "Codec", ttl: cfg.TTL}
		for _, id := range st.claims() {
			if pos, ok := own[id]; ok {
				return nil, nil, fmt.Errorf("%s: %s is already declared; setgen needs that name for the set of %s (rename one of them)", position(pos), id, n)
			}
			if claimed[id] != "" {
				return nil, nil, fmt.Errorf("%s: setgen needs the name %s for both %s and %s (rename one of them)", position(l.pkg.Fset.Position(tn.Pos())), id, claimed[id], n)
			}
			claimed[id] = n
			pkgScope.declare(id)
		}
		sets = append(sets, st)
	}
	return sets, pkgScope, nil
}

// claims returns the package-level names generated for st.
func (st *setType) claims() []string {
	ids := []string{st.set, st.api, st.ctor, st.codec}
	if st.ttl {
		ids = append(ids, st.name+"TTLSet", st.name+"TTLSetAPI", "New"+st.name+"TTLSet")
	}
	return ids
}

// planImports names every package the generated files may import, in a
// scope inside the package's (an import may not reuse a package-level
// name, nor another import's), and gives each set a scope for its locals
// inside that one. It returns import path -> name.
func planImports(l *loaded, sets []*setType, pkgScope *scope) map[string]string {
	fileScope := newScope(pkgScope)
	imports := map[string]string{}
	add := func(path, name string) {
		if path != l.pkg.PkgPath && imports[path] == "" {
			imports[path] = fileScope.fresh(name)
		}
	}
	// Every package the emitters name with jen.Qual (codec.go), so that
	// none gets a name jennifer picks outside this scope.
	for _, p := range []string{"bytes", "slices", "time", runtimePath, codecPath} {
		add(p, assumedName(p))
	}
	for _, st := range sets {
		for _, p := range st.pkgs {
			add(p.Path(), p.Name())
		}
	}
	lv := locals{newScope(fileScope)}
	for _, st := range sets {
		st.locals = lv
	}
	return imports
}

// renderFiles renders the sets into one file each (or all into
// cfg.Output), and their mocks.
func renderFiles(l *loaded, cfg Config, sets []*setType, imports map[string]string) ([]File, error) {
	hdr := Header(cfg.Args)
	var files []File
	if cfg.Output != "" {
		f := newFile(l, hdr, imports)
		for _, st := range sets {
			renderSet(f, st)
		}
		path := cfg.Output
		if !filepath.IsAbs(path) {
			path = filepath.Join(l.dir, path)
		}
		if filepath.Dir(filepath.Clean(path)) != l.dir {
			return nil, fmt.Errorf("-output %s: the file must be in the package's directory %s", cfg.Output, l.dir)
		}
		out, err := render(f, path)
		if err != nil {
			return nil, err
		}
		files = append(files, out)
	} else {
		for _, st := range sets {
			f := newFile(l, hdr, imports)
			renderSet(f, st)
			out, err := render(f, filepath.Join(l.dir, snake(st.name)+"_set.go"))
			if err != nil {
				return nil, err
			}
			files = append(files, out)
		}
	}
	if cfg.Mock {
		for _, st := range sets {
			mf, err := renderMock(l, hdr, st)
			if err != nil {
				return nil, err
			}
			files = append(files, mf)
		}
	}
	return files, nil
}

// modelSet builds the codec model of one annotated type.
func modelSet(l *loaded, st *setType, tag string) error {
	m := &modeler{
		pkg:     l.pkg.Types,
		fset:    l.pkg.Fset,
		tag:     tag,
		structs: map[string]*structType{},
		shapes:  map[string]types.Type{},
		pkgs:    map[string]*types.Package{},
		names:   newScope(nil, "Append", "Decode", "guard"),
	}
	if len(l.typeErrs) > 0 {
		m.typeErrs = ": " + strings.Join(l.typeErrs, "; ")
	}
	pos := position(l.pkg.Fset.Position(st.obj.Pos()))
	t := st.obj.Type()
	u := types.Unalias(t)
	if st.obj.IsAlias() {
		switch u := u.(type) {
		case *types.Basic:
			return fmt.Errorf("%s: %s is an alias of %s, which has no name of its own to store members by; declare a defined type instead: `type %s %s`", pos, st.name, u.Name(), st.name, u.Name())
		case *types.Named:
		default:
			return fmt.Errorf("%s: %s is an alias of the unnamed type %s; declare a defined type instead: `type %s %s`", pos, st.name, m.str(u), st.name, m.str(u))
		}
	}
	named, ok := u.(*types.Named)
	if !ok {
		return fmt.Errorf("%s: %s is not a defined type", pos, st.name)
	}
	if named.TypeParams().Len() > 0 && named.TypeArgs().Len() == 0 {
		return fmt.Errorf("%s: %s is generic; a set needs one element type, so declare an instance and annotate that: `type Int%s %s[%s]` (with your type arguments)",
			pos, st.name, st.name, st.name, exampleTypeArgs(named.TypeParams().Len()))
	}
	top, err := m.elemOf(t)
	if err != nil {
		var loc located
		if errors.As(err, &loc) {
			return loc
		}
		return fmt.Errorf("%s: type %s: %v", pos, st.name, err)
	}
	st.top = top
	switch e := top.(type) {
	case *scalarElem:
		switch {
		case e.prim == pString:
			st.root = rootString
		case e.prim == pInt || e.prim == pUint:
			st.root = rootDecimal
		}
	case *bytesElem:
		st.root = rootBytes
	}
	st.structs = m.order
	slices.SortFunc(st.structs, func(a, b *structType) int { return strings.Compare(a.enc, b.enc) })
	for _, key := range slices.Sorted(maps.Keys(m.shapes)) {
		st.shapes = append(st.shapes, m.shapes[key])
	}
	for _, path := range slices.Sorted(maps.Keys(m.pkgs)) {
		st.pkgs = append(st.pkgs, m.pkgs[path])
	}
	return nil
}

// newFile starts a generated file of the package, importing each package
// under its planned name.
func newFile(l *loaded, header string, imports map[string]string) *jen.File {
	f := jen.NewFilePathName(l.pkg.PkgPath, l.pkg.Name)
	f.HeaderComment(header)
	importAll(f, imports)
	return f
}

// importAll registers imports (path -> name) with f: a package imported
// under its own name gets no alias.
func importAll(f *jen.File, imports map[string]string) {
	for path, name := range imports {
		if name == assumedName(path) {
			f.ImportName(path, name)
		} else {
			f.ImportAlias(path, name)
		}
	}
}

// assumedName is the name goimports assumes for a package imported from
// path: its last element, or the one before a major version (v2, v3...).
func assumedName(path string) string {
	elems := strings.Split(path, "/")
	last := elems[len(elems)-1]
	if len(elems) > 1 && len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
		return elems[len(elems)-2]
	}
	return last
}

// render formats f as goimports would (gofmt, with the standard library's
// imports grouped first).
func render(f *jen.File, path string) (File, error) {
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return File{}, fmt.Errorf("render %s: %w", filepath.Base(path), err)
	}
	out, err := imports.Process(path, buf.Bytes(), &imports.Options{Comments: true, TabIndent: true, TabWidth: 8, FormatOnly: true})
	if err != nil {
		return File{}, fmt.Errorf("format %s: %w", filepath.Base(path), err)
	}
	return File{Path: path, Content: out}, nil
}

func renderSet(f *jen.File, st *setType) {
	lv := st.locals
	elem := jen.Id(st.name)

	// The set, its interface and its constructor: the generic core, named
	// for the type. Its methods, and their documentation, are the runtime's.
	f.Commentf("%s is a Redis set of %s values stored at one key: runtime.Set[%s], whose methods", st.set, st.name, st.name)
	f.Comment("(Add, Contains, Members, Union, …) are documented there. It is safe for concurrent use;")
	f.Comment("a nil *" + st.set + " returns errors, never panics. Members are stored in " + st.codec + "'s canonical encoding.")
	f.Type().Id(st.set).Op("=").Add(rt("Set")).Types(elem.Clone())
	f.Line()
	f.Commentf("%s is the interface of %s (runtime.SetAPI[%s]), for code that wants to be tested", st.api, st.set, st.name)
	f.Comment("with a mock of it; set-algebra operands and Move's destination are " + st.api + " values.")
	f.Type().Id(st.api).Op("=").Add(rt("SetAPI")).Types(elem.Clone())
	f.Line()
	f.Commentf("%s returns the set stored at key in the manager's Redis (Options.KeyPrefix is prepended).", st.ctor)
	f.Func().Id(st.ctor).Params(lv.id("cm").Op("*").Add(rt("ConnectionManager")), lv.id("key").String()).Op("*").Id(st.set).Block(
		jen.Return(rt("NewSet").Types(elem.Clone()).Call(lv.id("cm"), jen.Lit(pkgName(st)+"."+st.set), lv.id("key"), jen.Id(st.codec).Values())),
	)
	f.Line()
	if st.ttl {
		ttl, api, ctor := st.name+"TTLSet", st.name+"TTLSetAPI", "New"+st.name+"TTLSet"
		f.Commentf("%s is a Redis set of %s values whose members each expire on their own: runtime.TTLSet[%s],", ttl, st.name, st.name)
		f.Comment("whose methods (Add(ctx, ttl, …), Contains, TTLOf, Purge, …) are documented there. Expiry is")
		f.Comment("decided on the server's clock; cached answers turn false when a member expires.")
		f.Type().Id(ttl).Op("=").Add(rt("TTLSet")).Types(elem.Clone())
		f.Line()
		f.Commentf("%s is the interface of %s (runtime.TTLSetAPI[%s]), for code that wants a mock of it.", api, ttl, st.name)
		f.Type().Id(api).Op("=").Add(rt("TTLSetAPI")).Types(elem.Clone())
		f.Line()
		f.Commentf("%s returns the TTL set stored at key in the manager's Redis (Options.KeyPrefix is prepended).", ctor)
		f.Func().Id(ctor).Params(lv.id("cm").Op("*").Add(rt("ConnectionManager")), lv.id("key").String()).Op("*").Id(ttl).Block(
			jen.Return(rt("NewTTLSet").Types(elem.Clone()).Call(lv.id("cm"), jen.Lit(pkgName(st)+"."+ttl), lv.id("key"), jen.Id(st.codec).Values())),
		)
		f.Line()
	}

	// The codec.
	f.Commentf("%s is the canonical codec of %s: equal values encode to identical bytes, and Decode", st.codec, st.name)
	f.Comment("accepts nothing else. It implements runtime.Codec[" + st.name + "].")
	f.Type().Id(st.codec).Struct()
	f.Line()
	f.Var().Id("_").Add(rt("Codec")).Types(jen.Id(st.name)).Op("=").Id(st.codec).Values()
	f.Line()
	for _, c := range lv.rootFuncs(st) {
		f.Add(c)
	}
	for _, sf := range st.structs {
		for _, c := range lv.structFuncs(st.codec, sf) {
			f.Add(c)
		}
	}
	renderGuard(f, st)
}

// renderGuard emits a method that stops compiling when a type the codec
// was generated from changes shape, so a stale codec breaks the build.
func renderGuard(f *jen.File, st *setType) {
	lv := st.locals
	var params, body []jen.Code
	for i, t := range st.shapes {
		p := lv.id(fmt.Sprintf("v%d", i))
		params = append(params, p.Clone().Add(typeCode(t)))
		if _, basic := t.Underlying().(*types.Basic); basic {
			// A pointer conversion compiles only if the underlying type is the same.
			body = append(body, jen.Id("_").Op("=").Parens(jen.Op("*").Add(underlyingCode(t))).Call(jen.Op("&").Add(p.Clone())))
		} else {
			// Assigning to the type literal compiles only if fields, types and tags are the same.
			body = append(body, jen.Var().Id("_").Add(underlyingCode(t)).Op("=").Add(p.Clone()))
		}
	}
	if len(params) == 0 {
		return
	}
	f.Comment("guard fails to compile when a type this codec was generated from has changed;")
	f.Comment("run go generate again.")
	f.Func().Params(jen.Id(st.codec)).Id("guard").Params(params...).Block(body...)
}

func results(rs []jen.Code) jen.Code {
	if len(rs) == 1 {
		return rs[0]
	}
	return jen.Parens(jen.List(rs...))
}

func pkgName(st *setType) string { return st.obj.Pkg().Name() }

// Write writes the files whose content differs from what is on disk and
// returns their paths.
func Write(files []File) ([]string, error) {
	var changed []string
	for _, f := range files {
		if old, err := os.ReadFile(f.Path); err == nil && bytes.Equal(old, f.Content) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			return changed, err
		}
		if err := os.WriteFile(f.Path, f.Content, 0o644); err != nil {
			return changed, err
		}
		changed = append(changed, f.Path)
	}
	return changed, nil
}

// exampleTypeArgs returns n type arguments for advice: int, string, int, ...
func exampleTypeArgs(n int) string {
	args := make([]string, n)
	for i := range args {
		args[i] = [...]string{"int", "string"}[i%2]
	}
	return strings.Join(args, ", ")
}
