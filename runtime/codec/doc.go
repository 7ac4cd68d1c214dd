// Package codec is the MessagePack layer under every codec that setgen
// generates: append-style encoders that write canonical bytes straight into
// a caller's buffer, and a strict Reader that accepts only those bytes.
//
// It has no Redis in it. Generated code calls it; package runtime stores
// what it produces.
//
// # Canonical form
//
// Every value has exactly one encoding, so that Redis, which compares set
// members byte by byte, sees equal values as one member:
//
//   - integers in the shortest MessagePack form for their value, whatever
//     their Go width: 0..127 as a positive fixint, -32..-1 as a negative
//     fixint, other non-negative values as uint8/16/32/64, other negative
//     values as int8/16/32/64;
//   - float32 as float 32, float64 as float 64; -0 is written as 0 and every
//     NaN as the quiet NaN 0x7fc00000 / 0x7ff8000000000001;
//   - strings as str with the shortest header (fixstr, str8, str16, str32),
//     byte strings and [N]byte arrays as bin with the shortest header;
//   - time.Time as the timestamp extension (type -1) of its instant, in the
//     shortest of its three forms; the zero time as nil;
//   - slices and arrays as arrays with the shortest header; a nil slice as
//     an empty array;
//   - maps with the shortest header and their entries in ascending key
//     order: integers and floats by value, strings by their bytes, any
//     other key type by the bytes of its encoded key; a nil map as an empty
//     map;
//   - structs as maps from field name (str) to value, fields in ascending
//     order of their names' bytes, a field left out when its value has a
//     zero encoding (nil, false, 0, 0.0, "", empty bin, empty array, empty
//     map), when it is a fixed-size array of such values only, or when it is
//     a byte array of zeros; a non-nil pointer field is always written;
//   - nil pointers as nil.
//
// The Reader rejects anything else: keys out of order or repeated, an
// integer or header that is not the shortest, a field present at its zero
// value, a float where an integer belongs, trailing bytes. Such input is
// valid MessagePack but would be a second, invisible copy of a member.
package codec
