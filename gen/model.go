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

// kind is how a type is encoded.
type kind int

const (
	kBool kind = iota
	kInt
	kUint
	kFloat32
	kFloat64
	kString
	kBytes
	kTime
	kDuration
	kStruct
	kPtr
	kSlice
	kArray
	kMap
)

// typ is the model of one Go type as the codec sees it.
type typ struct {
	kind  kind
	t     types.Type // the Go type
	named bool       // t is a named (defined) type, so values need conversions
	bits  int        // kInt, kUint: 8, 16, 32, 64, or 0 for int/uint/uintptr
	elem  *typ       // kPtr, kSlice, kArray, kMap (value)
	key   *typ       // kMap
	n     int64      // kArray
	st    *structType
}

// structType is a named struct whose codec functions are generated.
type structType struct {
	obj    *types.TypeName
	fields []field // sorted by msgpack name
	enc    string  // name of the generated encode function
	dec    string  // name of the generated decode function
}

// field is one encoded field of a struct (embedded structs are flattened).
type field struct {
	name string   // msgpack name
	path []string // Go selector path from the struct, e.g. [Base ID]
	typ  *typ
}

// modeler builds typs, memoizing named structs so recursive types work.
type modeler struct {
	pkg      *types.Package
	fset     *token.FileSet
	structs  map[*types.TypeName]*structType
	order    []*structType // in discovery order; sorted before rendering
	shapes   map[*types.TypeName]bool
	names    *namer
	typeErrs string // ": " and the package's type errors, if any
	// inProgress holds the named non-struct types being modeled, to
	// reject recursion that does not go through a struct (type T []T).
	inProgress map[*types.TypeName]bool
}

// fieldError is `file:line: field X: why`.
func (m *modeler) fieldError(v *types.Var, path string, why string) error {
	return located{fmt.Sprintf("%s: field %s: %s", position(m.fset.Position(v.Pos())), path, why)}
}

func (m *modeler) typeOf(t types.Type) (*typ, error) {
	t = types.Unalias(t)
	if n, ok := t.(*types.Named); ok {
		obj := n.Obj()
		if obj.Pkg() != nil && obj.Pkg().Path() == "time" {
			switch obj.Name() {
			case "Time":
				return &typ{kind: kTime, t: t}, nil
			case "Duration":
				return &typ{kind: kDuration, t: t}, nil
			}
		}
		if n.TypeArgs().Len() > 0 || n.TypeParams().Len() > 0 {
			return nil, fmt.Errorf("generic type %s is not supported", types.TypeString(t, m.qualifier))
		}
		if obj.Pkg() != nil && obj.Pkg() != m.pkg && !obj.Exported() {
			return nil, fmt.Errorf("unexported type %s of another package cannot be named", types.TypeString(t, m.qualifier))
		}
		if u, ok := n.Underlying().(*types.Struct); ok {
			if isTimeStruct(u) {
				return nil, fmt.Errorf("%s is defined over time.Time, whose fields are unexported; use time.Time itself", obj.Name())
			}
			st, err := m.structOf(obj)
			if err != nil {
				return nil, err
			}
			return &typ{kind: kStruct, t: t, named: true, st: st}, nil
		}
		if _, ok := n.Underlying().(*types.Interface); !ok && obj.Pkg() != nil {
			m.shapes[obj] = true
		}
		if m.inProgress[obj] {
			return nil, fmt.Errorf("recursive type %s: recursion is supported through structs only", obj.Name())
		}
		if m.inProgress == nil {
			m.inProgress = map[*types.TypeName]bool{}
		}
		m.inProgress[obj] = true
		defer delete(m.inProgress, obj)
		u, err := m.typeOf(n.Underlying())
		if err != nil {
			return nil, err
		}
		c := *u
		c.t, c.named = t, true
		return &c, nil
	}
	switch u := t.(type) {
	case *types.Basic:
		switch {
		case u.Kind() == types.Bool:
			return &typ{kind: kBool, t: t}, nil
		case u.Kind() == types.String:
			return &typ{kind: kString, t: t}, nil
		case u.Info()&types.IsInteger != 0:
			bits := map[types.BasicKind]int{types.Int8: 8, types.Int16: 16, types.Int32: 32, types.Int64: 64,
				types.Uint8: 8, types.Uint16: 16, types.Uint32: 32, types.Uint64: 64}[u.Kind()]
			if u.Info()&types.IsUnsigned != 0 {
				return &typ{kind: kUint, t: t, bits: bits}, nil
			}
			return &typ{kind: kInt, t: t, bits: bits}, nil
		case u.Kind() == types.Float32:
			return &typ{kind: kFloat32, t: t}, nil
		case u.Kind() == types.Float64:
			return &typ{kind: kFloat64, t: t}, nil
		case u.Kind() == types.UnsafePointer:
			return nil, errors.New("unsafe.Pointer cannot be stored")
		case u.Kind() == types.Invalid:
			return nil, errors.New("type does not type-check" + m.typeErrs)
		case u.Info()&types.IsComplex != 0:
			return nil, errors.New(u.Name() + " is not supported (store real and imaginary parts as float64 fields)")
		}
		return nil, fmt.Errorf("%s is not supported", u.Name())
	case *types.Pointer:
		e, err := m.typeOf(u.Elem())
		if err != nil {
			return nil, err
		}
		if e.kind == kPtr {
			return nil, errors.New("pointers to pointers are not supported")
		}
		return &typ{kind: kPtr, t: t, elem: e}, nil
	case *types.Slice:
		if b, ok := types.Unalias(u.Elem()).(*types.Basic); ok && b.Kind() == types.Uint8 {
			return &typ{kind: kBytes, t: t}, nil
		}
		e, err := m.typeOf(u.Elem())
		if err != nil {
			return nil, err
		}
		return &typ{kind: kSlice, t: t, elem: e}, nil
	case *types.Array:
		e, err := m.typeOf(u.Elem())
		if err != nil {
			return nil, err
		}
		return &typ{kind: kArray, t: t, elem: e, n: u.Len()}, nil
	case *types.Map:
		k, err := m.typeOf(u.Key())
		if err != nil {
			return nil, fmt.Errorf("map key: %w", err)
		}
		if k.kind == kPtr {
			return nil, errors.New("maps with pointer keys are not supported (their identity cannot be stored)")
		}
		e, err := m.typeOf(u.Elem())
		if err != nil {
			return nil, err
		}
		return &typ{kind: kMap, t: t, key: k, elem: e}, nil
	case *types.Struct:
		return nil, errors.New("anonymous struct types are not supported; declare a named type")
	case *types.Chan:
		return nil, errors.New("channels cannot be stored")
	case *types.Signature:
		return nil, errors.New("functions cannot be stored")
	case *types.Interface:
		return nil, fmt.Errorf("interface type %s has no concrete codec; use a concrete type", types.TypeString(t, m.qualifier))
	case *types.TypeParam:
		return nil, errors.New("type parameters are not supported")
	}
	return nil, fmt.Errorf("type %s is not supported", types.TypeString(t, m.qualifier))
}

func (m *modeler) qualifier(p *types.Package) string {
	if p == m.pkg {
		return ""
	}
	return p.Name()
}

// structOf models the named struct obj (memoized).
func (m *modeler) structOf(obj *types.TypeName) (*structType, error) {
	if st, ok := m.structs[obj]; ok {
		return st, nil
	}
	prefix := upperFirst(obj.Name())
	if obj.Pkg() != m.pkg {
		prefix = upperFirst(obj.Pkg().Name()) + prefix
	}
	st := &structType{obj: obj, enc: m.names.fresh("enc" + prefix), dec: m.names.fresh("dec" + prefix)}
	m.structs[obj] = st
	m.order = append(m.order, st)
	m.shapes[obj] = true
	fields, err := m.fieldsOf(obj, obj.Type().Underlying().(*types.Struct), nil, map[*types.TypeName]bool{obj: true})
	if err != nil {
		delete(m.structs, obj)
		return nil, err
	}
	slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(fields); i++ {
		if fields[i].name == fields[i-1].name {
			return nil, fmt.Errorf("%s: two fields are named %q for msgpack (%s and %s)", obj.Name(), fields[i].name,
				strings.Join(fields[i-1].path, "."), strings.Join(fields[i].path, "."))
		}
	}
	st.fields = fields
	return st, nil
}

// located is an error that already names a file and line.
type located struct{ msg string }

func (e located) Error() string { return e.msg }

func (m *modeler) fieldsOf(owner *types.TypeName, s *types.Struct, path []string, seen map[*types.TypeName]bool) ([]field, error) {
	var out []field
	foreign := owner.Pkg() != m.pkg
	for i := range s.NumFields() {
		v := s.Field(i)
		tag := reflect.StructTag(s.Tag(i)).Get("msgpack")
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
				return nil, m.fieldError(v, strings.Join(fpath, "."), unexportedWhy)
			}
		}
		if v.Embedded() && name == "" {
			et := types.Unalias(v.Type())
			if _, isPtr := et.(*types.Pointer); isPtr {
				return nil, m.fieldError(v, strings.Join(fpath, "."), "embedded pointers are not supported; embed the struct or name the field")
			}
			if n, ok := et.(*types.Named); ok {
				if es, ok := n.Underlying().(*types.Struct); ok && !isTimeType(n) {
					if seen[n.Obj()] {
						return nil, m.fieldError(v, strings.Join(fpath, "."), "recursive embedding")
					}
					seen[n.Obj()] = true
					m.shapes[n.Obj()] = true
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
			return nil, m.fieldError(v, strings.Join(fpath, "."), unexportedWhy)
		}
		if name == "" {
			name = v.Name()
		}
		t, err := m.typeOf(v.Type())
		if err != nil {
			var loc located
			if errors.As(err, &loc) {
				return nil, loc
			}
			return nil, m.fieldError(v, strings.Join(fpath, "."), err.Error())
		}
		out = append(out, field{name: name, path: fpath, typ: t})
	}
	return out, nil
}

// unexportedWhy explains why an unexported field is an error: msgpack (and
// so the codec) cannot store it, and values that differ only there would
// silently be one member.
const unexportedWhy = "unexported fields are not stored, so values differing only in it would be the same member; export it, or tag it `msgpack:\"-\"` to leave it out knowingly"

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

// namer hands out identifiers that do not clash with the package's own
// names or with each other.
type namer struct {
	taken map[string]bool
}

func (n *namer) fresh(base string) string {
	name := base
	for i := 2; n.taken[name]; i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	n.taken[name] = true
	return name
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
