package runtime_test

import (
	"bytes"
	"maps"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/runtime"
	"github.com/vmihailenco/msgpack/v5"
)

// kitchen has a field of every kind the Decoder reads; kitchenCodec is
// written the way setgen generates codecs (fields sorted by name, Field for
// values, FieldKeep for non-nil pointers, UnknownField for the rest), plus
// one obsolete field that is skipped.
type kitchen struct {
	Arr    [2]int16
	B      bool
	Bin    []byte
	D      time.Duration
	F32    float32
	F64    float64
	I8     int8
	I16    int16
	I32    int32
	I64    int64
	List   []string
	M      map[int64]string
	Nested *kitchenInner
	S      string
	T      time.Time
	U8     uint8
	U16    uint16
	U32    uint32
	U64    uint64
}

type kitchenInner struct {
	Name string
	Tags map[string]bool
	Keys map[kitchenKey]int32 // a struct key type: EncodeMapFunc
}

type kitchenKey struct {
	A string
	B int8
}

type kitchenCodec struct{}

func (kitchenCodec) EncodeMember(e *runtime.Encoder, v *kitchen) {
	e.BeginStruct()
	e.Field("arr")
	e.ArrayLen(len(v.Arr))
	for _, x := range v.Arr {
		e.Int(int64(x))
	}
	e.Field("b")
	e.Bool(v.B)
	e.Field("bin")
	e.BytesValue(v.Bin)
	e.Field("d")
	e.Duration(v.D)
	e.Field("f32")
	e.Float32(v.F32)
	e.Field("f64")
	e.Float64(v.F64)
	e.Field("i16")
	e.Int(int64(v.I16))
	e.Field("i32")
	e.Int(int64(v.I32))
	e.Field("i64")
	e.Int(v.I64)
	e.Field("i8")
	e.Int(int64(v.I8))
	e.Field("list")
	runtime.EncodeSlice(e, v.List, (*runtime.Encoder).String)
	e.Field("m")
	runtime.EncodeMap(e, v.M, (*runtime.Encoder).Int, (*runtime.Encoder).String)
	if v.Nested != nil {
		e.FieldKeep("nested")
		encInner(e, v.Nested)
	} else {
		e.Field("nested")
		e.Nil()
	}
	e.Field("s")
	e.String(v.S)
	e.Field("t")
	e.Time(v.T)
	e.Field("u16")
	e.Uint(uint64(v.U16))
	e.Field("u32")
	e.Uint(uint64(v.U32))
	e.Field("u64")
	e.Uint(v.U64)
	e.Field("u8")
	e.Uint(uint64(v.U8))
	e.EndStruct()
}

func encInner(e *runtime.Encoder, v *kitchenInner) {
	e.BeginStruct()
	e.Field("keys")
	runtime.EncodeMapFunc(e, v.Keys, func(e *runtime.Encoder, k kitchenKey) {
		e.BeginStruct()
		e.Field("a")
		e.String(k.A)
		e.Field("b")
		e.Int(int64(k.B))
		e.EndStruct()
	}, func(e *runtime.Encoder, n int32) { e.Int(int64(n)) })
	e.Field("name")
	e.String(v.Name)
	e.Field("tags")
	runtime.EncodeMap(e, v.Tags, (*runtime.Encoder).String, (*runtime.Encoder).Bool)
	e.EndStruct()
}

func (kitchenCodec) DecodeMember(d *runtime.Decoder, v *kitchen) {
	for n := d.BeginStruct(); n > 0 && d.Err() == nil; n-- {
		switch f := d.FieldName(); f {
		case "arr":
			if d.ArrayLenExact(len(v.Arr)) {
				for i := range v.Arr {
					v.Arr[i] = int16(d.Int(16))
				}
			}
		case "b":
			v.B = d.Bool()
		case "bin":
			v.Bin = d.BytesValue()
		case "d":
			v.D = d.Duration()
		case "f32":
			v.F32 = d.Float32()
		case "f64":
			v.F64 = d.Float64()
		case "i16":
			v.I16 = int16(d.Int(16))
		case "i32":
			v.I32 = int32(d.Int(32))
		case "i64":
			v.I64 = d.Int(64)
		case "i8":
			v.I8 = int8(d.Int(8))
		case "list":
			runtime.DecodeSlice(d, &v.List, (*runtime.Decoder).String)
		case "m":
			runtime.DecodeMap(d, &v.M, func(d *runtime.Decoder) int64 { return d.Int(64) }, (*runtime.Decoder).String)
		case "nested":
			if d.Nil() {
				v.Nested = nil
			} else {
				v.Nested = new(kitchenInner)
				decInner(d, v.Nested)
			}
		case "s":
			v.S = d.String()
		case "t":
			v.T = d.Time()
		case "u16":
			v.U16 = uint16(d.Uint(16))
		case "u32":
			v.U32 = uint32(d.Uint(32))
		case "u64":
			v.U64 = d.Uint(64)
		case "u8":
			v.U8 = uint8(d.Uint(8))
		case "obsolete":
			d.Skip()
		default:
			d.UnknownField("kitchen", f)
		}
	}
}

func decInner(d *runtime.Decoder, v *kitchenInner) {
	for n := d.BeginStruct(); n > 0 && d.Err() == nil; n-- {
		switch f := d.FieldName(); f {
		case "keys":
			runtime.DecodeMap(d, &v.Keys, func(d *runtime.Decoder) kitchenKey {
				var k kitchenKey
				for n := d.BeginStruct(); n > 0 && d.Err() == nil; n-- {
					switch f := d.FieldName(); f {
					case "a":
						k.A = d.String()
					case "b":
						k.B = int8(d.Int(8))
					default:
						d.UnknownField("kitchenKey", f)
					}
				}
				return k
			}, func(d *runtime.Decoder) int32 { return int32(d.Int(32)) })
		case "name":
			v.Name = d.String()
		case "tags":
			runtime.DecodeMap(d, &v.Tags, (*runtime.Decoder).String, (*runtime.Decoder).Bool)
		default:
			d.UnknownField("kitchenInner", f)
		}
	}
}

func floatEq64(a, b float64) bool { return a == b || (a != a && b != b) }

func kitchenEqual(a, b kitchen) bool {
	innerEq := func(x, y *kitchenInner) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Name == y.Name && maps.Equal(x.Tags, y.Tags) && maps.Equal(x.Keys, y.Keys)
	}
	return a.Arr == b.Arr && a.B == b.B && bytes.Equal(a.Bin, b.Bin) && a.D == b.D &&
		floatEq64(float64(a.F32), float64(b.F32)) && floatEq64(a.F64, b.F64) &&
		a.I8 == b.I8 && a.I16 == b.I16 && a.I32 == b.I32 && a.I64 == b.I64 &&
		slices.Equal(a.List, b.List) && maps.Equal(a.M, b.M) && innerEq(a.Nested, b.Nested) &&
		a.S == b.S && a.T.Equal(b.T) && a.U8 == b.U8 && a.U16 == b.U16 && a.U32 == b.U32 && a.U64 == b.U64
}

// reencodeFixedPoint checks, for a value decoded from arbitrary bytes, that
// its encoding decodes to an equal value and is a fixed point.
func reencodeFixedPoint[T any](t *testing.T, c runtime.Codec[T], v *T, eq func(a, b T) bool) {
	t.Helper()
	enc, err := runtime.Marshal(c, v)
	if err != nil {
		t.Fatalf("a decoded value does not encode: %v (%+v)", err, *v)
	}
	var back T
	if err := runtime.Unmarshal(c, enc, &back); err != nil {
		t.Fatalf("the encoding of a decoded value does not decode: %v\nvalue %+v\nbytes %x", err, *v, enc)
	}
	if !eq(*v, back) {
		t.Fatalf("round trip changed the value:\n%+v\n%+v", *v, back)
	}
	enc2, err := runtime.Marshal(c, &back)
	if err != nil || enc2 != enc {
		t.Fatalf("encoding is not a fixed point: %x then %x (%v)", enc, enc2, err)
	}
}

func FuzzDecodeItem(f *testing.F) {
	for _, it := range []item{{}, {ID: "a"}, {ID: "id-1", Tags: map[string]int{"x": 1, "y": -2}}, mkItem(7)} {
		s, err := runtime.Marshal(itemCodec{}, &it)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(s))
	}
	f.Add([]byte{})
	f.Add([]byte("\xc1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v item
		if err := runtime.Unmarshal(itemCodec{}, string(data), &v); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		reencodeFixedPoint(t, itemCodec{}, &v, func(a, b item) bool { return a.ID == b.ID && maps.Equal(a.Tags, b.Tags) })
	})
}

func FuzzDecodeKitchen(f *testing.F) {
	for _, k := range kitchenSamples() {
		s, err := runtime.Marshal(kitchenCodec{}, &k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v kitchen
		if err := runtime.Unmarshal(kitchenCodec{}, string(data), &v); err != nil {
			return
		}
		reencodeFixedPoint(t, kitchenCodec{}, &v, kitchenEqual)
	})
}

// FuzzKitchenRoundTrip builds values from fuzzed fields: every value
// encodes, decodes to an equal value, and its encoding is canonical.
func FuzzKitchenRoundTrip(f *testing.F) {
	f.Add(int64(0), uint64(0), 0.0, "", []byte(nil), false, int64(0), "")
	f.Add(int64(-1), uint64(math.MaxUint64), math.Inf(-1), "héllo", []byte{0, 1}, true, time.Now().UnixNano(), "k")
	f.Add(int64(math.MinInt64), uint64(1<<32), math.NaN(), strings.Repeat("x", 300), []byte("bin"), true, int64(-1e18), "\x00")
	f.Fuzz(func(t *testing.T, i int64, u uint64, fl float64, s string, bin []byte, b bool, ns int64, key string) {
		v := kitchen{
			Arr: [2]int16{int16(i), int16(u)}, B: b, Bin: bin, D: time.Duration(i),
			F32: float32(fl), F64: fl, I8: int8(i), I16: int16(i), I32: int32(i), I64: i,
			List: []string{s, key}, M: map[int64]string{i: s, int64(u): key},
			S: s, T: time.Unix(0, ns).In(time.FixedZone("z", int(i%50000))),
			U8: uint8(u), U16: uint16(u), U32: uint32(u), U64: u,
		}
		if b {
			v.Nested = &kitchenInner{Name: key, Tags: map[string]bool{s: b, key: !b},
				Keys: map[kitchenKey]int32{{A: s, B: int8(i)}: int32(i), {A: key}: 1}}
		}
		enc, err := runtime.Marshal(kitchenCodec{}, &v)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var back kitchen
		if err := runtime.Unmarshal(kitchenCodec{}, enc, &back); err != nil {
			t.Fatalf("Unmarshal of an encoding: %v\n%x", err, enc)
		}
		want := v
		if want.F32 == 0 {
			want.F32 = 0 // -0 is stored as 0
		}
		if !kitchenEqual(want, back) {
			t.Fatalf("round trip:\n%+v\n%+v", v, back)
		}
		if back.T.Location() != time.UTC && !back.T.IsZero() {
			t.Fatalf("decoded time not in UTC: %v", back.T.Location())
		}
		// Same value, other zone and rebuilt maps: same bytes.
		v2 := v
		v2.T = v.T.UTC()
		v2.M = maps.Clone(v.M)
		enc2, err := runtime.Marshal(kitchenCodec{}, &v2)
		if err != nil || enc2 != enc {
			t.Fatalf("equal values encode differently: %x vs %x", enc, enc2)
		}
		reencodeFixedPoint(t, kitchenCodec{}, &back, kitchenEqual)
	})
}

// FuzzParseURL: ParseURL never panics, and its errors never show the
// password of the URL.
func FuzzParseURL(f *testing.F) {
	f.Add("redis", "user", "s3cret-pass", "localhost:6379", "/1", "db=2&key_prefix=x")
	f.Add("rediss", "", "pw%zzpw", "[::1]:7000", "", "tls_server_name=n")
	f.Add("unix", "u", "password", "", "/tmp/r.sock", "db=1")
	f.Add("redis", "u", "p@ss:word/", "h:port", "/x", "bogus=1")
	f.Fuzz(func(t *testing.T, scheme, user, pass, host, path, query string) {
		u := url.URL{Scheme: scheme, User: url.UserPassword(user, pass), Host: host, Path: path, RawQuery: query}
		raw := u.String()
		for _, in := range []string{raw, scheme + "://" + user + ":" + pass + "@" + host + path + "?" + query} {
			o, err := runtime.ParseURL(in)
			if err == nil {
				if len(o.Addrs) == 0 {
					t.Fatalf("ParseURL(%q) succeeded without an address", in)
				}
				continue
			}
			// Only a password that cannot be confused with other parts of the input counts.
			if len(pass) >= 6 && !strings.Contains(scheme+user+host+path+query, pass) &&
				!strings.Contains("setgen: parse URL: unknown option scheme is not redis, rediss or unix", pass) &&
				strings.Contains(err.Error(), pass) {
				t.Fatalf("ParseURL(%q) error shows the password: %v", in, err)
			}
		}
	})
}

func kitchenSamples() []kitchen {
	return []kitchen{
		{},
		{B: true, I8: -128, I16: math.MaxInt16, I32: math.MinInt32, I64: math.MaxInt64, U8: 255, U16: 65535, U32: math.MaxUint32, U64: math.MaxUint64},
		{F32: 1.5, F64: -2.25, S: "héllo", Bin: []byte{0, 1, 2}, D: time.Hour, T: time.Date(2024, 2, 29, 12, 0, 0, 5, time.UTC)},
		{List: []string{"a", "", "c"}, M: map[int64]string{-1: "neg", 0: "zero", 1 << 40: "big"}, Arr: [2]int16{-1, 1}},
		{Nested: &kitchenInner{}},
		{Nested: &kitchenInner{Name: "n", Tags: map[string]bool{"t": true, "f": false}, Keys: map[kitchenKey]int32{{A: "x", B: 1}: 2, {}: 3}}},
		{T: time.Unix(-1e10, 0), F64: math.Inf(1), F32: float32(math.NaN())},
	}
}

// FuzzSkip: Decoder.Skip (iterative) consumes exactly what msgpack's own
// recursive Skip consumes, and fails where it fails.
func FuzzSkip(f *testing.F) {
	for _, v := range []any{nil, 1, "s", []any{1, []any{"x"}}, map[string]any{"k": map[string]any{"z": []byte("b")}}, time.Unix(5, 6)} {
		b, err := msgpack.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<14 {
			return // msgpack's recursion is the reference: keep it shallow
		}
		d := runtime.NewDecoder(string(data))
		d.Skip()
		r := bytes.NewReader(data)
		want := msgpack.NewDecoder(r).Skip()
		if (d.Err() == nil) != (want == nil) {
			t.Fatalf("Skip(%x): err %v, msgpack %v", data, d.Err(), want)
		}
		if want == nil && d.Remaining() != r.Len() {
			t.Fatalf("Skip(%x) left %d bytes, msgpack %d", data, d.Remaining(), r.Len())
		}
	})
}
