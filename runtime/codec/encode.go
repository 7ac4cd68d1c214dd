package codec

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// MessagePack type codes used by the canonical form.
const (
	cNil      = 0xc0
	cFalse    = 0xc2
	cTrue     = 0xc3
	cBin8     = 0xc4
	cBin16    = 0xc5
	cBin32    = 0xc6
	cExt8     = 0xc7
	cFloat32  = 0xca
	cFloat64  = 0xcb
	cUint8    = 0xcc
	cUint16   = 0xcd
	cUint32   = 0xce
	cUint64   = 0xcf
	cInt8     = 0xd0
	cInt16    = 0xd1
	cInt32    = 0xd2
	cInt64    = 0xd3
	cFixExt4  = 0xd6
	cFixExt8  = 0xd7
	cStr8     = 0xd9
	cStr16    = 0xda
	cStr32    = 0xdb
	cArray16  = 0xdc
	cArray32  = 0xdd
	cMap16    = 0xde
	cMap32    = 0xdf
	cFixMap   = 0x80
	cFixArray = 0x90
	cFixStr   = 0xa0

	timeExt = 0xff // the timestamp extension type, -1
)

// Canonical NaNs: every NaN is written as one of these bit patterns.
const (
	nan32 = 0x7fc00000
	nan64 = 0x7ff8000000000001
)

// AppendNil appends nil.
func AppendNil(b []byte) []byte { return append(b, cNil) }

// AppendBool appends a boolean.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, cTrue)
	}
	return append(b, cFalse)
}

// AppendInt appends v in its shortest form.
func AppendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return AppendUint(b, uint64(v))
	}
	switch {
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, cInt8, byte(v))
	case v >= math.MinInt16:
		return append(b, cInt16, byte(v>>8), byte(v))
	case v >= math.MinInt32:
		return append(b, cInt32, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return binary.BigEndian.AppendUint64(append(b, cInt64), uint64(v))
}

// AppendUint appends v in its shortest form.
func AppendUint(b []byte, v uint64) []byte {
	switch {
	case v <= math.MaxInt8:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, cUint8, byte(v))
	case v <= math.MaxUint16:
		return append(b, cUint16, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(b, cUint32, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return binary.BigEndian.AppendUint64(append(b, cUint64), v)
}

// AppendFloat32 appends v as a float 32; -0 is written as 0 and every NaN
// as one NaN.
func AppendFloat32(b []byte, v float32) []byte {
	bits := math.Float32bits(v)
	switch {
	case v == 0:
		bits = 0
	case v != v:
		bits = nan32
	}
	return binary.BigEndian.AppendUint32(append(b, cFloat32), bits)
}

// AppendFloat64 appends v as a float 64; -0 is written as 0 and every NaN
// as one NaN.
func AppendFloat64(b []byte, v float64) []byte {
	bits := math.Float64bits(v)
	switch {
	case v == 0:
		bits = 0
	case v != v:
		bits = nan64
	}
	return binary.BigEndian.AppendUint64(append(b, cFloat64), bits)
}

// AppendString appends s as a str.
func AppendString(b []byte, s string) []byte {
	return append(AppendStringHeader(b, len(s)), s...)
}

// AppendStringHeader appends the shortest str header for n bytes.
func AppendStringHeader(b []byte, n int) []byte {
	switch {
	case n < 32:
		return append(b, cFixStr|byte(n))
	case n <= math.MaxUint8:
		return append(b, cStr8, byte(n))
	case n <= math.MaxUint16:
		return append(b, cStr16, byte(n>>8), byte(n))
	}
	return append(b, cStr32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// AppendBytes appends p as a bin (nil and empty alike).
func AppendBytes(b []byte, p []byte) []byte {
	return append(AppendBinHeader(b, len(p)), p...)
}

// AppendBinHeader appends the shortest bin header for n bytes.
func AppendBinHeader(b []byte, n int) []byte {
	switch {
	case n <= math.MaxUint8:
		return append(b, cBin8, byte(n))
	case n <= math.MaxUint16:
		return append(b, cBin16, byte(n>>8), byte(n))
	}
	return append(b, cBin32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// AppendArrayHeader appends the shortest array header for n elements.
func AppendArrayHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, cFixArray|byte(n))
	case n <= math.MaxUint16:
		return append(b, cArray16, byte(n>>8), byte(n))
	}
	return append(b, cArray32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// AppendMapHeader appends the shortest map header for n entries.
func AppendMapHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, cFixMap|byte(n))
	case n <= math.MaxUint16:
		return append(b, cMap16, byte(n>>8), byte(n))
	}
	return append(b, cMap32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// AppendTime appends the instant t as the timestamp extension, or nil for
// the zero time. The zone and the monotonic reading do not matter.
func AppendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, cNil)
	}
	return AppendTimeValue(b, t)
}

// AppendTimeValue appends t as the timestamp extension, the zero time
// included (generated code uses it behind pointers, where nil means nil).
func AppendTimeValue(b []byte, t time.Time) []byte {
	secs := uint64(t.Unix())
	nsec := uint64(t.Nanosecond())
	if secs>>34 == 0 {
		data := nsec<<34 | secs
		if data>>32 == 0 {
			return binary.BigEndian.AppendUint32(append(b, cFixExt4, timeExt), uint32(data))
		}
		return binary.BigEndian.AppendUint64(append(b, cFixExt8, timeExt), data)
	}
	b = binary.BigEndian.AppendUint32(append(b, cExt8, 12, timeExt), uint32(nsec))
	return binary.BigEndian.AppendUint64(b, secs)
}

// AppendDecimal appends v as decimal text, without any framing: the stored
// form of a set whose element type is a named integer type.
func AppendDecimal(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// AppendDecimalUint is AppendDecimal for unsigned integer types.
func AppendDecimalUint(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }

// BeginBin reserves a bin8 header at the end of b, for a payload appended
// next by an encoding.BinaryAppender or the like; EndBin fixes the header
// once the payload's length is known. It returns b and the header's
// position.
func BeginBin(b []byte) ([]byte, int) { return append(b, cBin8, 0), len(b) }

// EndBin rewrites the header that BeginBin reserved at h to the shortest
// one for the payload that follows it, moving the payload if needed.
func EndBin(b []byte, h int) []byte {
	n := len(b) - h - 2
	switch {
	case n <= math.MaxUint8:
		b[h+1] = byte(n)
		return b
	case n <= math.MaxUint16:
		b = append(b, 0)
		copy(b[h+3:], b[h+2:len(b)-1])
		b[h], b[h+1], b[h+2] = cBin16, byte(n>>8), byte(n)
		return b
	}
	b = append(b, 0, 0, 0)
	copy(b[h+5:], b[h+2:len(b)-3])
	b[h], b[h+1], b[h+2], b[h+3], b[h+4] = cBin32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}

// BeginStr reserves a str8 header; EndStr fixes it (see BeginBin).
func BeginStr(b []byte) ([]byte, int) { return append(b, cStr8, 0), len(b) }

// EndStr rewrites the header that BeginStr reserved at h to the shortest
// one for the payload that follows it, moving the payload if needed.
func EndStr(b []byte, h int) []byte {
	n := len(b) - h - 2
	switch {
	case n < 32:
		b[h] = cFixStr | byte(n)
		copy(b[h+1:], b[h+2:])
		return b[:len(b)-1]
	case n <= math.MaxUint8:
		b[h+1] = byte(n)
		return b
	case n <= math.MaxUint16:
		b = append(b, 0)
		copy(b[h+3:], b[h+2:len(b)-1])
		b[h], b[h+1], b[h+2] = cStr16, byte(n>>8), byte(n)
		return b
	}
	b = append(b, 0, 0, 0)
	copy(b[h+5:], b[h+2:len(b)-3])
	b[h], b[h+1], b[h+2], b[h+3], b[h+4] = cStr32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}

// BeginStruct reserves the map header of a struct with at most maxFields
// fields at the end of b; EndStruct writes it once the number of fields
// kept is known. It returns b and the header's position.
func BeginStruct(b []byte, maxFields int) ([]byte, int) {
	if maxFields < 16 {
		return append(b, cFixMap), len(b)
	}
	return append(b, cMap16, 0, 0), len(b)
}

// EndStruct writes the header reserved by BeginStruct at h for n fields.
func EndStruct(b []byte, h, n int) []byte {
	if b[h] == cFixMap {
		b[h] = cFixMap | byte(n)
		return b
	}
	if n < 16 {
		b[h] = cFixMap | byte(n)
		copy(b[h+1:], b[h+3:])
		return b[:len(b)-2]
	}
	b[h+1], b[h+2] = byte(n>>8), byte(n)
	return b
}

// IsZero reports whether enc is the encoding of a zero value: nil, false,
// 0, 0.0, "", an empty bin, an empty array or an empty map. A struct field
// whose value encodes so is left out.
func IsZero(enc []byte) bool {
	switch len(enc) {
	case 1:
		switch enc[0] {
		case cNil, cFalse, cFixMap, cFixArray, cFixStr, 0:
			return true
		}
	case 2:
		return enc[0] == cBin8 && enc[1] == 0
	case 5:
		return enc[0] == cFloat32 && enc[1]|enc[2]|enc[3]|enc[4] == 0
	case 9:
		return enc[0] == cFloat64 && enc[1]|enc[2]|enc[3]|enc[4]|enc[5]|enc[6]|enc[7]|enc[8] == 0
	}
	return false
}

// IsZeroArray reports whether enc is an array whose elements all have zero
// encodings (see IsZero), or are such arrays themselves; a fixed-size array
// field holding such a value is left out, as its Go zero value is.
func IsZeroArray(enc []byte) bool {
	n, ok := zeroArray(enc, 0)
	return ok && n == len(enc)
}

// zeroArray reports whether enc starts with an array of zero encodings
// (nested arrays included) and returns its length.
func zeroArray(enc []byte, depth int) (int, bool) {
	if depth > MaxDepth {
		return 0, false
	}
	var count, i int
	switch {
	case len(enc) == 0:
		return 0, false
	case enc[0]&0xf0 == cFixArray:
		count, i = int(enc[0]&0x0f), 1
	case enc[0] == cArray16 && len(enc) >= 3:
		count, i = int(enc[1])<<8|int(enc[2]), 3
	case enc[0] == cArray32 && len(enc) >= 5:
		count, i = int(enc[1])<<24|int(enc[2])<<16|int(enc[3])<<8|int(enc[4]), 5
	default:
		return 0, false
	}
next:
	for range count {
		for _, l := range [...]int{1, 2, 5, 9} {
			if i+l <= len(enc) && IsZero(enc[i:i+l]) {
				i += l
				continue next
			}
		}
		n, ok := zeroArray(enc[i:], depth+1)
		if !ok {
			return 0, false
		}
		i += n
	}
	return i, true
}

// AppendStringBytes appends p as a str.
func AppendStringBytes(b []byte, p []byte) []byte {
	return append(AppendStringHeader(b, len(p)), p...)
}

// IntSize is the size in bits of int and uint, which generated decoders
// check values against.
const IntSize = strconv.IntSize
