package gen

import (
	"go/types"

	"github.com/dave/jennifer/jen"
)

// The codec's model: a tree of elems, one node type per way of encoding a
// value. The modeler resolves every decision (conversions, key order,
// zero-field rule, marshaler use) into the nodes; emitters only walk them.
// Each emitter implements visitor, so a new kind of elem is a compile error
// in every emitter until it handles it.

// elem is one node of the model.
type elem interface {
	// goType is the Go type of the value.
	goType() types.Type
	// mayFail reports whether encoding the value can fail (structs check
	// their depth, marshalers return errors), so emitters declare err.
	mayFail() bool
	// size estimates the encoded size, so that Append grows a small
	// buffer once: 16 bytes a string, 4 elements a collection, nested
	// structs by their fields down to depth levels.
	size(depth int) int
	accept(v visitor, at place) []jen.Code
}

// place is where an emitter works: the value to encode, or the
// addressable target to decode into, and how deep in the tree it is (for
// naming locals).
type place struct {
	val   *jen.Statement
	depth int
	// fail returns the statement that returns err (an expression) from the
	// generated function, wrapped with the path so far.
	fail func(err jen.Code) jen.Code
}

func (p place) inner(val *jen.Statement) place {
	return place{val: val, depth: p.depth + 1, fail: p.fail}
}

// visitor is implemented by every emitter.
type visitor interface {
	visitScalar(*scalarElem, place) []jen.Code
	visitTime(*timeElem, place) []jen.Code
	visitBytes(*bytesElem, place) []jen.Code
	visitByteArray(*byteArrayElem, place) []jen.Code
	visitStruct(*structElem, place) []jen.Code
	visitPtr(*ptrElem, place) []jen.Code
	visitSlice(*sliceElem, place) []jen.Code
	visitArray(*arrayElem, place) []jen.Code
	visitMap(*mapElem, place) []jen.Code
	visitMarshaler(*marshalerElem, place) []jen.Code
	visitCustom(*customElem, place) []jen.Code
}

// prim is a scalar's MessagePack family.
type prim int

const (
	pBool prim = iota
	pInt
	pUint
	pFloat32
	pFloat64
	pString
)

// scalarElem is a boolean, integer, float or string (time.Duration is an
// integer), named or not.
type scalarElem struct {
	t    types.Type
	prim prim
	bits int // pInt, pUint: 8, 16, 32 or 64 (int and uint: 64, checked against runtime's IntSize)
	// native is the Go type the codec functions take and return (bool,
	// int64, uint64, float32, float64, string); exact reports whether t is
	// that very type, so no conversion is written.
	native string
	exact  bool
	intReg bool // int or uint (or a type defined over them): bits come from strconv.IntSize
}

// timeElem is time.Time: the timestamp extension, the zero time as nil
// (behind a pointer, as a timestamp: value is true).
type timeElem struct {
	t     types.Type
	value bool
}

// bytesElem is a []byte (or a type defined over it): bin.
type bytesElem struct {
	t     types.Type
	named bool
}

// byteArrayElem is a [N]byte (or a type defined over it): bin of N bytes.
type byteArrayElem struct {
	t types.Type
	n int64
}

// structElem is a named struct with generated functions.
type structElem struct {
	t  types.Type
	st *structType
}

// ptrElem is a pointer: nil, or its pointee.
type ptrElem struct {
	t    types.Type
	elem elem
}

// sliceElem is a slice (not of bytes): an array.
type sliceElem struct {
	t    types.Type
	elem elem
}

// arrayElem is a fixed-size array (not of bytes): an array of exactly n.
type arrayElem struct {
	t          types.Type
	n          int64
	elem       elem
	comparable bool
}

// mapElem is a map with its keys in canonical order.
type mapElem struct {
	t        types.Type
	key, val elem
	// ordered keys sort by value (runtime/codec.SortedEntries); others by
	// the bytes of their encodings (AppendMapByKeyBytes).
	ordered bool
	// floatKeys: a NaN key is an encoding error (SortedFloatEntries) and a
	// decoding error.
	floatKeys bool
}

// marshalerElem is a type stored through its encoding.BinaryMarshaler
// (bin) or TextMarshaler (str) methods.
type marshalerElem struct {
	t       types.Type
	text    bool // TextMarshaler; else BinaryMarshaler
	append  bool // has AppendBinary / AppendText, so encoding does not allocate
	ptr     bool // t is a pointer type: nil is nil
	pointee types.Type
}

// customElem is a type that implements msgpack/v5's CustomEncoder and
// CustomDecoder; it is encoded by msgpack/v5 and checked to round-trip.
type customElem struct {
	t types.Type
}

func (e *scalarElem) goType() types.Type    { return e.t }
func (e *timeElem) goType() types.Type      { return e.t }
func (e *bytesElem) goType() types.Type     { return e.t }
func (e *byteArrayElem) goType() types.Type { return e.t }
func (e *structElem) goType() types.Type    { return e.t }
func (e *ptrElem) goType() types.Type       { return e.t }
func (e *sliceElem) goType() types.Type     { return e.t }
func (e *arrayElem) goType() types.Type     { return e.t }
func (e *mapElem) goType() types.Type       { return e.t }
func (e *marshalerElem) goType() types.Type { return e.t }
func (e *customElem) goType() types.Type    { return e.t }

func (*scalarElem) mayFail() bool    { return false }
func (*timeElem) mayFail() bool      { return false }
func (*bytesElem) mayFail() bool     { return false }
func (*byteArrayElem) mayFail() bool { return false }
func (*structElem) mayFail() bool    { return true }
func (e *ptrElem) mayFail() bool     { return e.elem.mayFail() }
func (e *sliceElem) mayFail() bool   { return e.elem.mayFail() }
func (e *arrayElem) mayFail() bool   { return e.elem.mayFail() }
func (e *mapElem) mayFail() bool     { return !e.ordered || e.key.mayFail() || e.val.mayFail() }
func (*marshalerElem) mayFail() bool { return true }
func (*customElem) mayFail() bool    { return true }

func (e *scalarElem) size(int) int {
	switch e.prim {
	case pBool:
		return 1
	case pString:
		return 17
	case pFloat32:
		return 5
	}
	return 9
}
func (*timeElem) size(int) int        { return 10 }
func (*bytesElem) size(int) int       { return 18 }
func (e *byteArrayElem) size(int) int { return 5 + int(e.n) }
func (e *structElem) size(depth int) int {
	if depth > 2 {
		return 16
	}
	n := 3
	for _, f := range e.st.fields {
		n += len(f.name) + 1 + f.elem.size(depth+1)
	}
	return n
}
func (e *ptrElem) size(depth int) int   { return e.elem.size(depth) }
func (e *sliceElem) size(depth int) int { return 3 + 4*e.elem.size(depth) }
func (e *arrayElem) size(depth int) int { return 3 + int(min(e.n, 16))*e.elem.size(depth) }
func (e *mapElem) size(depth int) int   { return 3 + 4*(e.key.size(depth)+e.val.size(depth)) }
func (*marshalerElem) size(int) int     { return 24 }
func (*customElem) size(int) int        { return 16 }

func (e *scalarElem) accept(v visitor, at place) []jen.Code    { return v.visitScalar(e, at) }
func (e *timeElem) accept(v visitor, at place) []jen.Code      { return v.visitTime(e, at) }
func (e *bytesElem) accept(v visitor, at place) []jen.Code     { return v.visitBytes(e, at) }
func (e *byteArrayElem) accept(v visitor, at place) []jen.Code { return v.visitByteArray(e, at) }
func (e *structElem) accept(v visitor, at place) []jen.Code    { return v.visitStruct(e, at) }
func (e *ptrElem) accept(v visitor, at place) []jen.Code       { return v.visitPtr(e, at) }
func (e *sliceElem) accept(v visitor, at place) []jen.Code     { return v.visitSlice(e, at) }
func (e *arrayElem) accept(v visitor, at place) []jen.Code     { return v.visitArray(e, at) }
func (e *mapElem) accept(v visitor, at place) []jen.Code       { return v.visitMap(e, at) }
func (e *marshalerElem) accept(v visitor, at place) []jen.Code { return v.visitMarshaler(e, at) }
func (e *customElem) accept(v visitor, at place) []jen.Code    { return v.visitCustom(e, at) }

// omitRule is how a struct field decides it is left out (at its zero
// value), and so how a decoder recognises a field that should have been.
type omitRule int

const (
	omitGoZero       omitRule = iota // a Go comparison (zeroer) says the value is zero
	omitEncZero                      // the value's encoding is a zero encoding (codec.IsZero)
	omitEncZeroArray                 // an array of zero encodings only (codec.IsZeroArray)
)

// structType is a named struct whose codec functions are generated.
type structType struct {
	t      types.Type
	name   string  // for messages, e.g. "User"
	fields []field // sorted by name
	enc    string  // name of the generated append method
	dec    string  // name of the generated decode method
}

// field is one encoded field of a struct (embedded structs are flattened).
type field struct {
	name string   // the stored name
	path []string // Go selector path from the struct, e.g. [Base ID]
	elem elem
	omit omitRule
}

// rootKind is how a set's element is stored as a whole member.
type rootKind int

const (
	rootMsgpack rootKind = iota // canonical MessagePack of the elem
	rootString                  // a named string type: its raw bytes
	rootBytes                   // a named []byte type: its raw bytes
	rootDecimal                 // a named integer type: its decimal text
)
