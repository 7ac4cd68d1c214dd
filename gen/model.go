package gen

import (
	"errors"
	"fmt"
	"go/token"
	"go/types"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// modeler builds the elems of one set's element type, memoizing named
// structs so that recursive types work.
type modeler struct {
	pkg      *types.Package
	fset     *token.FileSet
	tag      string // the struct tag that names fields: "msgpack" or "json"
	structs  map[string]*structType
	order    []*structType             // in discovery order; sorted before rendering
	shapes   map[string]types.Type     // named types whose layout the codec depends on (the guard pins them)
	pkgs     map[string]*types.Package // every package whose types the generated code names
	names    *scope                    // the codec's method names
	typeErrs string                    // ": " and the package's type errors, if any
	// inProgress holds the named non-struct types being modeled, to
	// reject recursion that does not go through a struct (type T []T).
	inProgress map[*types.TypeName]bool
}

// fieldError is `file:line: field X: why`.
func (m *modeler) fieldError(v *types.Var, path string, why string) error {
	return located{fmt.Sprintf("%s: field %s: %s", position(m.fset.Position(v.Pos())), path, why)}
}

func (m *modeler) qualifier(p *types.Package) string {
	if p == m.pkg {
		return ""
	}
	return p.Name()
}

func (m *modeler) str(t types.Type) string { return types.TypeString(t, m.qualifier) }

// key identifies a type across packages (full import paths), for memoizing.
func key(t types.Type) string { return types.TypeString(t, nil) }

// notePkgs records the packages that naming t in generated code imports.
func (m *modeler) notePkgs(t types.Type) {
	switch t := t.(type) {
	case *types.Named:
		if p := t.Obj().Pkg(); p != nil && m.pkgs != nil {
			m.pkgs[p.Path()] = p
		}
		for i := range t.TypeArgs().Len() {
			m.notePkgs(t.TypeArgs().At(i))
		}
	case *types.Alias:
		if p := t.Obj().Pkg(); p != nil && m.pkgs != nil && t.Obj().Exported() {
			m.pkgs[p.Path()] = p
		}
		m.notePkgs(types.Unalias(t))
	case *types.Pointer:
		m.notePkgs(t.Elem())
	case *types.Slice:
		m.notePkgs(t.Elem())
	case *types.Array:
		m.notePkgs(t.Elem())
	case *types.Map:
		m.notePkgs(t.Key())
		m.notePkgs(t.Elem())
	}
}

// elemOf models a value of type t.
func (m *modeler) elemOf(t types.Type) (elem, error) {
	m.notePkgs(t)
	u := types.Unalias(t)
	n, isNamed := u.(*types.Named)
	if isNamed && isTimeType(n) {
		switch n.Obj().Name() {
		case "Time":
			return &timeElem{t: t}, nil
		case "Duration":
			return &scalarElem{t: t, prim: pInt, bits: 64, native: "int64"}, nil
		}
	}
	if isNamed {
		if n.TypeParams().Len() > 0 && n.TypeArgs().Len() == 0 {
			return nil, fmt.Errorf("generic type %s needs type arguments; declare an instance such as `type Int%s %s[%s]`", n.Obj().Name(), n.Obj().Name(), n.Obj().Name(), exampleTypeArgs(n.TypeParams().Len()))
		}
		if _, isIface := n.Underlying().(*types.Interface); !isIface {
			if e := m.marshalerOf(t); e != nil {
				return e, nil
			}
		}
		obj := n.Obj()
		if obj.Pkg() != nil && obj.Pkg() != m.pkg && !obj.Exported() {
			return nil, fmt.Errorf("unexported type %s of another package cannot be named", m.str(t))
		}
		if s, ok := n.Underlying().(*types.Struct); ok {
			if isTimeStruct(s) {
				return nil, fmt.Errorf("%s is defined over time.Time, whose fields are unexported; use time.Time itself", obj.Name())
			}
			st, err := m.structOf(n)
			if err != nil {
				return nil, err
			}
			return &structElem{t: t, st: st}, nil
		}
		if _, isIface := n.Underlying().(*types.Interface); !isIface && obj.Pkg() != nil {
			m.shapes[key(n)] = n
		}
		if m.inProgress[obj] {
			return nil, fmt.Errorf("recursive type %s: recursion is supported through structs only", obj.Name())
		}
		if m.inProgress == nil {
			m.inProgress = map[*types.TypeName]bool{}
		}
		m.inProgress[obj] = true
		defer delete(m.inProgress, obj)
		return m.structural(n.Underlying(), t)
	}
	return m.structural(u, t)
}

// structural models a value of the unnamed type u whose Go type is t (u
// itself, or a named type defined over it).
func (m *modeler) structural(u, t types.Type) (elem, error) {
	unnamed := types.Identical(types.Unalias(t), u)
	switch u := u.(type) {
	case *types.Basic:
		info := u.Info()
		switch {
		case u.Kind() == types.Bool:
			return &scalarElem{t: t, prim: pBool, native: "bool", exact: unnamed}, nil
		case u.Kind() == types.String:
			return &scalarElem{t: t, prim: pString, native: "string", exact: unnamed}, nil
		case info&types.IsInteger != 0:
			bits, intReg := map[types.BasicKind]int{types.Int8: 8, types.Int16: 16, types.Int32: 32, types.Int64: 64,
				types.Uint8: 8, types.Uint16: 16, types.Uint32: 32, types.Uint64: 64}[u.Kind()], false
			if bits == 0 {
				bits, intReg = 64, true // int, uint, uintptr
			}
			if info&types.IsUnsigned != 0 {
				return &scalarElem{t: t, prim: pUint, bits: bits, intReg: intReg, native: "uint64", exact: unnamed && u.Kind() == types.Uint64}, nil
			}
			return &scalarElem{t: t, prim: pInt, bits: bits, intReg: intReg, native: "int64", exact: unnamed && u.Kind() == types.Int64}, nil
		case u.Kind() == types.Float32:
			return &scalarElem{t: t, prim: pFloat32, native: "float32", exact: unnamed}, nil
		case u.Kind() == types.Float64:
			return &scalarElem{t: t, prim: pFloat64, native: "float64", exact: unnamed}, nil
		case u.Kind() == types.UnsafePointer:
			return nil, errors.New("unsafe.Pointer cannot be stored")
		case u.Kind() == types.Invalid:
			return nil, errors.New("type does not type-check" + m.typeErrs)
		case info&types.IsComplex != 0:
			return nil, errors.New(u.Name() + " is not supported (store real and imaginary parts as float64 fields)")
		}
		return nil, fmt.Errorf("%s is not supported", u.Name())
	case *types.Pointer:
		e, err := m.elemOf(u.Elem())
		if err != nil {
			return nil, err
		}
		switch e := e.(type) {
		case *ptrElem:
			return nil, errors.New("pointers to pointers are not supported")
		case *timeElem:
			e.value = true // a non-nil *time.Time holding the zero time is not nil
		}
		return &ptrElem{t: t, elem: e}, nil
	case *types.Slice:
		if isByte(u.Elem()) {
			return &bytesElem{t: t, named: !unnamed}, nil
		}
		e, err := m.elemOf(u.Elem())
		if err != nil {
			return nil, err
		}
		return &sliceElem{t: t, elem: e}, nil
	case *types.Array:
		if isByte(u.Elem()) {
			return &byteArrayElem{t: t, n: u.Len()}, nil
		}
		e, err := m.elemOf(u.Elem())
		if err != nil {
			return nil, err
		}
		return &arrayElem{t: t, n: u.Len(), elem: e, comparable: types.Comparable(u)}, nil
	case *types.Map:
		k, err := m.elemOf(u.Key())
		if err != nil {
			return nil, fmt.Errorf("map key: %w", err)
		}
		if _, isPtr := k.(*ptrElem); isPtr {
			return nil, errors.New("maps with pointer keys are not supported (their identity cannot be stored)")
		}
		v, err := m.elemOf(u.Elem())
		if err != nil {
			return nil, err
		}
		ordered, float := false, false
		if s, ok := k.(*scalarElem); ok && s.prim != pBool {
			ordered, float = true, s.prim == pFloat32 || s.prim == pFloat64
		}
		return &mapElem{t: t, key: k, val: v, ordered: ordered, floatKeys: float}, nil
	case *types.Struct:
		return nil, errors.New("anonymous struct types are not supported; declare a named type")
	case *types.Chan:
		return nil, errors.New("channels cannot be stored")
	case *types.Signature:
		return nil, errors.New("functions cannot be stored")
	case *types.Interface:
		return nil, fmt.Errorf("interface type %s has no concrete codec; use a concrete type (or one that implements encoding.BinaryMarshaler or TextMarshaler)", m.str(t))
	case *types.TypeParam:
		return nil, errors.New("type parameters are not supported")
	}
	return nil, fmt.Errorf("type %s is not supported", m.str(t))
}

func isByte(t types.Type) bool {
	b, ok := types.Unalias(t).(*types.Basic)
	return ok && b.Kind() == types.Uint8
}

const msgpackPath = "github.com/vmihailenco/msgpack/v5"

// marshalerOf returns the elem of a named type that stores itself: through
// msgpack/v5's CustomEncoder/CustomDecoder, else encoding.BinaryMarshaler
// and BinaryUnmarshaler (bin), else TextMarshaler and TextUnmarshaler
// (str); nil if it does none of these.
func (m *modeler) marshalerOf(t types.Type) elem {
	ms := types.NewMethodSet(types.NewPointer(t))
	has := func(name string, params, results []string) bool {
		sel := ms.Lookup(nil, name)
		if sel == nil || len(sel.Index()) != 1 {
			// Methods promoted from an embedded field (a struct embedding
			// time.Time) would store only that field: not the type's own.
			return false
		}
		sig := sel.Type().(*types.Signature)
		return typesAre(sig.Params(), params) && typesAre(sig.Results(), results)
	}
	if has("EncodeMsgpack", []string{"*" + msgpackPath + ".Encoder"}, []string{"error"}) &&
		has("DecodeMsgpack", []string{"*" + msgpackPath + ".Decoder"}, []string{"error"}) {
		return &customElem{t: t}
	}
	for _, kind := range []string{"Binary", "Text"} {
		if has("Marshal"+kind, nil, []string{"[]byte", "error"}) && has("Unmarshal"+kind, []string{"[]byte"}, []string{"error"}) {
			return &marshalerElem{t: t, text: kind == "Text", append: has("Append"+kind, []string{"[]byte"}, []string{"[]byte", "error"})}
		}
	}
	return nil
}

func typesAre(tup *types.Tuple, want []string) bool {
	if tup.Len() != len(want) {
		return false
	}
	for i := range tup.Len() {
		if types.TypeString(tup.At(i).Type(), nil) != want[i] {
			return false
		}
	}
	return true
}

// structOf models the named struct n (memoized).
func (m *modeler) structOf(n *types.Named) (*structType, error) {
	k := key(n)
	if st, ok := m.structs[k]; ok {
		return st, nil
	}
	obj := n.Obj()
	prefix := upperFirst(obj.Name())
	if obj.Pkg() != m.pkg {
		prefix = upperFirst(obj.Pkg().Name()) + prefix
	}
	st := &structType{t: n, name: obj.Name(), enc: m.names.fresh("append" + prefix), dec: m.names.fresh("decode" + prefix)}
	m.structs[k] = st
	m.order = append(m.order, st)
	m.shapes[k] = n
	fields, err := m.fieldsOf(obj, n.Underlying().(*types.Struct), nil, map[string]bool{k: true})
	if err != nil {
		delete(m.structs, k)
		return nil, err
	}
	slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(fields); i++ {
		if fields[i].name == fields[i-1].name {
			return nil, fmt.Errorf("%s: two fields are named %q for %s (%s and %s)", obj.Name(), fields[i].name, m.tag,
				strings.Join(fields[i-1].path, "."), strings.Join(fields[i].path, "."))
		}
	}
	st.fields = fields
	return st, nil
}

// omitOf resolves how a field of elem e is left out at its zero value.
func omitOf(e elem) omitRule {
	switch e := e.(type) {
	case *structElem, *marshalerElem, *customElem:
		return omitEncZero
	case *arrayElem:
		// A Go comparison serves arrays of plain values only: one of times
		// or structs could be == zero and still not encode as zeros (a
		// time's location, a field that is not stored).
		if !e.comparable || !plain(e.elem) {
			return omitEncZeroArray
		}
	}
	return omitGoZero
}

// plain reports values whose Go zero is exactly their zero encoding.
func plain(e elem) bool {
	switch e := e.(type) {
	case *scalarElem, *byteArrayElem:
		return true
	case *arrayElem:
		return plain(e.elem)
	}
	return false
}

// located is an error that already names a file and line.
type located struct{ msg string }

func (e located) Error() string { return e.msg }

func (m *modeler) fieldsOf(owner *types.TypeName, s *types.Struct, path []string, seen map[string]bool) ([]field, error) {
	var out []field
	foreign := owner.Pkg() != m.pkg
	for i := range s.NumFields() {
		v := s.Field(i)
		tag := reflect.StructTag(s.Tag(i)).Get(m.tag)
		name, _, _ := strings.Cut(tag, ",")
		fpath := append(slices.Clip(path), v.Name())
		if tag == "-" {
			continue
		}
		if !v.Exported() {
			if foreign {
				return nil, fmt.Errorf("type %s.%s has unexported field %s, which cannot be encoded from another package",
					owner.Pkg().Name(), owner.Name(), v.Name())
			}
			if !v.Embedded() {
				return nil, m.fieldError(v, strings.Join(fpath, "."), unexportedWhy(m.tag))
			}
		}
		if v.Embedded() && name == "" {
			et := types.Unalias(v.Type())
			if _, isPtr := et.(*types.Pointer); isPtr {
				return nil, m.fieldError(v, strings.Join(fpath, "."), "embedded pointers are not supported; embed the struct or name the field")
			}
			if n, ok := et.(*types.Named); ok && m.marshalerOf(n) == nil {
				if es, ok := n.Underlying().(*types.Struct); ok && !isTimeType(n) {
					k := key(n)
					if seen[k] {
						return nil, m.fieldError(v, strings.Join(fpath, "."), "recursive embedding")
					}
					seen[k] = true
					m.shapes[k] = n
					inner, err := m.fieldsOf(n.Obj(), es, fpath, seen)
					if err != nil {
						return nil, err
					}
					out = append(out, inner...)
					continue
				}
			}
		}
		if !v.Exported() {
			return nil, m.fieldError(v, strings.Join(fpath, "."), unexportedWhy(m.tag))
		}
		if name == "" {
			name = v.Name()
		}
		e, err := m.elemOf(v.Type())
		if err != nil {
			var loc located
			if errors.As(err, &loc) {
				return nil, loc
			}
			return nil, m.fieldError(v, strings.Join(fpath, "."), err.Error())
		}
		out = append(out, field{name: name, path: fpath, elem: e, omit: omitOf(e)})
	}
	return out, nil
}

// unexportedWhy explains why an unexported field is an error: msgpack (and
// so the codec) cannot store it, and values that differ only there would
// silently be one member.
func unexportedWhy(tag string) string {
	return "unexported fields are not stored, so values differing only in it would be the same member; export it, or tag it `" + tag + ":\"-\"` to leave it out knowingly"
}

// isTimeStruct reports whether s is time.Time's underlying struct.
func isTimeStruct(s *types.Struct) bool {
	if s.NumFields() == 0 {
		return false
	}
	p := s.Field(0).Pkg()
	return p != nil && p.Path() == "time" && s.Field(0).Name() == "wall"
}

func isTimeType(n *types.Named) bool {
	return n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time"
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	// Lower a leading run of capitals: ID -> id, HTTPServer -> httpServer.
	r := []rune(s)
	i := 0
	for i < len(r) && unicode.IsUpper(r[i]) {
		i++
	}
	switch {
	case i == 0:
		return s
	case i == 1 || i == len(r):
		return strings.ToLower(string(r[:i])) + string(r[i:])
	default:
		return strings.ToLower(string(r[:i-1])) + string(r[i-1:])
	}
}

// snake turns UserProfile into user_profile and HTTPServer into http_server.
func snake(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		upper := unicode.IsUpper(c)
		if upper && i > 0 {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || (nextLower && unicode.IsUpper(r[i-1])) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
