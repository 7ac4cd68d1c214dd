package runtime

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Codec converts set members to and from their stored bytes. setgen
// generates one for every annotated type; it must be canonical: equal values
// give identical bytes, because Redis compares members byte by byte.
type Codec[T any] interface {
	// EncodeMember writes v. Errors are recorded in e (see Encoder.Fail).
	EncodeMember(e *Encoder, v *T)
	// DecodeMember reads one value into v. Errors are recorded in d.
	DecodeMember(d *Decoder, v *T)
}

// Encoder writes canonical MessagePack with
// github.com/vmihailenco/msgpack/v5: integers in their most compact form
// whatever their Go width, -0.0 as 0.0, time.Time as the msgpack timestamp
// extension of its instant (zone-independent), maps with sorted keys (see
// EncodeMap), and structs as maps keyed by field name in a fixed order with
// zero-valued fields left out (see BeginStruct), so that adding a field to a
// struct does not change the encoding of values that leave it at zero.
//
// Errors are sticky: after the first one, writes are ignored and Err
// reports it. Encoders are pooled by the set core; generated code only
// receives them.
type Encoder struct {
	buf    buffer
	enc    *msgpack.Encoder
	frames []frame
	err    error
}

type buffer struct{ b []byte }

func (w *buffer) Write(p []byte) (int, error)       { w.b = append(w.b, p...); return len(p), nil }
func (w *buffer) WriteByte(c byte) error            { w.b = append(w.b, c); return nil }
func (w *buffer) WriteString(s string) (int, error) { w.b = append(w.b, s...); return len(s), nil }

// frame is an open struct: where its reserved header is, how many fields
// were kept, and the field being written.
type frame struct {
	header   int // offset of the 3 reserved header bytes
	count    int // fields kept so far
	keyStart int // offset of the current field's key, -1 if none
	valStart int // offset of the current field's value
	keep     bool
	array    bool // the value is a fixed-size array (see FieldArray)
}

// NewEncoder returns an empty Encoder. The set core pools them; this is for
// tests and custom codecs.
func NewEncoder() *Encoder {
	e := &Encoder{}
	e.enc = msgpack.NewEncoder(&e.buf)
	return e
}

var encoderPool = sync.Pool{New: func() any { return NewEncoder() }}

func getEncoder() *Encoder { return encoderPool.Get().(*Encoder) }

func putEncoder(e *Encoder) {
	if cap(e.buf.b) > 64<<10 {
		return // do not keep huge buffers alive
	}
	e.Reset()
	encoderPool.Put(e)
}

// Reset empties the encoder for reuse.
func (e *Encoder) Reset() {
	e.buf.b = e.buf.b[:0]
	e.frames = e.frames[:0]
	e.err = nil
}

// Bytes returns what was written. It is valid until the next write or Reset.
func (e *Encoder) Bytes() []byte { return e.buf.b }

// Err returns the first error recorded, if any.
func (e *Encoder) Err() error { return e.err }

// Fail records err (the first one wins) and makes later writes no-ops.
func (e *Encoder) Fail(err error) {
	if e.err == nil && err != nil {
		e.err = err
	}
}

func (e *Encoder) check(err error) { e.Fail(err) }

// Nil writes nil.
func (e *Encoder) Nil() {
	if e.err == nil {
		e.check(e.enc.EncodeNil())
	}
}

// Bool writes a boolean.
func (e *Encoder) Bool(v bool) {
	if e.err == nil {
		e.check(e.enc.EncodeBool(v))
	}
}

// Int writes a signed integer in its most compact form.
func (e *Encoder) Int(v int64) {
	if e.err == nil {
		e.check(e.enc.EncodeInt(v))
	}
}

// Uint writes an unsigned integer in its most compact form.
func (e *Encoder) Uint(v uint64) {
	if e.err == nil {
		e.check(e.enc.EncodeUint(v))
	}
}

// Float32 writes a float32; -0 is written as 0 and every NaN as one NaN.
func (e *Encoder) Float32(v float32) {
	if e.err == nil {
		if v == 0 {
			v = 0
		} else if v != v {
			v = float32(math.NaN())
		}
		e.check(e.enc.EncodeFloat32(v))
	}
}

// Float64 writes a float64; -0 is written as 0 and every NaN as one NaN.
func (e *Encoder) Float64(v float64) {
	if e.err == nil {
		if v == 0 {
			v = 0
		} else if v != v {
			v = math.NaN()
		}
		e.check(e.enc.EncodeFloat64(v))
	}
}

// String writes a string.
func (e *Encoder) String(v string) {
	if e.err == nil {
		e.check(e.enc.EncodeString(v))
	}
}

// BytesValue writes a byte slice as msgpack bin (nil and empty alike).
func (e *Encoder) BytesValue(v []byte) {
	if e.err == nil {
		if v == nil {
			v = []byte{}
		}
		e.check(e.enc.EncodeBytes(v))
	}
}

// Time writes the instant t as the msgpack timestamp extension; the zero
// time is written as nil. The zone and monotonic reading do not matter.
func (e *Encoder) Time(t time.Time) {
	if e.err != nil {
		return
	}
	if t.IsZero() {
		e.Nil()
		return
	}
	e.check(e.enc.EncodeTime(t))
}

// TimeValue writes t as the msgpack timestamp extension, the zero time
// included. Generated code uses it behind pointers, where nil means nil.
func (e *Encoder) TimeValue(t time.Time) {
	if e.err == nil {
		e.check(e.enc.EncodeTime(t))
	}
}

// Duration writes a time.Duration as an integer count of nanoseconds.
func (e *Encoder) Duration(d time.Duration) { e.Int(int64(d)) }

// ArrayLen writes an array header for n elements.
func (e *Encoder) ArrayLen(n int) {
	if e.err == nil {
		e.check(e.enc.EncodeArrayLen(n))
	}
}

// MapLen writes a map header for n entries.
func (e *Encoder) MapLen(n int) {
	if e.err == nil {
		e.check(e.enc.EncodeMapLen(n))
	}
}

// RawString writes s as it is, without any msgpack framing. It is used for
// named string types, which are stored as their raw bytes for interop.
func (e *Encoder) RawString(s string) {
	if e.err == nil {
		e.buf.b = append(e.buf.b, s...)
	}
}

// BeginStruct starts a struct, written as a msgpack map. Each field is
// started with Field or FieldKeep and followed by exactly one value;
// EndStruct closes it. A field written with Field whose value encodes as a
// zero value (nil, false, 0, 0.0, "", empty bin, empty array or map) is left
// out, so adding a field never changes the encoding of values that leave it
// at zero. Generated code writes fields sorted by name.
func (e *Encoder) BeginStruct() {
	if e.err != nil {
		return
	}
	e.frames = append(e.frames, frame{header: len(e.buf.b), keyStart: -1})
	e.buf.b = append(e.buf.b, 0, 0, 0) // room for a map16 header
}

// Field starts the struct field name; it is dropped if its value is zero.
func (e *Encoder) Field(name string) { e.field(name, false) }

// FieldKeep starts the struct field name and keeps it whatever its value.
// Generated code uses it for non-nil pointers, whose pointee may be zero.
func (e *Encoder) FieldKeep(name string) { e.field(name, true) }

// FieldArray starts the struct field name holding a fixed-size array; it is
// dropped when every element encodes as a zero value, as a zero array is.
// (Field would keep it: a slice of zeros is not a zero value.)
func (e *Encoder) FieldArray(name string) {
	e.field(name, false)
	if e.err == nil {
		e.frames[len(e.frames)-1].array = true
	}
}

func (e *Encoder) field(name string, keep bool) {
	if e.err != nil {
		return
	}
	if len(e.frames) == 0 {
		e.Fail(errors.New("setgen: Field outside a struct"))
		return
	}
	f := &e.frames[len(e.frames)-1]
	e.closeField(f)
	f.keyStart = len(e.buf.b)
	f.keep = keep
	f.array = false
	e.check(e.enc.EncodeString(name))
	f.valStart = len(e.buf.b)
}

func (e *Encoder) closeField(f *frame) {
	if f.keyStart < 0 {
		return
	}
	if v := e.buf.b[f.valStart:]; !f.keep && (isZeroEncoding(v) || f.array && isZeroArray(v)) {
		e.buf.b = e.buf.b[:f.keyStart]
	} else {
		f.count++
	}
	f.keyStart = -1
}

// EndStruct closes the struct started by the matching BeginStruct.
func (e *Encoder) EndStruct() {
	if e.err != nil {
		return
	}
	if len(e.frames) == 0 {
		e.Fail(errors.New("setgen: EndStruct without BeginStruct"))
		return
	}
	f := e.frames[len(e.frames)-1]
	e.frames = e.frames[:len(e.frames)-1]
	e.closeField(&f)
	b := e.buf.b
	switch {
	case f.count < 16:
		b[f.header] = msgpcode.FixedMapLow | byte(f.count)
		copy(b[f.header+1:], b[f.header+3:])
		e.buf.b = b[:len(b)-2]
	case f.count <= math.MaxUint16:
		b[f.header] = msgpcode.Map16
		b[f.header+1] = byte(f.count >> 8)
		b[f.header+2] = byte(f.count)
	default:
		e.Fail(fmt.Errorf("setgen: struct with %d fields", f.count))
	}
}

// isZeroEncoding reports whether b is the encoding of a zero value.
func isZeroEncoding(b []byte) bool {
	switch len(b) {
	case 1:
		switch b[0] {
		case msgpcode.Nil, msgpcode.False, msgpcode.FixedMapLow, msgpcode.FixedArrayLow, msgpcode.FixedStrLow, 0:
			return true
		}
	case 2:
		return b[0] == msgpcode.Bin8 && b[1] == 0
	case 5:
		return b[0] == msgpcode.Float && b[1]|b[2]|b[3]|b[4] == 0
	case 9:
		return b[0] == msgpcode.Double && b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7]|b[8] == 0
	}
	return false
}

// isZeroArray reports whether b is an array whose elements are each a zero
// encoding. Nested non-empty arrays do not count: the encoder cannot tell a
// zero array from a slice of zeros (generated code checks comparable arrays
// with ==, so FieldArray only serves arrays of slices, maps and such).
func isZeroArray(b []byte) bool {
	var count, i int
	switch {
	case len(b) == 0:
		return false
	case b[0]&0xf0 == msgpcode.FixedArrayLow:
		count, i = int(b[0]&0x0f), 1
	case b[0] == msgpcode.Array16 && len(b) >= 3:
		count, i = int(b[1])<<8|int(b[2]), 3
	default:
		return false
	}
next:
	for range count {
		for _, l := range [...]int{1, 2, 5, 9} {
			if i+l <= len(b) && isZeroEncoding(b[i:i+l]) {
				i += l
				continue next
			}
		}
		return false
	}
	return i == len(b)
}

// EncodeMap writes m with its keys in ascending order, so equal maps give
// identical bytes whatever Go's iteration order.
func EncodeMap[K cmp.Ordered, V any](e *Encoder, m map[K]V, ek func(*Encoder, K), ev func(*Encoder, V)) {
	if e.err != nil {
		return
	}
	// Entries are collected once (no second lookup per key) and, for small
	// maps (the common case), sorted on the stack: no allocation on the
	// Add/Contains hot path.
	type entry struct {
		k K
		v V
	}
	var small [8]entry
	entries := small[:0]
	if len(m) > len(small) {
		entries = make([]entry, 0, len(m))
	}
	for k, v := range m {
		entries = append(entries, entry{k, v})
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.k, b.k) })
	e.MapLen(len(entries))
	for _, en := range entries {
		ek(e, en.k)
		ev(e, en.v)
	}
}

// EncodeMapFunc writes m with its entries ordered by the bytes of their
// encoded keys; it serves key types that are not ordered (structs, arrays,
// bools, pointers' pointees).
func EncodeMapFunc[K comparable, V any](e *Encoder, m map[K]V, ek func(*Encoder, K), ev func(*Encoder, V)) {
	if e.err != nil {
		return
	}
	type entry struct {
		enc string
		key K
	}
	entries := make([]entry, 0, len(m))
	ke := getEncoder()
	for k := range m {
		ke.Reset()
		ek(ke, k)
		if ke.err != nil {
			e.Fail(ke.err)
			putEncoder(ke)
			return
		}
		entries = append(entries, entry{string(ke.Bytes()), k})
	}
	putEncoder(ke)
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.enc, b.enc) })
	e.MapLen(len(entries))
	for _, en := range entries {
		e.RawString(en.enc)
		ev(e, m[en.key])
	}
}

// EncodeSlice writes s as an array (nil and empty alike).
func EncodeSlice[V any](e *Encoder, s []V, ev func(*Encoder, V)) {
	e.ArrayLen(len(s))
	for _, v := range s {
		if e.err != nil {
			return
		}
		ev(e, v)
	}
}

// Decoder reads what an Encoder wrote, strictly: a value of the wrong kind,
// an integer out of its Go type's range, an unknown struct field or trailing
// bytes are errors, so a member of another type is reported, not
// misread. Errors are sticky; after the first one reads return zero values.
type Decoder struct {
	r     strings.Reader
	dec   *msgpack.Decoder
	raw   string
	err   error
	depth int // structs open (see BeginStruct)
}

// NewDecoder returns a Decoder reading data.
func NewDecoder(data string) *Decoder {
	d := &Decoder{dec: msgpack.NewDecoder(nil)}
	d.Reset(data)
	return d
}

var decoderPool = sync.Pool{New: func() any { return NewDecoder("") }}

// Reset makes d read data from the start.
func (d *Decoder) Reset(data string) {
	d.raw = data
	d.err = nil
	d.depth = 0
	d.r.Reset(data)
	d.dec.Reset(&d.r)
}

// Err returns the first error met, if any.
func (d *Decoder) Err() error { return d.err }

// Fail records err (the first one wins).
func (d *Decoder) Fail(err error) {
	if d.err == nil && err != nil {
		d.err = err
	}
}

// Remaining returns how many input bytes are unread.
func (d *Decoder) Remaining() int { return d.r.Len() }

// RawString consumes and returns the whole input (named string types).
func (d *Decoder) RawString() string {
	if d.err != nil {
		return ""
	}
	s := d.raw[len(d.raw)-d.r.Len():]
	d.r.Reset("")
	return s
}

// Nil consumes a nil and reports true if the next value is nil; otherwise it
// consumes nothing and reports false.
func (d *Decoder) Nil() bool {
	if d.err != nil {
		return false
	}
	c, err := d.dec.PeekCode()
	if err != nil {
		d.Fail(err)
		return false
	}
	if c != msgpcode.Nil {
		return false
	}
	d.Fail(d.dec.DecodeNil())
	return true
}

// Bool reads a boolean.
func (d *Decoder) Bool() bool {
	if d.err != nil {
		return false
	}
	c, err := d.dec.PeekCode()
	if err == nil && c != msgpcode.True && c != msgpcode.False {
		d.Fail(fmt.Errorf("want a boolean, found code 0x%02x", c))
		return false
	}
	v, err := d.dec.DecodeBool()
	d.Fail(err)
	return v
}

// Int reads a signed integer that must fit in bits (8, 16, 32 or 64).
func (d *Decoder) Int(bits int) int64 {
	if d.err != nil {
		return 0
	}
	if !d.isInt() {
		return 0
	}
	c, _ := d.dec.PeekCode()
	var v int64
	if c == msgpcode.Uint64 {
		u, err := d.dec.DecodeUint64()
		if err == nil && u > math.MaxInt64 {
			err = fmt.Errorf("integer %d overflows int%d", u, bits)
		}
		d.Fail(err)
		v = int64(u)
	} else {
		var err error
		v, err = d.dec.DecodeInt64()
		d.Fail(err)
	}
	if bits < 64 && (v < -(1<<(bits-1)) || v >= 1<<(bits-1)) {
		d.Fail(fmt.Errorf("integer %d overflows int%d", v, bits))
		return 0
	}
	return v
}

// Uint reads an unsigned integer that must fit in bits.
func (d *Decoder) Uint(bits int) uint64 {
	if d.err != nil || !d.isInt() {
		return 0
	}
	c, _ := d.dec.PeekCode()
	var v uint64
	switch {
	case msgpcode.IsFixedNum(c) && int8(c) < 0, c == msgpcode.Int8, c == msgpcode.Int16, c == msgpcode.Int32, c == msgpcode.Int64:
		n, err := d.dec.DecodeInt64()
		if err == nil && n < 0 {
			err = fmt.Errorf("negative integer %d for uint%d", n, bits)
		}
		d.Fail(err)
		v = uint64(n)
	default:
		var err error
		v, err = d.dec.DecodeUint64()
		d.Fail(err)
	}
	if d.err != nil {
		return 0
	}
	if bits < 64 && v >= 1<<bits {
		d.Fail(fmt.Errorf("integer %d overflows uint%d", v, bits))
		return 0
	}
	return v
}

func (d *Decoder) isInt() bool {
	c, err := d.dec.PeekCode()
	if err != nil {
		d.Fail(err)
		return false
	}
	if msgpcode.IsFixedNum(c) {
		return true
	}
	switch c {
	case msgpcode.Uint8, msgpcode.Uint16, msgpcode.Uint32, msgpcode.Uint64,
		msgpcode.Int8, msgpcode.Int16, msgpcode.Int32, msgpcode.Int64:
		return true
	}
	d.Fail(fmt.Errorf("want an integer, found code 0x%02x", c))
	return false
}

// Float32 reads a float (float32 precision).
func (d *Decoder) Float32() float32 {
	if d.err != nil {
		return 0
	}
	c, err := d.dec.PeekCode()
	if err == nil && c != msgpcode.Float && c != msgpcode.Double {
		d.Fail(fmt.Errorf("want a float, found code 0x%02x", c))
		return 0
	}
	v, err := d.dec.DecodeFloat32()
	d.Fail(err)
	return v
}

// Float64 reads a float.
func (d *Decoder) Float64() float64 {
	if d.err != nil {
		return 0
	}
	c, err := d.dec.PeekCode()
	if err == nil && c != msgpcode.Float && c != msgpcode.Double {
		d.Fail(fmt.Errorf("want a float, found code 0x%02x", c))
		return 0
	}
	v, err := d.dec.DecodeFloat64()
	d.Fail(err)
	return v
}

// String reads a string.
func (d *Decoder) String() string {
	if d.err != nil {
		return ""
	}
	c, err := d.dec.PeekCode()
	if err == nil && !msgpcode.IsString(c) {
		d.Fail(fmt.Errorf("want a string, found code 0x%02x", c))
		return ""
	}
	if err == nil && !d.payloadFits(c) {
		return ""
	}
	v, err := d.dec.DecodeString()
	d.Fail(err)
	return v
}

// BytesValue reads a msgpack bin (or str) as a byte slice.
func (d *Decoder) BytesValue() []byte {
	if d.err != nil {
		return nil
	}
	if n := d.peekLen(); d.err != nil || n < 0 {
		return nil
	}
	v, err := d.dec.DecodeBytes()
	d.Fail(err)
	return v
}

// peekLen checks that the next value is a bin or str whose announced
// length fits in the input left, without consuming it.
func (d *Decoder) peekLen() int {
	c, err := d.dec.PeekCode()
	if err != nil {
		d.Fail(err)
		return -1
	}
	if !msgpcode.IsBin(c) && !msgpcode.IsString(c) {
		d.Fail(fmt.Errorf("want bytes, found code 0x%02x", c))
		return -1
	}
	if !d.payloadFits(c) {
		return -1
	}
	return 0
}

// payloadFits checks that the str, bin or ext value about to be read (code
// c, not consumed yet) fits in the input left. msgpack allocates what a
// header announces (DecodeBytes all of it at once, the others 1 MB more per
// read into a buffer the pooled decoder keeps), so without this check a
// 5-byte member announcing 4 GB allocates gigabytes.
func (d *Decoder) payloadFits(c byte) bool {
	rest := d.raw[len(d.raw)-d.r.Len():]
	n, hdr := 0, 1
	switch c {
	case msgpcode.Str8, msgpcode.Bin8, msgpcode.Ext8:
		hdr = 2
	case msgpcode.Str16, msgpcode.Bin16, msgpcode.Ext16:
		hdr = 3
	case msgpcode.Str32, msgpcode.Bin32, msgpcode.Ext32:
		hdr = 5
	case msgpcode.FixExt1, msgpcode.FixExt2, msgpcode.FixExt4, msgpcode.FixExt8, msgpcode.FixExt16:
		n = 1 << (c - msgpcode.FixExt1)
	default:
		if !msgpcode.IsFixedString(c) {
			return true // no payload
		}
		n = int(c & msgpcode.FixedStrMask)
	}
	if len(rest) < hdr {
		d.Fail(fmt.Errorf("truncated length header"))
		return false
	}
	for i := 1; i < hdr; i++ {
		n = n<<8 | int(rest[i])
	}
	if msgpcode.IsExt(c) {
		n++ // the type byte
	}
	if n > len(rest)-hdr {
		d.Fail(fmt.Errorf("length %d exceeds the %d bytes left", n, len(rest)-hdr))
		return false
	}
	return true
}

// Time reads a timestamp (nil is the zero time). The result is in UTC.
func (d *Decoder) Time() time.Time {
	if d.err != nil || d.Nil() {
		return time.Time{}
	}
	c, err := d.dec.PeekCode()
	if err == nil && !msgpcode.IsExt(c) {
		d.Fail(fmt.Errorf("want a timestamp, found code 0x%02x", c))
		return time.Time{}
	}
	v, err := d.dec.DecodeTime()
	d.Fail(err)
	if d.err != nil {
		return time.Time{}
	}
	return v.UTC()
}

// Duration reads a time.Duration written by Encoder.Duration.
func (d *Decoder) Duration() time.Duration { return time.Duration(d.Int(64)) }

// ArrayLen reads an array header (nil counts as empty). A length larger
// than the input left is an error, so garbage cannot force huge allocations.
func (d *Decoder) ArrayLen() int {
	if d.err != nil {
		return 0
	}
	n, err := d.dec.DecodeArrayLen()
	return d.checkLen(n, err)
}

// MapLen reads a map header (nil counts as empty), checked like ArrayLen.
func (d *Decoder) MapLen() int {
	if d.err != nil {
		return 0
	}
	n, err := d.dec.DecodeMapLen()
	return d.checkLen(n, err)
}

func (d *Decoder) checkLen(n int, err error) int {
	if err != nil {
		d.Fail(err)
		return 0
	}
	if n < 0 {
		return 0
	}
	if n > d.r.Len() {
		d.Fail(fmt.Errorf("length %d exceeds the %d bytes left", n, d.r.Len()))
		return 0
	}
	return n
}

// MaxDepth bounds how deeply structs may nest in a stored member, so a
// hostile member cannot exhaust the stack of a recursive type's decoder.
const MaxDepth = 1000

// BeginStruct reads a struct's map header and returns its field count.
// Every BeginStruct is matched by an EndStruct.
func (d *Decoder) BeginStruct() int {
	d.depth++
	if d.depth > MaxDepth {
		d.Fail(fmt.Errorf("structs nested deeper than %d", MaxDepth))
		return 0
	}
	return d.MapLen()
}

// EndStruct closes the struct opened by BeginStruct.
func (d *Decoder) EndStruct() { d.depth-- }

// FieldName reads the next field name.
func (d *Decoder) FieldName() string { return d.String() }

// UnknownField records that the struct has no field named name.
func (d *Decoder) UnknownField(typ, name string) {
	d.Fail(fmt.Errorf("%s has no field %q", typ, name))
}

// Skip consumes one value of any kind. It walks nested arrays and maps
// iteratively (msgpack's own Skip recurses once per level, so a deeply
// nested member would overflow the stack and crash the process).
func (d *Decoder) Skip() {
	for pending := 1; pending > 0 && d.err == nil; pending-- {
		c, err := d.dec.PeekCode()
		if err != nil {
			d.Fail(err)
			return
		}
		switch {
		case msgpcode.IsFixedArray(c), c == msgpcode.Array16, c == msgpcode.Array32:
			pending += d.ArrayLen() // bounded by the input left
		case msgpcode.IsFixedMap(c), c == msgpcode.Map16, c == msgpcode.Map32:
			pending += 2 * d.MapLen()
		default:
			if d.payloadFits(c) {
				d.Fail(d.dec.Skip()) // a scalar, string, bin or ext: no recursion
			}
		}
	}
}

// DecodeMap reads a map written by EncodeMap or EncodeMapFunc into *m.
func DecodeMap[K comparable, V any](d *Decoder, m *map[K]V, dk func(*Decoder) K, dv func(*Decoder) V) {
	if d.err != nil {
		return
	}
	if d.Nil() {
		*m = nil
		return
	}
	n := d.MapLen()
	if d.err != nil {
		return
	}
	out := make(map[K]V, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := dk(d)
		out[k] = dv(d)
	}
	*m = out
}

// DecodeSlice reads an array written by EncodeSlice into *s.
func DecodeSlice[V any](d *Decoder, s *[]V, dv func(*Decoder) V) {
	if d.err != nil {
		return
	}
	if d.Nil() {
		*s = nil
		return
	}
	n := d.ArrayLen()
	if d.err != nil {
		return
	}
	out := make([]V, n)
	for i := 0; i < n && d.err == nil; i++ {
		out[i] = dv(d)
	}
	*s = out
}

// Marshal encodes v with c; it is what the set core does for every member.
func Marshal[T any](c Codec[T], v *T) (string, error) {
	e := getEncoder()
	defer putEncoder(e)
	c.EncodeMember(e, v)
	if e.err != nil {
		return "", fmt.Errorf("%w: %w", ErrEncode, e.err)
	}
	return string(e.buf.b), nil
}

// Unmarshal decodes one stored member with c. Trailing bytes are an error.
func Unmarshal[T any](c Codec[T], data string, v *T) error {
	d := decoderPool.Get().(*Decoder)
	defer decoderPool.Put(d)
	d.Reset(data)
	c.DecodeMember(d, v)
	if d.err == nil && d.r.Len() > 0 {
		d.Fail(fmt.Errorf("%d trailing bytes", d.r.Len()))
	}
	err := d.err
	d.Reset("")
	return err
}

// IntSize is the size in bits of int and uint, which generated decoders
// check values against.
const IntSize = strconv.IntSize

// ArrayLenExact reads an array header and reports whether it announces
// exactly n elements (a fixed-size Go array); otherwise it records an error.
func (d *Decoder) ArrayLenExact(n int) bool {
	got := d.ArrayLen()
	if d.err != nil {
		return false
	}
	if got != n {
		d.Fail(fmt.Errorf("array of %d elements, want %d", got, n))
		return false
	}
	return true
}
