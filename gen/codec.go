package gen

import (
	"fmt"
	"go/types"
	"strconv"

	"github.com/dave/jennifer/jen"
)

const runtimePath = "github.com/setgen/setgen/runtime"

func rt(name string) *jen.Statement { return jen.Qual(runtimePath, name) }

// locals names the identifiers that generated functions declare: the
// receivers c and s, the encoder e, the decoder d, the value v, n and f,
// and the numbered closure parameters and loop variables (x0, k1, i2, v0,
// ...). A package-level name equal to one of them would be shadowed where
// generated code refers to it (a type named e, a package imported as d), so
// such locals get trailing underscores.
type locals struct{ taken map[string]bool }

func (lv locals) id(base string) *jen.Statement {
	name := base
	for lv.taken[name] {
		name += "_"
	}
	return jen.Id(name)
}

// deref returns *val, parenthesized when it will be indexed (an array), as
// *v[i] would index first.
func deref(t *typ, val *jen.Statement) *jen.Statement {
	if t.kind == kArray {
		return jen.Parens(jen.Op("*").Add(val))
	}
	return jen.Op("*").Add(val)
}

// typeCode renders t as a type expression.
func typeCode(t types.Type) *jen.Statement {
	switch u := types.Unalias(t).(type) {
	case *types.Named:
		obj := u.Obj()
		if obj.Pkg() == nil {
			return jen.Id(obj.Name())
		}
		return jen.Qual(obj.Pkg().Path(), obj.Name())
	case *types.Basic:
		return jen.Id(u.Name())
	case *types.Pointer:
		return jen.Op("*").Add(typeCode(u.Elem()))
	case *types.Slice:
		return jen.Index().Add(typeCode(u.Elem()))
	case *types.Array:
		return jen.Index(jen.Lit(int(u.Len()))).Add(typeCode(u.Elem()))
	case *types.Map:
		return jen.Map(typeCode(u.Key())).Add(typeCode(u.Elem()))
	case *types.Struct:
		fields := make([]jen.Code, u.NumFields())
		for i := range u.NumFields() {
			f := u.Field(i)
			var c *jen.Statement
			if f.Embedded() {
				c = typeCode(f.Type())
			} else {
				c = jen.Id(f.Name()).Add(typeCode(f.Type()))
			}
			if tag := u.Tag(i); tag != "" {
				c.Add(jen.Op(tagLiteral(tag)))
			}
			fields[i] = c
		}
		return jen.Struct(fields...)
	case *types.Interface:
		if u.Empty() {
			return jen.Any()
		}
	}
	// Unsupported types are rejected by the modeler before rendering.
	panic(fmt.Sprintf("setgen: typeCode(%s)", t))
}

// tagLiteral quotes a struct tag as Go source, raw when it can be.
func tagLiteral(tag string) string {
	if strconv.CanBackquote(tag) {
		return "`" + tag + "`"
	}
	return strconv.Quote(tag)
}

// underlyingCode renders the type literal underlying a named type.
func underlyingCode(t types.Type) *jen.Statement { return typeCode(t.Underlying()) }

// conv wraps v in a conversion to the Go type named by to when the model
// says the value's type is named (or differs), so calls type-check.
func conv(t *typ, to string, v jen.Code) *jen.Statement {
	if !t.named {
		if b, ok := types.Unalias(t.t).(*types.Basic); ok && b.Name() == to {
			return jen.Add(v)
		}
	}
	return jen.Id(to).Call(v)
}

// back converts a value of the runtime's type back to t's Go type.
func back(t *typ, v jen.Code) *jen.Statement {
	if !t.named {
		if b, ok := types.Unalias(t.t).(*types.Basic); ok {
			switch {
			case t.kind == kString && b.Kind() == types.String,
				t.kind == kBool && b.Kind() == types.Bool,
				t.kind == kFloat64 && b.Kind() == types.Float64,
				t.kind == kFloat32 && b.Kind() == types.Float32,
				t.kind == kInt && b.Kind() == types.Int64,
				t.kind == kUint && b.Kind() == types.Uint64:
				return jen.Add(v)
			}
		}
		if t.kind == kBytes {
			return jen.Add(v)
		}
	}
	return typeCode(t.t).Call(v)
}

func bitsCode(bits int) jen.Code {
	if bits == 0 {
		return rt("IntSize")
	}
	return jen.Lit(bits)
}

// sliceType returns the unnamed slice or map type under a named one, for
// the runtime's generic helpers.
func literalType(t *typ) *jen.Statement {
	if t.named {
		return underlyingCode(t.t)
	}
	return typeCode(t.t)
}

// encPointee writes the value a non-nil pointer points to. A zero time is
// written as a timestamp, not as nil, so that it decodes as a non-nil pointer.
func (lv locals) encPointee(t *typ, val *jen.Statement, depth int) []jen.Code {
	if t.kind == kTime {
		return []jen.Code{lv.id("e").Dot("TimeValue").Call(val)}
	}
	return lv.enc(t, val, depth)
}

// enc returns the statements that write val, of type t, to e.
func (lv locals) enc(t *typ, val *jen.Statement, depth int) []jen.Code {
	e := lv.id("e")
	switch t.kind {
	case kBool:
		return []jen.Code{e.Dot("Bool").Call(conv(t, "bool", val))}
	case kInt:
		return []jen.Code{e.Dot("Int").Call(conv(t, "int64", val))}
	case kUint:
		return []jen.Code{e.Dot("Uint").Call(conv(t, "uint64", val))}
	case kFloat32:
		return []jen.Code{e.Dot("Float32").Call(conv(t, "float32", val))}
	case kFloat64:
		return []jen.Code{e.Dot("Float64").Call(conv(t, "float64", val))}
	case kString:
		return []jen.Code{e.Dot("String").Call(conv(t, "string", val))}
	case kBytes:
		if t.named {
			val = jen.Index().Byte().Call(val)
		}
		return []jen.Code{e.Dot("BytesValue").Call(val)}
	case kTime:
		return []jen.Code{e.Dot("Time").Call(val)}
	case kDuration:
		return []jen.Code{e.Dot("Int").Call(jen.Int64().Call(val))}
	case kStruct:
		return []jen.Code{lv.id("c").Dot(t.st.enc).Call(lv.id("e"), jen.Op("&").Add(val))}
	case kPtr:
		var inner []jen.Code
		if t.elem.kind == kStruct {
			inner = []jen.Code{lv.id("c").Dot(t.elem.st.enc).Call(lv.id("e"), val.Clone())}
		} else {
			inner = lv.encPointee(t.elem, deref(t.elem, val.Clone()), depth)
		}
		return []jen.Code{jen.If(val.Clone().Op("==").Nil()).Block(lv.id("e").Dot("Nil").Call()).Else().Block(inner...)}
	case kSlice:
		x := lv.id(fmt.Sprintf("x%d", depth))
		fn := jen.Func().Params(lv.id("e").Op("*").Add(rt("Encoder")), x.Clone().Add(typeCode(t.elem.t))).
			Block(lv.enc(t.elem, x.Clone(), depth+1)...)
		s := val
		if t.named {
			s = literalType(t).Call(val)
		}
		return []jen.Code{rt("EncodeSlice").Call(lv.id("e"), s, fn)}
	case kArray:
		i := lv.id(fmt.Sprintf("i%d", depth))
		return []jen.Code{
			lv.id("e").Dot("ArrayLen").Call(jen.Lit(int(t.n))),
			jen.For(i.Clone().Op(":=").Range().Add(val.Clone())).Block(lv.enc(t.elem, val.Clone().Index(i.Clone()), depth+1)...),
		}
	case kMap:
		k, x := lv.id(fmt.Sprintf("k%d", depth)), lv.id(fmt.Sprintf("x%d", depth))
		kf := jen.Func().Params(lv.id("e").Op("*").Add(rt("Encoder")), k.Clone().Add(typeCode(t.key.t))).
			Block(lv.enc(t.key, k.Clone(), depth+1)...)
		vf := jen.Func().Params(lv.id("e").Op("*").Add(rt("Encoder")), x.Clone().Add(typeCode(t.elem.t))).
			Block(lv.enc(t.elem, x.Clone(), depth+1)...)
		m := val
		if t.named {
			m = literalType(t).Call(val)
		}
		helper := "EncodeMap"
		if !ordered(t.key) {
			helper = "EncodeMapFunc"
		}
		return []jen.Code{rt(helper).Call(lv.id("e"), m, kf, vf)}
	}
	panic("setgen: enc: unknown kind")
}

// ordered reports whether the runtime can sort keys of t with cmp.Ordered.
func ordered(t *typ) bool {
	switch t.kind {
	case kInt, kUint, kFloat32, kFloat64, kString, kDuration:
		return true
	}
	return false
}

// decExpr returns an expression reading a value of type t, for the kinds
// that need no statements.
func (lv locals) decExpr(t *typ) (jen.Code, bool) {
	d := lv.id("d")
	switch t.kind {
	case kBool:
		return back(t, d.Dot("Bool").Call()), true
	case kInt:
		return back(t, d.Dot("Int").Call(bitsCode(t.bits))), true
	case kUint:
		return back(t, d.Dot("Uint").Call(bitsCode(t.bits))), true
	case kFloat32:
		return back(t, d.Dot("Float32").Call()), true
	case kFloat64:
		return back(t, d.Dot("Float64").Call()), true
	case kString:
		return back(t, d.Dot("String").Call()), true
	case kBytes:
		return back(t, d.Dot("BytesValue").Call()), true
	case kTime:
		return d.Dot("Time").Call(), true
	case kDuration:
		return d.Dot("Duration").Call(), true
	}
	return nil, false
}

// decFunc renders func(d *runtime.Decoder) T reading one value of t.
func (lv locals) decFunc(t *typ, v *jen.Statement, depth int) *jen.Statement {
	head := jen.Func().Params(lv.id("d").Op("*").Add(rt("Decoder"))).Add(typeCode(t.t))
	if x, ok := lv.decExpr(t); ok {
		return head.Block(jen.Return(x))
	}
	return head.Block(append(append([]jen.Code{jen.Var().Add(v.Clone()).Add(typeCode(t.t))}, lv.dec(t, v.Clone(), depth+1)...),
		jen.Return(v.Clone()))...)
}

// dec returns the statements that read a value of type t into target
// (an addressable expression).
func (lv locals) dec(t *typ, target *jen.Statement, depth int) []jen.Code {
	if x, ok := lv.decExpr(t); ok {
		return []jen.Code{target.Clone().Op("=").Add(x)}
	}
	switch t.kind {
	case kStruct:
		return []jen.Code{lv.id("c").Dot(t.st.dec).Call(lv.id("d"), jen.Op("&").Add(target))}
	case kPtr:
		var inner []jen.Code
		if t.elem.kind == kStruct {
			inner = []jen.Code{lv.id("c").Dot(t.elem.st.dec).Call(lv.id("d"), target.Clone())}
		} else {
			inner = lv.dec(t.elem, deref(t.elem, target.Clone()), depth)
		}
		return []jen.Code{jen.If(lv.id("d").Dot("Nil").Call()).Block(
			target.Clone().Op("=").Nil(),
		).Else().Block(append([]jen.Code{target.Clone().Op("=").New(typeCode(t.elem.t))}, inner...)...)}
	case kSlice:
		fn := lv.decFunc(t.elem, lv.id(fmt.Sprintf("x%d", depth)), depth)
		p := jen.Op("&").Add(target)
		if t.named {
			p = jen.Parens(jen.Op("*").Add(literalType(t))).Call(p)
		}
		return []jen.Code{rt("DecodeSlice").Call(lv.id("d"), p, fn)}
	case kArray:
		i := lv.id(fmt.Sprintf("i%d", depth))
		return []jen.Code{jen.If(lv.id("d").Dot("ArrayLenExact").Call(jen.Lit(int(t.n)))).Block(
			jen.For(i.Clone().Op(":=").Range().Add(target.Clone())).Block(lv.dec(t.elem, target.Clone().Index(i.Clone()), depth+1)...),
		)}
	case kMap:
		kf := lv.decFunc(t.key, lv.id(fmt.Sprintf("k%d", depth)), depth)
		vf := lv.decFunc(t.elem, lv.id(fmt.Sprintf("x%d", depth)), depth)
		p := jen.Op("&").Add(target)
		if t.named {
			p = jen.Parens(jen.Op("*").Add(literalType(t))).Call(p)
		}
		return []jen.Code{rt("DecodeMap").Call(lv.id("d"), p, kf, vf)}
	}
	panic("setgen: dec: unknown kind")
}

// structFuncs renders the encode and decode functions of a named struct.
func (lv locals) structFuncs(codec string, st *structType) []jen.Code {
	name := st.obj.Name()
	tc := typeCode(st.obj.Type())
	var encBody []jen.Code
	encBody = append(encBody, lv.id("e").Dot("BeginStruct").Call())
	cases := []jen.Code{}
	for _, f := range st.fields {
		sel := lv.id("v")
		for _, p := range f.path {
			sel = sel.Dot(p)
		}
		switch {
		case f.typ.kind == kPtr:
			var inner []jen.Code
			inner = append(inner, lv.id("e").Dot("FieldKeep").Call(jen.Lit(f.name)))
			if f.typ.elem.kind == kStruct {
				inner = append(inner, lv.id("c").Dot(f.typ.elem.st.enc).Call(lv.id("e"), sel.Clone()))
			} else {
				inner = append(inner, lv.encPointee(f.typ.elem, deref(f.typ.elem, sel.Clone()), 1)...)
			}
			encBody = append(encBody, jen.If(sel.Clone().Op("!=").Nil()).Block(inner...))
		case f.typ.kind == kArray && types.Comparable(f.typ.t):
			// A zero array would encode as N zeros; leave it out like other zero values.
			encBody = append(encBody, jen.If(sel.Clone().Op("!=").Parens(typeCode(f.typ.t).Values())).Block(
				append([]jen.Code{lv.id("e").Dot("Field").Call(jen.Lit(f.name))}, lv.enc(f.typ, sel.Clone(), 1)...)...))
		case f.typ.kind == kArray:
			// Not comparable: the encoder drops it when every element is zero.
			encBody = append(encBody, lv.id("e").Dot("FieldArray").Call(jen.Lit(f.name)))
			encBody = append(encBody, lv.enc(f.typ, sel.Clone(), 1)...)
		default:
			encBody = append(encBody, lv.id("e").Dot("Field").Call(jen.Lit(f.name)))
			encBody = append(encBody, lv.enc(f.typ, sel.Clone(), 1)...)
		}
		cases = append(cases, jen.Case(jen.Lit(f.name)).Block(lv.dec(f.typ, sel.Clone(), 1)...))
	}
	encBody = append(encBody, lv.id("e").Dot("EndStruct").Call())
	cases = append(cases, jen.Default().Block(lv.id("d").Dot("UnknownField").Call(jen.Lit(name), lv.id("f"))))

	return []jen.Code{
		jen.Commentf("%s writes a %s as a msgpack map of its non-zero fields, sorted by name.", st.enc, name),
		jen.Func().Params(lv.id("c").Id(codec)).Id(st.enc).Params(lv.id("e").Op("*").Add(rt("Encoder")), lv.id("v").Op("*").Add(tc)).Block(encBody...),
		jen.Line(),
		jen.Commentf("%s reads a %s written by %s.", st.dec, name, st.enc),
		jen.Func().Params(lv.id("c").Id(codec)).Id(st.dec).Params(lv.id("d").Op("*").Add(rt("Decoder")), lv.id("v").Op("*").Add(tc.Clone())).Block(
			jen.For(
				lv.id("n").Op(":=").Add(lv.id("d")).Dot("BeginStruct").Call(),
				lv.id("n").Op(">").Lit(0).Op("&&").Add(lv.id("d")).Dot("Err").Call().Op("==").Nil(),
				lv.id("n").Op("--"),
			).Block(
				jen.Switch(lv.id("f").Op(":=").Add(lv.id("d")).Dot("FieldName").Call(), lv.id("f")).Block(cases...),
			),
			lv.id("d").Dot("EndStruct").Call(),
		),
		jen.Line(),
	}
}
