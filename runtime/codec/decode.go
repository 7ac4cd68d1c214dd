package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"
	"unsafe"
)

// Reader reads canonical MessagePack strictly (see the package
// documentation): anything but the one encoding of a value is a
// *SyntaxError. Generated decoders keep one on the stack per member. A
// Reader must not be copied once used: the strings it returned share
// memory that a copy would write to.
type Reader struct {
	b     []byte
	i     int
	depth int
	// strs backs the strings decoded so far: one allocation, sized for
	// every string the rest of the input can hold, instead of one per
	// string. A decoded value's strings share it, so it lives as long as
	// any of them; it is never written below its length.
	strs []byte
}

// NewReader returns a Reader of src.
func NewReader(src []byte) Reader { return Reader{b: src} }

// Reset makes r read src from its start.
func (r *Reader) Reset(src []byte) { r.b, r.i, r.depth, r.strs = src, 0, 0, nil }

// Pos returns the offset of the next byte to read.
func (r *Reader) Pos() int { return r.i }

// Since returns the bytes read since offset start (from Pos).
func (r *Reader) Since(start int) []byte { return r.b[start:r.i] }

// Len returns the number of bytes left.
func (r *Reader) Len() int { return len(r.b) - r.i }

// Errorf returns a *SyntaxError at the current offset.
func (r *Reader) Errorf(format string, args ...any) error {
	return &SyntaxError{Offset: r.i, Msg: fmt.Sprintf(format, args...)}
}

func (r *Reader) errAt(at int, msg string) error { return &SyntaxError{Offset: at, Msg: msg} }

func (r *Reader) eof(what string) error {
	return &SyntaxError{Offset: len(r.b), Msg: "unexpected end of input, want " + what}
}

func (r *Reader) want(what string) error {
	return &SyntaxError{Offset: r.i, Msg: fmt.Sprintf("want %s, found %s", what, describe(r.b[r.i]))}
}

// Done reports trailing bytes as an error.
func (r *Reader) Done() error {
	if r.i != len(r.b) {
		return r.trailing()
	}
	return nil
}

//go:noinline
func (r *Reader) trailing() error { return r.Errorf("%d trailing bytes", len(r.b)-r.i) }

// Enter opens a struct level; every Enter is matched by Leave. More than
// MaxDepth levels is an error.
func (r *Reader) Enter() error {
	r.depth++
	if r.depth > MaxDepth {
		return r.tooDeep()
	}
	return nil
}

//go:noinline
func (r *Reader) tooDeep() error { return r.Errorf("structs nested deeper than %d", MaxDepth) }

// Leave closes a level opened by Enter.
func (r *Reader) Leave() { r.depth-- }

// Nil consumes a nil and reports true when the next value is nil;
// otherwise it consumes nothing.
func (r *Reader) Nil() bool {
	if r.i < len(r.b) && r.b[r.i] == cNil {
		r.i++
		return true
	}
	return false
}

// Bool reads a boolean.
func (r *Reader) Bool() (bool, error) {
	if r.i >= len(r.b) {
		return false, r.eof("a boolean")
	}
	switch r.b[r.i] {
	case cTrue:
		r.i++
		return true, nil
	case cFalse:
		r.i++
		return false, nil
	}
	return false, r.want("a boolean")
}

// Int64 reads a signed integer in its shortest form.
func (r *Reader) Int64() (int64, error) {
	if i := r.i; i < len(r.b) && (r.b[i] <= 0x7f || r.b[i] >= 0xe0) { // fixint: the common, inlined case
		r.i = i + 1
		return int64(int8(r.b[i])), nil
	}
	return r.int64Slow()
}

//go:noinline
func (r *Reader) int64Slow() (int64, error) {
	if r.i >= len(r.b) {
		return 0, r.eof("an integer")
	}
	c := r.b[r.i]
	if c <= 0x7f || c >= 0xe0 {
		r.i++
		return int64(int8(c)), nil
	}
	start := r.i
	switch c {
	case cUint8, cUint16, cUint32, cUint64:
		u, err := r.Uint64()
		if err != nil {
			return 0, err
		}
		if u > math.MaxInt64 {
			r.i = start
			return 0, r.Errorf("integer %d overflows int64", u)
		}
		return int64(u), nil
	case cInt8:
		if r.Len() < 2 {
			return 0, r.eof("an int 8")
		}
		v := int64(int8(r.b[r.i+1]))
		if v >= -32 {
			return 0, r.errAt(start, "integer "+strconv.FormatInt(v, 10)+" not in its shortest form")
		}
		r.i += 2
		return v, nil
	case cInt16:
		if r.Len() < 3 {
			return 0, r.eof("an int 16")
		}
		v := int64(int16(binary.BigEndian.Uint16(r.b[r.i+1:])))
		if v >= math.MinInt8 {
			return 0, r.errAt(start, "integer "+strconv.FormatInt(v, 10)+" not in its shortest form")
		}
		r.i += 3
		return v, nil
	case cInt32:
		if r.Len() < 5 {
			return 0, r.eof("an int 32")
		}
		v := int64(int32(binary.BigEndian.Uint32(r.b[r.i+1:])))
		if v >= math.MinInt16 {
			return 0, r.errAt(start, "integer "+strconv.FormatInt(v, 10)+" not in its shortest form")
		}
		r.i += 5
		return v, nil
	case cInt64:
		if r.Len() < 9 {
			return 0, r.eof("an int 64")
		}
		v := int64(binary.BigEndian.Uint64(r.b[r.i+1:]))
		if v >= math.MinInt32 {
			return 0, r.errAt(start, "integer "+strconv.FormatInt(v, 10)+" not in its shortest form")
		}
		r.i += 9
		return v, nil
	}
	return 0, r.want("an integer")
}

// Uint64 reads an unsigned integer in its shortest form.
func (r *Reader) Uint64() (uint64, error) {
	if r.i >= len(r.b) {
		return 0, r.eof("an integer")
	}
	c := r.b[r.i]
	if c <= 0x7f {
		r.i++
		return uint64(c), nil
	}
	start := r.i
	var v, min uint64
	var n int
	switch c {
	case cUint8:
		n, min = 1, math.MaxInt8+1
	case cUint16:
		n, min = 2, math.MaxUint8+1
	case cUint32:
		n, min = 4, math.MaxUint16+1
	case cUint64:
		n, min = 8, math.MaxUint32+1
	default:
		if c >= 0xe0 || c == cInt8 || c == cInt16 || c == cInt32 || c == cInt64 {
			if v, err := r.Int64(); err == nil {
				r.i = start
				return 0, r.Errorf("negative integer %d for an unsigned type", v)
			}
		}
		return 0, r.want("an integer")
	}
	if r.Len() < n+1 {
		return 0, r.eof("an integer")
	}
	for _, x := range r.b[r.i+1 : r.i+1+n] {
		v = v<<8 | uint64(x)
	}
	if v < min {
		return 0, r.errAt(start, "integer "+strconv.FormatUint(v, 10)+" not in its shortest form")
	}
	r.i += n + 1
	return v, nil
}

// Int reads a signed integer that fits in bits (8, 16, 32 or 64).
func (r *Reader) Int(bits int) (int64, error) {
	if i := r.i; i < len(r.b) && (r.b[i] <= 0x7f || r.b[i] >= 0xe0) { // a fixint fits every width
		r.i = i + 1
		return int64(int8(r.b[i])), nil
	}
	return r.intSlow(bits)
}

//go:noinline
func (r *Reader) intSlow(bits int) (int64, error) {
	start := r.i
	v, err := r.Int64()
	if err == nil && bits < 64 && (v < -(1<<(bits-1)) || v >= 1<<(bits-1)) {
		r.i = start
		return 0, r.Errorf("integer %d overflows int%d", v, bits)
	}
	return v, err
}

// Uint reads an unsigned integer that fits in bits (8, 16, 32 or 64).
func (r *Reader) Uint(bits int) (uint64, error) {
	start := r.i
	v, err := r.Uint64()
	if err == nil && bits < 64 && v >= 1<<bits {
		r.i = start
		return 0, r.Errorf("integer %d overflows uint%d", v, bits)
	}
	return v, err
}

// Float32 reads a float 32 (never -0 nor a NaN other than the canonical one).
func (r *Reader) Float32() (float32, error) {
	if r.i >= len(r.b) {
		return 0, r.eof("a float 32")
	}
	if r.b[r.i] != cFloat32 {
		return 0, r.want("a float 32")
	}
	if r.Len() < 5 {
		return 0, r.eof("a float 32")
	}
	bits := binary.BigEndian.Uint32(r.b[r.i+1:])
	v := math.Float32frombits(bits)
	if (v == 0 && bits != 0) || (v != v && bits != nan32) {
		return 0, r.Errorf("non-canonical float 32 0x%08x (-0 or a NaN other than 0x%08x)", bits, nan32)
	}
	r.i += 5
	return v, nil
}

// Float64 reads a float 64 (never -0 nor a NaN other than the canonical one).
func (r *Reader) Float64() (float64, error) {
	if r.i >= len(r.b) {
		return 0, r.eof("a float 64")
	}
	if r.b[r.i] != cFloat64 {
		return 0, r.want("a float 64")
	}
	if r.Len() < 9 {
		return 0, r.eof("a float 64")
	}
	bits := binary.BigEndian.Uint64(r.b[r.i+1:])
	v := math.Float64frombits(bits)
	if (v == 0 && bits != 0) || (v != v && bits != nan64) {
		return 0, r.Errorf("non-canonical float 64 0x%016x (-0 or a NaN other than 0x%016x)", bits, uint64(nan64))
	}
	r.i += 9
	return v, nil
}

// StringBytes reads a str and returns its bytes without copying; they
// alias the input.
func (r *Reader) StringBytes() ([]byte, error) {
	if r.i < len(r.b) {
		if c := r.b[r.i]; c&0xe0 == cFixStr { // fixstr: the common, inlined case
			if j := r.i + 1 + int(c&0x1f); j <= len(r.b) {
				s := r.b[r.i+1 : j : j]
				r.i = j
				return s, nil
			}
		}
	}
	return r.stringSlow()
}

//go:noinline
func (r *Reader) stringSlow() ([]byte, error) {
	if r.i >= len(r.b) {
		return nil, r.eof("a string")
	}
	c := r.b[r.i]
	if c&0xe0 == cFixStr {
		n := int(c & 0x1f)
		if r.Len() < n+1 {
			return nil, r.Errorf("string of %d bytes exceeds the %d bytes left", n, r.Len()-1)
		}
		s := r.b[r.i+1 : r.i+1+n : r.i+1+n]
		r.i += n + 1
		return s, nil
	}
	var h, min int
	switch c {
	case cStr8:
		h, min = 1, 32
	case cStr16:
		h, min = 2, math.MaxUint8+1
	case cStr32:
		h, min = 4, math.MaxUint16+1
	default:
		return nil, r.want("a string")
	}
	return r.payload(h, min, "string")
}

// payload reads the length of h bytes after the current code and the
// payload it announces, checking the header is the shortest (min).
func (r *Reader) payload(h, min int, what string) ([]byte, error) {
	if r.Len() < h+1 {
		return nil, r.eof(what + " length")
	}
	n := 0
	for _, x := range r.b[r.i+1 : r.i+1+h] {
		n = n<<8 | int(x)
	}
	if n < min {
		return nil, r.Errorf("%s of %d bytes with a longer header than needed", what, n)
	}
	if n > r.Len()-1-h {
		return nil, r.Errorf("%s of %d bytes exceeds the %d bytes left", what, n, r.Len()-1-h)
	}
	start := r.i + 1 + h
	r.i = start + n
	return r.b[start:r.i:r.i], nil
}

// String reads a str. The strings of one input share one allocation.
func (r *Reader) String() (string, error) {
	b, err := r.StringBytes()
	if err != nil || len(b) == 0 {
		return "", err
	}
	if cap(r.strs)-len(r.strs) < len(b) {
		// Room for this string and any that the input left can hold.
		r.strs = make([]byte, 0, len(b)+len(r.b)-r.i)
	}
	start := len(r.strs)
	r.strs = append(r.strs, b...)
	return unsafe.String(&r.strs[start], len(b)), nil
}

// BinBytes reads a bin and returns its bytes without copying.
func (r *Reader) BinBytes() ([]byte, error) {
	if r.i >= len(r.b) {
		return nil, r.eof("bytes")
	}
	switch r.b[r.i] {
	case cBin8:
		return r.payload(1, 0, "bin")
	case cBin16:
		return r.payload(2, math.MaxUint8+1, "bin")
	case cBin32:
		return r.payload(4, math.MaxUint16+1, "bin")
	}
	return nil, r.want("bytes (bin)")
}

// Bytes reads a bin into a new slice (nil when empty).
func (r *Reader) Bytes() ([]byte, error) {
	b, err := r.BinBytes()
	if err != nil || len(b) == 0 {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// ByteArray reads a bin of exactly len(dst) bytes into dst.
func (r *Reader) ByteArray(dst []byte) error {
	start := r.i
	b, err := r.BinBytes()
	if err != nil {
		return err
	}
	if len(b) != len(dst) {
		r.i = start
		return r.Errorf("bin of %d bytes, want %d", len(b), len(dst))
	}
	copy(dst, b)
	return nil
}

// Time reads a timestamp; nil is the zero time, which is never written as
// a timestamp. The result is in UTC.
func (r *Reader) Time() (time.Time, error) {
	if r.Nil() {
		return time.Time{}, nil
	}
	start := r.i
	t, err := r.TimeValue()
	if err == nil && t.IsZero() {
		r.i = start
		return time.Time{}, r.Errorf("the zero time written as a timestamp (its canonical form is nil)")
	}
	return t, err
}

// TimeValue reads a timestamp, in the shortest of its three forms.
func (r *Reader) TimeValue() (time.Time, error) {
	if r.i >= len(r.b) {
		return time.Time{}, r.eof("a timestamp")
	}
	rest := r.b[r.i:]
	switch {
	case rest[0] == cFixExt4 && len(rest) >= 6 && rest[1] == timeExt:
		r.i += 6
		return time.Unix(int64(binary.BigEndian.Uint32(rest[2:])), 0).UTC(), nil
	case rest[0] == cFixExt8 && len(rest) >= 10 && rest[1] == timeExt:
		data := binary.BigEndian.Uint64(rest[2:])
		nsec, secs := data>>34, data&(1<<34-1)
		if nsec == 0 && secs>>32 == 0 {
			return time.Time{}, r.Errorf("timestamp 64 with no nanoseconds for an instant that fits timestamp 32")
		}
		if nsec > 999999999 {
			return time.Time{}, r.Errorf("timestamp with %d nanoseconds", nsec)
		}
		r.i += 10
		return time.Unix(int64(secs), int64(nsec)).UTC(), nil
	case rest[0] == cExt8 && len(rest) >= 15 && rest[1] == 12 && rest[2] == timeExt:
		nsec := binary.BigEndian.Uint32(rest[3:])
		secs := binary.BigEndian.Uint64(rest[7:])
		if secs>>34 == 0 {
			return time.Time{}, r.Errorf("timestamp 96 for an instant that fits a shorter form")
		}
		if nsec > 999999999 {
			return time.Time{}, r.Errorf("timestamp with %d nanoseconds", nsec)
		}
		r.i += 15
		return time.Unix(int64(secs), int64(nsec)).UTC(), nil
	}
	if describe(rest[0]) == "an extension" && len(rest) < 6 {
		return time.Time{}, r.eof("a timestamp")
	}
	return time.Time{}, r.want("a timestamp (extension -1)")
}

// ArrayHeader reads the header of an array and returns its length, which
// is at most the number of bytes left (each element takes at least one).
func (r *Reader) ArrayHeader() (int, error) {
	if r.i < len(r.b) {
		if c := r.b[r.i]; c&0xf0 == cFixArray {
			if n := int(c & 0x0f); n < len(r.b)-r.i {
				r.i++
				return n, nil
			}
		}
	}
	return r.arraySlow()
}

//go:noinline
func (r *Reader) arraySlow() (int, error) {
	if r.i >= len(r.b) {
		return 0, r.eof("an array")
	}
	c := r.b[r.i]
	if c&0xf0 == cFixArray {
		r.i++
		return r.bound(int(c&0x0f), 1, "array")
	}
	switch c {
	case cArray16:
		return r.header(2, 16, 1, "array")
	case cArray32:
		return r.header(4, math.MaxUint16+1, 1, "array")
	}
	return 0, r.want("an array")
}

// MapHeader reads the header of a map and returns its number of entries,
// which is at most half the number of bytes left.
func (r *Reader) MapHeader() (int, error) {
	if r.i < len(r.b) {
		if c := r.b[r.i]; c&0xf0 == cFixMap {
			if n := int(c & 0x0f); 2*n < len(r.b)-r.i {
				r.i++
				return n, nil
			}
		}
	}
	return r.mapSlow()
}

//go:noinline
func (r *Reader) mapSlow() (int, error) {
	if r.i >= len(r.b) {
		return 0, r.eof("a map")
	}
	c := r.b[r.i]
	if c&0xf0 == cFixMap {
		r.i++
		return r.bound(int(c&0x0f), 2, "map")
	}
	switch c {
	case cMap16:
		return r.header(2, 16, 2, "map")
	case cMap32:
		return r.header(4, math.MaxUint16+1, 2, "map")
	}
	return 0, r.want("a map")
}

func (r *Reader) header(h, min, per int, what string) (int, error) {
	if r.Len() < h+1 {
		return 0, r.eof(what + " length")
	}
	n := 0
	for _, x := range r.b[r.i+1 : r.i+1+h] {
		n = n<<8 | int(x)
	}
	if n < min {
		return 0, r.Errorf("%s of %d with a longer header than needed", what, n)
	}
	r.i += h + 1
	return r.bound(n, per, what)
}

func (r *Reader) bound(n, per int, what string) (int, error) {
	if n*per > r.Len() {
		return 0, r.Errorf("%s of %d exceeds the %d bytes left", what, n, r.Len())
	}
	return n, nil
}

// ArrayOf reads an array header that must announce exactly n elements (a
// fixed-size Go array).
func (r *Reader) ArrayOf(n int) error {
	start := r.i
	got, err := r.ArrayHeader()
	if err == nil && got != n {
		r.i = start
		return r.Errorf("array of %d elements, want %d", got, n)
	}
	return err
}

// Zero reports that a struct field was present at its zero value, which
// the canonical form leaves out.
func (r *Reader) Zero(start int) error {
	return r.errAt(start, "field present at its zero value (the canonical form leaves it out)")
}

// Unknown reports a struct field name that the type does not have, or one
// out of order (names must be ascending).
func (r *Reader) Unknown(start int, typ string, name []byte, seen bool) error {
	if seen {
		return r.errAt(start, fmt.Sprintf("%s field %q out of order or repeated (fields are in ascending order of name)", typ, name))
	}
	return r.errAt(start, fmt.Sprintf("%s has no field %q", typ, name))
}

// KeyOrder reports map keys out of ascending order (or repeated).
func (r *Reader) KeyOrder(start int) error {
	return r.errAt(start, "map key out of order or repeated (keys are in ascending order)")
}

// Decimal reads the whole input as the decimal text of a signed integer
// of bits bits, in its one canonical form: no sign for positive values, no
// leading zeros, no "-0", nothing else.
func Decimal(src []byte, bits int) (int64, error) {
	v, err := strconv.ParseInt(string(src), 10, bits)
	if err != nil || !canonicalDecimal(src) {
		return 0, &SyntaxError{Msg: fmt.Sprintf("%q is not the decimal text of an int%d", src, bits)}
	}
	return v, nil
}

// DecimalUint is Decimal for unsigned integer types.
func DecimalUint(src []byte, bits int) (uint64, error) {
	v, err := strconv.ParseUint(string(src), 10, bits)
	if err != nil || !canonicalDecimal(src) || src[0] == '-' {
		return 0, &SyntaxError{Msg: fmt.Sprintf("%q is not the decimal text of a uint%d", src, bits)}
	}
	return v, nil
}

func canonicalDecimal(s []byte) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
		if len(s) == 1 && s[0] == '0' {
			return false // -0
		}
	}
	if len(s) == 0 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// describe names the kind of value a type code starts.
func describe(c byte) string {
	switch {
	case c <= 0x7f || c >= 0xe0:
		return "an integer"
	case c&0xf0 == cFixMap, c == cMap16, c == cMap32:
		return "a map"
	case c&0xf0 == cFixArray, c == cArray16, c == cArray32:
		return "an array"
	case c&0xe0 == cFixStr, c == cStr8, c == cStr16, c == cStr32:
		return "a string"
	}
	switch c {
	case cNil:
		return "nil"
	case cFalse, cTrue:
		return "a boolean"
	case cBin8, cBin16, cBin32:
		return "bytes (bin)"
	case cFloat32:
		return "a float 32"
	case cFloat64:
		return "a float 64"
	case cUint8, cUint16, cUint32, cUint64, cInt8, cInt16, cInt32, cInt64:
		return "an integer"
	case 0xc1:
		return "the unused code 0xc1"
	}
	return "an extension"
}
