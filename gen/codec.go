package gen

import (
	"fmt"
	"go/types"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/setgen/setgen/runtime/codec"
)

const (
	runtimePath = "github.com/setgen/setgen/runtime"
	codecPath   = "github.com/setgen/setgen/runtime/codec"
)

func rt(name string) *jen.Statement { return jen.Qual(runtimePath, name) }
func cd(name string) *jen.Statement { return jen.Qual(codecPath, name) }

// locals names the identifiers that generated functions declare: the
// receiver c, the buffer b, the reader r, the value v, and the numbered
// loop variables and temporaries (i1, x1, e1, ...). A package-level name
// equal to one of them would be shadowed where generated code refers to it
// (a type named b, a package imported as r), so such locals get trailing
// underscores.
// derefVal returns *val, parenthesized for the kinds that index or slice
// it (*v[i] would index first).
func derefVal(e elem, val *jen.Statement) *jen.Statement {
	switch e.(type) {
	case *scalarElem, *bytesElem, *structElem, *ptrElem, *customElem:
		return jen.Op("*").Add(val)
	}
	return jen.Parens(jen.Op("*").Add(val))
}

// typeCode renders t as a type expression.
func typeCode(t types.Type) *jen.Statement {
	switch u := t.(type) {
	case *types.Alias:
		// An exported, non-generic alias keeps its name; any other is
		// written as the type it stands for (an unexported alias of another
		// package cannot be named, a generic one needs its arguments).
		obj := u.Obj()
		if obj.Pkg() != nil && obj.Exported() && u.TypeArgs().Len() == 0 {
			return jen.Qual(obj.Pkg().Path(), obj.Name())
		}
		return typeCode(types.Unalias(t))
	case *types.Named:
		obj := u.Obj()
		var s *jen.Statement
		if obj.Pkg() == nil {
			s = jen.Id(obj.Name())
		} else {
			s = jen.Qual(obj.Pkg().Path(), obj.Name())
		}
		if args := u.TypeArgs(); args.Len() > 0 {
			codes := make([]jen.Code, args.Len())
			for i := range args.Len() {
				codes[i] = typeCode(args.At(i))
			}
			s = s.Types(codes...)
		}
		return s
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

// ---- the encoder ----

// encoder emits statements that append a value's canonical encoding to b.
// depth is the expression of the current struct depth.
type encoder struct {
	lv    locals
	depth jen.Code
}

func (g encoder) b() *jen.Statement { return g.lv.id("b") }

func (g encoder) app(fn string, args ...jen.Code) jen.Code {
	return g.b().Op("=").Add(cd(fn)).Call(append([]jen.Code{g.b()}, args...)...)
}

// try emits `if b, err = call; err != nil { fail }`.
func (g encoder) try(at place, call jen.Code, wrap func(jen.Code) jen.Code) jen.Code {
	err := g.lv.id("err")
	var e jen.Code = err
	if wrap != nil {
		e = wrap(err)
	}
	return jen.If(jen.List(g.b(), g.lv.id("err")).Op("=").Add(call), err.Clone().Op("!=").Nil()).Block(at.fail(e))
}

func nativeConv(native string, exact bool, val jen.Code) jen.Code {
	if exact {
		return val
	}
	return jen.Id(native).Call(val)
}

func (g encoder) visitScalar(e *scalarElem, at place) []jen.Code {
	fn := map[prim]string{pBool: "AppendBool", pInt: "AppendInt", pUint: "AppendUint", pFloat32: "AppendFloat32",
		pFloat64: "AppendFloat64", pString: "AppendString"}[e.prim]
	return []jen.Code{g.app(fn, nativeConv(e.native, e.exact, at.val))}
}

func (g encoder) visitTime(e *timeElem, at place) []jen.Code {
	if e.value {
		return []jen.Code{g.app("AppendTimeValue", at.val)}
	}
	return []jen.Code{g.app("AppendTime", at.val)}
}

func (g encoder) visitBytes(e *bytesElem, at place) []jen.Code {
	return []jen.Code{g.app("AppendBytes", nativeConv("[]byte", !e.named, at.val))}
}

func (g encoder) visitByteArray(e *byteArrayElem, at place) []jen.Code {
	return []jen.Code{g.app("AppendBytes", at.val.Clone().Index(jen.Empty(), jen.Empty()))}
}

func (g encoder) structCall(st *structType, ptr jen.Code, at place) jen.Code {
	return g.try(at, g.lv.id("c").Dot(st.enc).Call(g.b(), ptr, jen.Add(g.depth).Op("+").Lit(1)), nil)
}

func (g encoder) visitStruct(e *structElem, at place) []jen.Code {
	return []jen.Code{g.structCall(e.st, jen.Op("&").Add(at.val), at)}
}

func (g encoder) visitPtr(e *ptrElem, at place) []jen.Code {
	var inner []jen.Code
	if s, ok := e.elem.(*structElem); ok {
		inner = []jen.Code{g.structCall(s.st, at.val, at)}
	} else {
		inner = e.elem.accept(g, at.inner(derefVal(e.elem, at.val.Clone())))
	}
	return []jen.Code{jen.If(at.val.Clone().Op("==").Nil()).Block(g.app("AppendNil")).Else().Block(inner...)}
}

func (g encoder) visitSlice(e *sliceElem, at place) []jen.Code {
	i := g.lv.num("i", at.depth)
	return []jen.Code{
		g.app("AppendArrayHeader", jen.Len(at.val)),
		jen.For(i.Clone().Op(":=").Range().Add(at.val.Clone())).Block(e.elem.accept(g, at.inner(at.val.Clone().Index(i.Clone())))...),
	}
}

func (g encoder) visitArray(e *arrayElem, at place) []jen.Code {
	i := g.lv.num("i", at.depth)
	return []jen.Code{
		g.app("AppendArrayHeader", jen.Lit(int(e.n))),
		jen.For(i.Clone().Op(":=").Range().Add(at.val.Clone())).Block(e.elem.accept(g, at.inner(at.val.Clone().Index(i.Clone())))...),
	}
}

func (g encoder) visitMap(e *mapElem, at place) []jen.Code {
	kt, vt := typeCode(e.key.goType()), typeCode(e.val.goType())
	if e.ordered {
		buf, en := g.lv.num("eb", at.depth), g.lv.num("e", at.depth)
		body := append(e.key.accept(g, at.inner(en.Clone().Dot("Key"))), e.val.accept(g, at.inner(en.Clone().Dot("Val")))...)
		if e.floatKeys {
			es := g.lv.num("es", at.depth)
			return []jen.Code{jen.Block(
				jen.Var().Add(buf).Index(jen.Lit(8)).Add(cd("Entry")).Types(kt, vt),
				jen.List(es, g.lv.id("err")).Op(":=").Add(cd("SortedFloatEntries")).Call(at.val.Clone(), buf.Clone().Index(jen.Empty(), jen.Lit(0))),
				jen.If(g.lv.id("err").Op("!=").Nil()).Block(at.fail(g.lv.id("err"))),
				g.app("AppendMapHeader", jen.Len(at.val)),
				jen.For(jen.List(jen.Id("_"), en.Clone()).Op(":=").Range().Add(es.Clone())).Block(body...),
			)}
		}
		return []jen.Code{
			jen.Var().Add(buf).Index(jen.Lit(8)).Add(cd("Entry")).Types(kt, vt),
			g.app("AppendMapHeader", jen.Len(at.val)),
			jen.For(jen.List(jen.Id("_"), en).Op(":=").Range().Add(cd("SortedEntries")).Call(at.val.Clone(), buf.Clone().Index(jen.Empty(), jen.Lit(0)))).Block(body...),
		}
	}
	// Keys that are not ordered sort by their encodings, built by closures
	// (a rare shape: maps keyed by structs, arrays, bools or times).
	closure := func(x elem, name *jen.Statement) jen.Code {
		inner := encoder{lv: g.lv, depth: g.lv.id("depth")}
		raw := place{val: name, depth: at.depth + 1, fail: func(err jen.Code) jen.Code { return jen.Return(inner.b(), err) }}
		var body []jen.Code
		if x.mayFail() {
			body = append(body, jen.Var().Add(g.lv.id("err")).Error())
		}
		body = append(body, x.accept(inner, raw)...)
		body = append(body, jen.Return(inner.b(), jen.Nil()))
		return jen.Func().Params(inner.b().Index().Byte(), name.Clone().Add(typeCode(x.goType())), g.lv.id("depth").Int()).
			Params(jen.Index().Byte(), jen.Error()).Block(body...)
	}
	return []jen.Code{g.try(at, cd("AppendMapByKeyBytes").Call(g.b(), at.val, g.depth,
		closure(e.key, g.lv.num("k", at.depth)), closure(e.val, g.lv.num("x", at.depth))), nil)}
}

func (g encoder) visitMarshaler(e *marshalerElem, at place) []jen.Code {
	kind, begin, end, put := "Binary", "BeginBin", "EndBin", "AppendBytes"
	if e.text {
		kind, begin, end, put = "Text", "BeginStr", "EndStr", "AppendStringBytes"
	}
	failed := func(err jen.Code) jen.Code { return cd("EncodeFailed").Call(err) }
	if e.append {
		h := g.lv.num("h", at.depth)
		return []jen.Code{jen.Block(
			jen.Var().Add(h).Int(),
			jen.List(g.b(), h.Clone()).Op("=").Add(cd(begin)).Call(g.b()),
			g.try(at, at.val.Clone().Dot("Append"+kind).Call(g.b()), failed),
			g.b().Op("=").Add(cd(end)).Call(g.b(), h.Clone()),
		)}
	}
	p := g.lv.num("p", at.depth)
	err := g.lv.id("err")
	return []jen.Code{
		jen.If(jen.List(p, err).Op(":=").Add(at.val.Clone().Dot("Marshal"+kind).Call()), err.Clone().Op("!=").Nil()).
			Block(at.fail(failed(err.Clone()))).
			Else().Block(g.app(put, p.Clone())),
	}
}

func (g encoder) visitCustom(e *customElem, at place) []jen.Code {
	return []jen.Code{g.try(at, cd("AppendCustom").Call(g.b(), jen.Op("&").Add(at.val)), nil)}
}

// ---- the zero test of struct fields (omitGoZero) ----

// zeroer returns {isZero, isNonZero} expressions for a value, for the
// elems whose fields are left out by a Go comparison (omitGoZero).
type zeroer struct{}

func cmpPair(val *jen.Statement, zero jen.Code) []jen.Code {
	return []jen.Code{val.Clone().Op("==").Add(zero), val.Clone().Op("!=").Add(zero)}
}

func (zeroer) visitScalar(e *scalarElem, at place) []jen.Code {
	switch e.prim {
	case pBool:
		return []jen.Code{jen.Op("!").Add(at.val), at.val.Clone()}
	case pString:
		return cmpPair(at.val, jen.Lit(""))
	}
	return cmpPair(at.val, jen.Lit(0))
}
func (zeroer) visitTime(e *timeElem, at place) []jen.Code {
	return []jen.Code{at.val.Clone().Dot("IsZero").Call(), jen.Op("!").Add(at.val.Clone()).Dot("IsZero").Call()}
}
func (zeroer) visitBytes(e *bytesElem, at place) []jen.Code {
	return cmpPair(jen.Len(at.val), jen.Lit(0))
}
func (zeroer) visitByteArray(e *byteArrayElem, at place) []jen.Code {
	return cmpPair(at.val, jen.Parens(typeCode(e.t).Values()))
}
func (zeroer) visitStruct(*structElem, place) []jen.Code { return nil }
func (zeroer) visitPtr(e *ptrElem, at place) []jen.Code  { return cmpPair(at.val, jen.Nil()) }
func (zeroer) visitSlice(e *sliceElem, at place) []jen.Code {
	return cmpPair(jen.Len(at.val), jen.Lit(0))
}
func (zeroer) visitArray(e *arrayElem, at place) []jen.Code {
	if !e.comparable {
		return nil
	}
	return cmpPair(at.val, jen.Parens(typeCode(e.t).Values()))
}
func (zeroer) visitMap(e *mapElem, at place) []jen.Code        { return cmpPair(jen.Len(at.val), jen.Lit(0)) }
func (zeroer) visitMarshaler(*marshalerElem, place) []jen.Code { return nil }
func (zeroer) visitCustom(*customElem, place) []jen.Code       { return nil }

// ---- the decoder ----

// decoder emits statements that decode one value from the reader r into an
// addressable target, assigning the function's err.
type decoder struct{ lv locals }

func (g decoder) r() *jen.Statement   { return g.lv.id("r") }
func (g decoder) err() *jen.Statement { return g.lv.id("err") }

// read emits the call of a Reader method whose result goes into target,
// converted from native to the target's type when needed.
func (g decoder) read(at place, native string, exact bool, t types.Type, call jen.Code) []jen.Code {
	if exact {
		return []jen.Code{jen.If(jen.List(at.val, g.err()).Op("=").Add(call), g.err().Op("!=").Nil()).Block(at.fail(g.err()))}
	}
	x := g.lv.num("x", at.depth)
	return []jen.Code{jen.Block(
		jen.Var().Add(x).Id(native),
		jen.If(jen.List(x.Clone(), g.err()).Op("=").Add(call), g.err().Op("!=").Nil()).Block(at.fail(g.err())),
		at.val.Clone().Op("=").Add(typeCode(t)).Call(x.Clone()),
	)}
}

func bitsCode(e *scalarElem) jen.Code {
	if e.intReg {
		return cd("IntSize")
	}
	return jen.Lit(e.bits)
}

func (g decoder) visitScalar(e *scalarElem, at place) []jen.Code {
	var call jen.Code
	switch e.prim {
	case pBool:
		call = g.r().Dot("Bool").Call()
	case pInt:
		call = g.r().Dot("Int").Call(bitsCode(e))
	case pUint:
		call = g.r().Dot("Uint").Call(bitsCode(e))
	case pFloat32:
		call = g.r().Dot("Float32").Call()
	case pFloat64:
		call = g.r().Dot("Float64").Call()
	case pString:
		call = g.r().Dot("String").Call()
	}
	return g.read(at, e.native, e.exact, e.t, call)
}

func (g decoder) visitTime(e *timeElem, at place) []jen.Code {
	fn := "Time"
	if e.value {
		fn = "TimeValue"
	}
	return g.read(at, "time.Time", true, e.t, g.r().Dot(fn).Call())
}

func (g decoder) visitBytes(e *bytesElem, at place) []jen.Code {
	return g.read(at, "[]byte", !e.named, e.t, g.r().Dot("Bytes").Call())
}

func (g decoder) check(at place, call jen.Code) jen.Code {
	return jen.If(g.err().Op("=").Add(call), g.err().Op("!=").Nil()).Block(at.fail(g.err()))
}

func (g decoder) visitByteArray(e *byteArrayElem, at place) []jen.Code {
	return []jen.Code{g.check(at, g.r().Dot("ByteArray").Call(at.val.Clone().Index(jen.Empty(), jen.Empty())))}
}

func (g decoder) visitStruct(e *structElem, at place) []jen.Code {
	return []jen.Code{g.check(at, g.lv.id("c").Dot(e.st.dec).Call(g.r(), jen.Op("&").Add(at.val)))}
}

func (g decoder) visitPtr(e *ptrElem, at place) []jen.Code {
	alloc := at.val.Clone().Op("=").New(typeCode(e.elem.goType()))
	var inner []jen.Code
	if s, ok := e.elem.(*structElem); ok {
		inner = []jen.Code{alloc, g.check(at, g.lv.id("c").Dot(s.st.dec).Call(g.r(), at.val.Clone()))}
	} else {
		inner = append([]jen.Code{alloc}, e.elem.accept(g, at.inner(derefVal(e.elem, at.val.Clone())))...)
	}
	return []jen.Code{jen.If(jen.Op("!").Add(g.r()).Dot("Nil").Call()).Block(inner...)}
}

// indexed wraps the errors of an element at index i with its index.
func indexed(at place, i *jen.Statement) func(jen.Code) jen.Code {
	return func(err jen.Code) jen.Code { return at.fail(cd("InIndex").Call(err, i.Clone())) }
}

func (g decoder) visitSlice(e *sliceElem, at place) []jen.Code {
	n, i := g.lv.num("n", at.depth), g.lv.num("i", at.depth)
	elemAt := place{val: at.val.Clone().Index(i.Clone()), depth: at.depth + 1, fail: indexed(at, i)}
	loop := append([]jen.Code{at.val.Clone().Op("=").Append(at.val.Clone(), jen.Op("*").New(typeCode(e.elem.goType())))}, e.elem.accept(g, elemAt)...)
	return []jen.Code{jen.Block(
		jen.Var().Add(n).Int(),
		jen.If(jen.List(n.Clone(), g.err()).Op("=").Add(g.r()).Dot("ArrayHeader").Call(), g.err().Op("!=").Nil()).Block(at.fail(g.err())),
		jen.If(n.Clone().Op(">").Lit(0)).Block(
			// Sized by the header, but no more than 1,024 ahead of the
			// elements actually read: a hostile header cannot allocate much.
			at.val.Clone().Op("=").Make(typeCode(e.t), jen.Lit(0), jen.Min(n.Clone(), jen.Lit(1024))),
			jen.For(i.Clone().Op(":=").Lit(0), i.Clone().Op("<").Add(n.Clone()), i.Clone().Op("++")).Block(loop...),
		),
	)}
}

func (g decoder) visitArray(e *arrayElem, at place) []jen.Code {
	i := g.lv.num("i", at.depth)
	elemAt := place{val: at.val.Clone().Index(i.Clone()), depth: at.depth + 1, fail: indexed(at, i)}
	return []jen.Code{
		g.check(at, g.r().Dot("ArrayOf").Call(jen.Lit(int(e.n)))),
		jen.For(i.Clone().Op(":=").Range().Add(at.val.Clone())).Block(e.elem.accept(g, elemAt)...),
	}
}

func (g decoder) visitMap(e *mapElem, at place) []jen.Code {
	n, i, m := g.lv.num("n", at.depth), g.lv.num("i", at.depth), g.lv.num("m", at.depth)
	k, x, prev, ks := g.lv.num("k", at.depth), g.lv.num("x", at.depth), g.lv.num("prev", at.depth), g.lv.num("ks", at.depth)
	kt, vt := typeCode(e.key.goType()), typeCode(e.val.goType())
	keyAt := place{val: k.Clone(), depth: at.depth + 1, fail: indexed(at, i)}
	valAt := place{val: x.Clone(), depth: at.depth + 1, fail: indexed(at, i)}
	outOfOrder := at.fail(g.r().Dot("KeyOrder").Call(ks.Clone()))
	var prevDecl, order jen.Code
	if e.ordered {
		prevDecl = jen.Var().Add(prev).Add(kt.Clone())
		cond := i.Clone().Op(">").Lit(0).Op("&&").Op("!").Parens(prev.Clone().Op("<").Add(k.Clone()))
		if e.floatKeys {
			cond = cond.Op("||").Add(k.Clone()).Op("!=").Add(k.Clone()) // a NaN key is never written
		}
		order = jen.If(cond).Block(outOfOrder)
	} else {
		prevDecl = jen.Var().Add(prev).Index().Byte()
		order = jen.If(i.Clone().Op(">").Lit(0).Op("&&").Qual("bytes", "Compare").Call(prev.Clone(), g.r().Dot("Since").Call(ks.Clone())).Op(">=").Lit(0)).Block(outOfOrder)
	}
	loop := []jen.Code{
		ks.Clone().Op(":=").Add(g.r()).Dot("Pos").Call(),
		jen.Var().Add(k.Clone()).Add(kt.Clone()),
	}
	loop = append(loop, e.key.accept(g, keyAt)...)
	loop = append(loop, order)
	if e.ordered {
		loop = append(loop, prev.Clone().Op("=").Add(k.Clone()))
	} else {
		loop = append(loop, prev.Clone().Op("=").Add(g.r()).Dot("Since").Call(ks.Clone()))
	}
	loop = append(loop, jen.Var().Add(x.Clone()).Add(vt.Clone()))
	loop = append(loop, e.val.accept(g, valAt)...)
	loop = append(loop, m.Clone().Index(k.Clone()).Op("=").Add(x.Clone()))
	return []jen.Code{jen.Block(
		jen.Var().Add(n).Int(),
		jen.If(jen.List(n.Clone(), g.err()).Op("=").Add(g.r()).Dot("MapHeader").Call(), g.err().Op("!=").Nil()).Block(at.fail(g.err())),
		jen.If(n.Clone().Op(">").Lit(0)).Block(
			// Sized by the header, but no more than 1,024 ahead of the
			// entries actually read: a hostile header cannot allocate much.
			m.Clone().Op(":=").Make(typeCode(e.t), jen.Min(n.Clone(), jen.Lit(1024))),
			prevDecl,
			jen.For(i.Clone().Op(":=").Lit(0), i.Clone().Op("<").Add(n.Clone()), i.Clone().Op("++")).Block(loop...),
			at.val.Clone().Op("=").Add(m.Clone()),
		),
	)}
}

func (g decoder) visitMarshaler(e *marshalerElem, at place) []jen.Code {
	kind, read := "Binary", "BinBytes"
	if e.text {
		kind, read = "Text", "StringBytes"
	}
	s, p, q := g.lv.num("s", at.depth), g.lv.num("p", at.depth), g.lv.num("q", at.depth)
	return []jen.Code{jen.Block(
		s.Clone().Op(":=").Add(g.r()).Dot("Pos").Call(),
		jen.Var().Add(p).Index().Byte(),
		jen.If(jen.List(p.Clone(), g.err()).Op("=").Add(g.r()).Dot(read).Call(), g.err().Op("!=").Nil()).Block(at.fail(g.err())),
		// A copy: the input may be immutable (a string's bytes), and the
		// unmarshaler may keep or change what it is given.
		jen.If(g.err().Op("=").Add(at.val.Clone()).Dot("Unmarshal"+kind).Call(jen.Qual("bytes", "Clone").Call(p.Clone())), g.err().Op("!=").Nil()).
			Block(at.fail(cd("Rejected").Call(s.Clone(), g.err()))),
		// Only the bytes the value marshals back to are canonical.
		jen.List(q, g.err()).Op(":=").Add(at.val.Clone()).Dot("Marshal"+kind).Call(),
		g.check(at, cd("SameBytes").Call(s.Clone(), p.Clone(), q.Clone(), g.err())),
	)}
}

func (g decoder) visitCustom(e *customElem, at place) []jen.Code {
	return []jen.Code{g.check(at, cd("DecodeCustom").Call(g.r(), jen.Op("&").Add(at.val)))}
}

// ---- struct functions and the root codec ----

// fieldKey is the encoded field name, appended as one literal.
func fieldKey(name string) string { return string(codec.AppendString(nil, name)) }

// structFuncs renders the append and decode methods of a named struct.
func (lv locals) structFuncs(codecType string, st *structType) []jen.Code {
	tc := typeCode(st.t)
	b, v, n, h, c := lv.id("b"), lv.id("v"), lv.id("n"), lv.id("h"), lv.id("c")
	enc := encoder{lv: lv, depth: lv.id("depth")}
	dec := decoder{lv: lv}
	mayFail := false
	for _, f := range st.fields {
		mayFail = mayFail || f.elem.mayFail()
	}

	encBody := []jen.Code{
		jen.If(lv.id("depth").Op(">=").Add(cd("MaxDepth"))).Block(jen.Return(b.Clone(), cd("TooDeep").Call())),
	}
	if mayFail {
		encBody = append(encBody, jen.Var().Add(lv.id("err")).Error())
	}
	encBody = append(encBody,
		jen.List(b.Clone(), h.Clone()).Op(":=").Add(cd("BeginStruct")).Call(b.Clone(), jen.Lit(len(st.fields))),
		n.Clone().Op(":=").Lit(0),
	)
	var cases []jen.Code
	for idx, f := range st.fields {
		sel := v.Clone()
		for _, p := range f.path {
			sel = sel.Dot(p)
		}
		name := f.name
		encAt := place{val: sel.Clone(), depth: 1, fail: func(err jen.Code) jen.Code {
			return jen.Return(b.Clone(), cd("EncodeInField").Call(err, jen.Lit(name)))
		}}
		key := b.Clone().Op("=").Append(b.Clone(), jen.Lit(fieldKey(name)).Op("..."))
		switch f.omit {
		case omitGoZero:
			cond := f.elem.accept(zeroer{}, encAt)
			body := append([]jen.Code{key}, f.elem.accept(enc, encAt)...)
			body = append(body, n.Clone().Op("++"))
			encBody = append(encBody, jen.If(cond[1]).Block(body...))
		default:
			mark, vs := lv.id("m"), lv.id("vs")
			isZero := "IsZero"
			if f.omit == omitEncZeroArray {
				isZero = "IsZeroArray"
			}
			body := []jen.Code{mark.Clone().Op(":=").Len(b.Clone()), key, vs.Clone().Op(":=").Len(b.Clone())}
			body = append(body, f.elem.accept(enc, encAt)...)
			body = append(body, jen.If(cd(isZero).Call(b.Clone().Index(vs.Clone(), jen.Empty()))).
				Block(b.Clone().Op("=").Add(b.Clone()).Index(jen.Empty(), mark.Clone())).
				Else().Block(n.Clone().Op("++")))
			encBody = append(encBody, jen.Block(body...))
		}

		ks := lv.id("ks")
		decAt := place{val: sel.Clone(), depth: 1, fail: func(err jen.Code) jen.Code {
			return jen.Return(cd("InField").Call(err, jen.Lit(name)))
		}}
		cs := []jen.Code{
			jen.If(lv.id("last").Op(">=").Lit(idx)).Block(jen.Return(lv.id("r").Dot("Unknown").Call(ks.Clone(), jen.Lit(st.name), lv.id("name"), jen.True()))),
			lv.id("last").Op("=").Lit(idx),
		}
		if f.omit != omitGoZero {
			cs = append(cs, lv.id("vs").Op(":=").Add(lv.id("r")).Dot("Pos").Call())
		}
		cs = append(cs, f.elem.accept(dec, decAt)...)
		zeroErr := jen.Return(cd("InField").Call(lv.id("r").Dot("Zero").Call(ks.Clone()), jen.Lit(name)))
		switch f.omit {
		case omitGoZero:
			cs = append(cs, jen.If(f.elem.accept(zeroer{}, decAt)[0]).Block(zeroErr))
		case omitEncZero:
			cs = append(cs, jen.If(cd("IsZero").Call(lv.id("r").Dot("Since").Call(lv.id("vs")))).Block(zeroErr))
		case omitEncZeroArray:
			cs = append(cs, jen.If(cd("IsZeroArray").Call(lv.id("r").Dot("Since").Call(lv.id("vs")))).Block(zeroErr))
		}
		cases = append(cases, jen.Case(jen.Lit(name)).Block(cs...))
	}
	encBody = append(encBody, jen.Return(cd("EndStruct").Call(b.Clone(), h.Clone(), n.Clone()), jen.Nil()))

	r, ks, nm, err := lv.id("r"), lv.id("ks"), lv.id("name"), lv.id("err")
	cases = append(cases, jen.Default().Block(jen.Return(r.Clone().Dot("Unknown").Call(ks.Clone(), jen.Lit(st.name), nm.Clone(), jen.False()))))
	decBody := []jen.Code{
		jen.If(err.Clone().Op(":=").Add(r.Clone()).Dot("Enter").Call(), err.Clone().Op("!=").Nil()).Block(jen.Return(err.Clone())),
		jen.List(n.Clone(), err.Clone()).Op(":=").Add(r.Clone()).Dot("MapHeader").Call(),
		jen.If(err.Clone().Op("!=").Nil()).Block(jen.Return(err.Clone())),
	}
	if len(st.fields) > 0 {
		decBody = append(decBody, lv.id("last").Op(":=").Lit(-1))
	}
	decBody = append(decBody,
		jen.For(jen.Empty(), n.Clone().Op(">").Lit(0), n.Clone().Op("--")).Block(
			ks.Clone().Op(":=").Add(r.Clone()).Dot("Pos").Call(),
			jen.List(nm.Clone(), err.Clone()).Op(":=").Add(r.Clone()).Dot("StringBytes").Call(),
			jen.If(err.Clone().Op("!=").Nil()).Block(jen.Return(err.Clone())),
			jen.Switch(jen.String().Call(nm.Clone())).Block(cases...),
		),
		r.Clone().Dot("Leave").Call(),
		jen.Return(jen.Nil()),
	)

	return []jen.Code{
		jen.Commentf("%s appends the canonical encoding of a %s: a map of its non-zero fields in name order.", st.enc, st.name),
		jen.Func().Params(c.Clone().Id(codecType)).Id(st.enc).Params(b.Clone().Index().Byte(), v.Clone().Op("*").Add(tc), lv.id("depth").Int()).
			Params(jen.Index().Byte(), jen.Error()).Block(encBody...),
		jen.Line(),
		jen.Commentf("%s decodes the canonical encoding of a %s into the zero value at v.", st.dec, st.name),
		jen.Func().Params(c.Clone().Id(codecType)).Id(st.dec).Params(r.Clone().Op("*").Add(cd("Reader")), v.Clone().Op("*").Add(tc.Clone())).
			Error().Block(decBody...),
		jen.Line(),
	}
}

// rootFuncs renders the codec's Append and Decode methods.
func (lv locals) rootFuncs(st *setType) []jen.Code {
	b, v, src, r, err, c := lv.id("b"), lv.id("v"), lv.id("src"), lv.id("r"), lv.id("err"), lv.id("c")
	elemT := jen.Id(st.name)
	var encBody, decBody []jen.Code
	var encDoc, decDoc string
	switch st.root {
	case rootString, rootBytes:
		encDoc = "Append appends v's raw bytes: a " + st.name + " is stored as it is, so other clients can read and write it."
		decDoc = "Decode sets v to src's bytes."
		encBody = []jen.Code{jen.Return(jen.Append(b, derefVal(st.top, v.Clone()).Op("...")), jen.Nil())}
		val := jen.Id("string").Call(src.Clone())
		if st.root == rootBytes {
			val = jen.Qual("bytes", "Clone").Call(src.Clone())
		}
		decBody = []jen.Code{jen.Op("*").Add(v.Clone()).Op("=").Add(elemT.Clone()).Call(val), jen.Return(jen.Nil())}
	case rootDecimal:
		s := st.top.(*scalarElem)
		encDoc = "Append appends v as decimal text (\"42\"): a " + st.name + " is stored so, as redis-cli and other languages write it, and small sets of them fit Redis' intset."
		decDoc = "Decode reads the decimal text of a " + st.name + ", in its one canonical form (no sign for positive values, no leading zeros)."
		fn, parse, native := "AppendDecimal", "Decimal", "int64"
		if s.prim == pUint {
			fn, parse, native = "AppendDecimalUint", "DecimalUint", "uint64"
		}
		x := lv.id("x")
		encBody = []jen.Code{jen.Return(cd(fn).Call(b, jen.Id(native).Call(jen.Op("*").Add(v.Clone()))), jen.Nil())}
		decBody = []jen.Code{
			jen.List(x, err).Op(":=").Add(cd(parse)).Call(src, bitsCode(s)),
			jen.If(err.Clone().Op("!=").Nil()).Block(jen.Return(err.Clone())),
			jen.Op("*").Add(v.Clone()).Op("=").Add(elemT.Clone()).Call(x.Clone()),
			jen.Return(jen.Nil()),
		}
	default:
		encDoc = "Append appends v's canonical MessagePack encoding to b (without allocating when b has room)."
		decDoc = "Decode decodes src, which must be exactly the canonical encoding of one " + st.name + ", into v; anything else is an error wrapping runtime.ErrDecode."
		// Grow a buffer without room once, to the estimated size.
		grow := jen.If(jen.Cap(b.Clone()).Op("-").Len(b.Clone()).Op("<").Lit(st.top.size(0))).Block(
			b.Clone().Op("=").Qual("slices", "Grow").Call(b.Clone(), jen.Lit(st.top.size(0))))
		if s, ok := st.top.(*structElem); ok {
			encBody = []jen.Code{grow, jen.Return(c.Clone().Dot(s.st.enc).Call(b, v, jen.Lit(0)))}
			decBody = []jen.Code{
				r.Clone().Op(":=").Add(cd("NewReader")).Call(src),
				jen.Op("*").Add(v.Clone()).Op("=").Add(elemT.Clone()).Values(),
				jen.If(err.Clone().Op(":=").Add(c.Clone()).Dot(s.st.dec).Call(jen.Op("&").Add(r.Clone()), v.Clone()), err.Clone().Op("!=").Nil()).Block(jen.Return(err.Clone())),
				jen.Return(r.Clone().Dot("Done").Call()),
			}
			break
		}
		enc := encoder{lv: lv, depth: jen.Lit(0)}
		at := place{val: derefVal(st.top, v.Clone()), depth: 1, fail: func(e jen.Code) jen.Code { return jen.Return(b.Clone(), e) }}
		encBody = append(encBody, grow)
		if st.top.mayFail() {
			encBody = append(encBody, jen.Var().Add(err.Clone()).Error())
		}
		encBody = append(encBody, st.top.accept(enc, at)...)
		encBody = append(encBody, jen.Return(b.Clone(), jen.Nil()))
		decAt := place{val: derefVal(st.top, v.Clone()), depth: 1, fail: func(e jen.Code) jen.Code { return jen.Return(e) }}
		// A fresh Reader whose address is taken: r is a pointer below.
		decBody = []jen.Code{
			lv.id("rd").Op(":=").Add(cd("NewReader")).Call(src),
			r.Clone().Op(":=").Op("&").Add(lv.id("rd")),
			jen.Var().Add(lv.id("zero")).Add(elemT.Clone()),
			jen.Op("*").Add(v.Clone()).Op("=").Add(lv.id("zero")),
			jen.Var().Add(err.Clone()).Error(),
		}
		decBody = append(decBody, st.top.accept(decoder{lv: lv}, decAt)...)
		decBody = append(decBody, jen.Return(r.Clone().Dot("Done").Call()))
	}
	return []jen.Code{
		jen.Comment(encDoc),
		jen.Func().Params(c.Clone().Id(st.codec)).Id("Append").Params(b.Clone().Index().Byte(), v.Clone().Op("*").Add(elemT.Clone())).
			Params(jen.Index().Byte(), jen.Error()).Block(encBody...),
		jen.Line(),
		jen.Comment(decDoc),
		jen.Func().Params(c.Clone().Id(st.codec)).Id("Decode").Params(src.Clone().Index().Byte(), v.Clone().Op("*").Add(elemT.Clone())).
			Error().Block(decBody...),
		jen.Line(),
	}
}
