package runtime_test

import (
	"errors"
	"math"
	goruntime "runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/runtime"
	"github.com/vmihailenco/msgpack/v5"
)

func enc(f func(e *runtime.Encoder)) string {
	e := runtime.NewEncoder()
	f(e)
	if e.Err() != nil {
		panic(e.Err())
	}
	return string(e.Bytes())
}

func TestEncoderCanonicalScalars(t *testing.T) {
	// Integers: most compact form, whatever the Go width or signedness.
	for _, v := range []int64{0, 1, 5, 127, 128, 255, 256, 65535, 65536, 1 << 40} {
		i, u := enc(func(e *runtime.Encoder) { e.Int(v) }), enc(func(e *runtime.Encoder) { e.Uint(uint64(v)) })
		if i != u {
			t.Errorf("Int(%d) = %x, Uint = %x", v, i, u)
		}
	}
	if got := enc(func(e *runtime.Encoder) { e.Int(5) }); got != "\x05" {
		t.Errorf("Int(5) = %x, want one byte", got)
	}
	if got := enc(func(e *runtime.Encoder) { e.Int(-1) }); got != "\xff" {
		t.Errorf("Int(-1) = %x", got)
	}
	// -0 is 0, and every NaN is one NaN.
	if a, b := enc(func(e *runtime.Encoder) { e.Float64(math.Copysign(0, -1)) }), enc(func(e *runtime.Encoder) { e.Float64(0) }); a != b {
		t.Errorf("-0.0 = %x, 0.0 = %x", a, b)
	}
	if a, b := enc(func(e *runtime.Encoder) { e.Float32(float32(math.Copysign(0, -1))) }), enc(func(e *runtime.Encoder) { e.Float32(0) }); a != b {
		t.Errorf("float32 -0 = %x, 0 = %x", a, b)
	}
	nan1 := math.Float64frombits(0x7ff8000000000001)
	nan2 := math.Float64frombits(0xfff8000000000abc)
	if a, b := enc(func(e *runtime.Encoder) { e.Float64(nan1) }), enc(func(e *runtime.Encoder) { e.Float64(nan2) }); a != b {
		t.Errorf("NaNs encode differently: %x %x", a, b)
	}
	if a, b := enc(func(e *runtime.Encoder) { e.Float32(math.Float32frombits(0x7fc00001)) }), enc(func(e *runtime.Encoder) { e.Float32(math.Float32frombits(0xffc00002)) }); a != b {
		t.Errorf("float32 NaNs encode differently: %x %x", a, b)
	}
	// nil and empty byte slices alike.
	if a, b := enc(func(e *runtime.Encoder) { e.BytesValue(nil) }), enc(func(e *runtime.Encoder) { e.BytesValue([]byte{}) }); a != b {
		t.Errorf("nil bytes %x, empty %x", a, b)
	}
	// Raw strings are the bytes themselves.
	if got := enc(func(e *runtime.Encoder) { e.RawString("héllo") }); got != "héllo" {
		t.Errorf("RawString = %q", got)
	}
}

func TestEncoderTime(t *testing.T) {
	utc := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	paris := utc.In(time.FixedZone("CEST", 2*3600))
	withMono := time.Now()
	a := enc(func(e *runtime.Encoder) { e.Time(utc) })
	if b := enc(func(e *runtime.Encoder) { e.Time(paris) }); a != b {
		t.Errorf("same instant, other zone: %x vs %x", a, b)
	}
	if x, y := enc(func(e *runtime.Encoder) { e.Time(withMono) }), enc(func(e *runtime.Encoder) { e.Time(withMono.Round(0)) }); x != y {
		t.Errorf("monotonic reading changes the encoding")
	}
	if z := enc(func(e *runtime.Encoder) { e.Time(time.Time{}) }); z != "\xc0" {
		t.Errorf("zero time = %x, want nil", z)
	}
	d := runtime.NewDecoder(a)
	got := d.Time()
	if d.Err() != nil || !got.Equal(utc) || got.Location() != time.UTC {
		t.Errorf("Time round trip = %v (%v), %v", got, got.Location(), d.Err())
	}
	d = runtime.NewDecoder("\xc0")
	if got := d.Time(); !got.IsZero() || d.Err() != nil {
		t.Errorf("nil time = %v, %v", got, d.Err())
	}
	// Interop: msgpack's own timestamp encoding decodes.
	b, err := msgpack.Marshal(utc)
	if err != nil {
		t.Fatal(err)
	}
	d = runtime.NewDecoder(string(b))
	if got := d.Time(); !got.Equal(utc) || d.Err() != nil {
		t.Errorf("msgpack timestamp = %v, %v", got, d.Err())
	}
}

func TestEncodeMapSorted(t *testing.T) {
	// Build equal maps in different insertion orders many times: one encoding.
	var first string
	for round := range 50 {
		m := map[int]string{}
		for i := range 40 {
			k := (i*7 + round*13) % 40
			m[k-20] = "v"
		}
		got := enc(func(e *runtime.Encoder) {
			runtime.EncodeMap(e, m, func(e *runtime.Encoder, k int) { e.Int(int64(k)) }, (*runtime.Encoder).String)
		})
		if round == 0 {
			first = got
		} else if got != first {
			t.Fatalf("round %d: map encodes differently", round)
		}
	}
	type key struct {
		A string
		B bool
	}
	encKey := func(e *runtime.Encoder, k key) {
		e.BeginStruct()
		e.Field("a")
		e.String(k.A)
		e.Field("b")
		e.Bool(k.B)
		e.EndStruct()
	}
	var firstF string
	for round := range 30 {
		m := map[key]int{}
		for i := range 20 {
			j := (i + round) % 20
			m[key{A: strings.Repeat("x", j), B: j%2 == 0}] = j
		}
		got := enc(func(e *runtime.Encoder) {
			runtime.EncodeMapFunc(e, m, encKey, func(e *runtime.Encoder, v int) { e.Int(int64(v)) })
		})
		if round == 0 {
			firstF = got
		} else if got != firstF {
			t.Fatalf("round %d: struct-keyed map encodes differently", round)
		}
	}
	// A key that fails to encode fails the map.
	e := runtime.NewEncoder()
	runtime.EncodeMapFunc(e, map[key]int{{}: 1}, func(e *runtime.Encoder, k key) { e.Fail(errors.New("bad key")) },
		func(e *runtime.Encoder, v int) { e.Int(int64(v)) })
	if e.Err() == nil || e.Err().Error() != "bad key" {
		t.Fatalf("EncodeMapFunc with a failing key: %v", e.Err())
	}
	// Decoding gives the map back.
	d := runtime.NewDecoder(first)
	var back map[int]string
	runtime.DecodeMap(d, &back, func(d *runtime.Decoder) int { return int(d.Int(64)) }, (*runtime.Decoder).String)
	if d.Err() != nil || len(back) != 40 || back[-20] != "v" || back[19] != "v" {
		t.Fatalf("DecodeMap = %v, %v", back, d.Err())
	}
}

func TestStructZeroFieldsAndEvolution(t *testing.T) {
	// Old version: {id}. New version adds "age"; values with age 0 encode
	// exactly as before, so old members are still found.
	old := enc(func(e *runtime.Encoder) { e.BeginStruct(); e.Field("id"); e.String("u1"); e.EndStruct() })
	newZero := enc(func(e *runtime.Encoder) {
		e.BeginStruct()
		e.Field("age")
		e.Int(0)
		e.Field("id")
		e.String("u1")
		e.Field("tags")
		runtime.EncodeSlice(e, []string(nil), (*runtime.Encoder).String)
		e.Field("score")
		e.Float64(0)
		e.Field("when")
		e.Time(time.Time{})
		e.Field("ok")
		e.Bool(false)
		e.Field("bin")
		e.BytesValue(nil)
		e.Field("m")
		e.MapLen(0)
		e.EndStruct()
	})
	if old != newZero {
		t.Fatalf("zero fields change the encoding: %x vs %x", old, newZero)
	}
	// FieldKeep keeps a zero value (a non-nil pointer to zero).
	kept := enc(func(e *runtime.Encoder) { e.BeginStruct(); e.FieldKeep("p"); e.Int(0); e.EndStruct() })
	if kept != "\x81\xa1p\x00" {
		t.Fatalf("FieldKeep = %x", kept)
	}
	if empty := enc(func(e *runtime.Encoder) { e.BeginStruct(); e.EndStruct() }); empty != "\x80" {
		t.Fatalf("empty struct = %x", empty)
	}
	// 20 fields: a map16 header, decoded back.
	big := enc(func(e *runtime.Encoder) {
		e.BeginStruct()
		for i := range 20 {
			e.Field(string(rune('a' + i)))
			e.Int(int64(i + 1))
		}
		e.EndStruct()
	})
	d := runtime.NewDecoder(big)
	if n := d.BeginStruct(); n != 20 || d.Err() != nil {
		t.Fatalf("BeginStruct = %d, %v", n, d.Err())
	}
	for i := range 20 {
		if name, v := d.FieldName(), d.Int(64); name != string(rune('a'+i)) || v != int64(i+1) {
			t.Fatalf("field %d = %s:%d", i, name, v)
		}
	}
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("after 20 fields: %v, %d left", d.Err(), d.Remaining())
	}
	// Nested structs.
	nested := enc(func(e *runtime.Encoder) {
		e.BeginStruct()
		e.Field("in")
		e.BeginStruct()
		e.Field("x")
		e.Int(0)
		e.EndStruct()
		e.Field("z")
		e.Int(1)
		e.EndStruct()
	})
	// A struct whose fields are all zero is the zero value: left out too.
	if nested != "\x81\xa1z\x01" {
		t.Fatalf("nested = %x", nested)
	}
	// Misuse is an error, not a panic.
	for name, f := range map[string]func(e *runtime.Encoder){
		"Field outside a struct": func(e *runtime.Encoder) { e.Field("x") },
		"EndStruct alone":        func(e *runtime.Encoder) { e.EndStruct() },
	} {
		e := runtime.NewEncoder()
		f(e)
		if e.Err() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestEncoderStickyErrors(t *testing.T) {
	e := runtime.NewEncoder()
	e.String("a")
	n := len(e.Bytes())
	e.Fail(errors.New("first"))
	e.Fail(errors.New("second"))
	e.String("ignored")
	e.Int(1)
	e.BeginStruct()
	if e.Err().Error() != "first" || len(e.Bytes()) != n {
		t.Fatalf("after Fail: %v, %d bytes", e.Err(), len(e.Bytes()))
	}
	e.Reset()
	if e.Err() != nil || len(e.Bytes()) != 0 {
		t.Fatal("Reset did not clear")
	}
	_, err := runtime.Marshal[string](failingCodec{}, new(string))
	if !errors.Is(err, runtime.ErrEncode) {
		t.Fatalf("Marshal with a failing codec: %v", err)
	}
}

func TestDecoderStrict(t *testing.T) {
	i := func(v int64) string { return enc(func(e *runtime.Encoder) { e.Int(v) }) }
	u := func(v uint64) string { return enc(func(e *runtime.Encoder) { e.Uint(v) }) }
	type tc struct {
		name string
		data string
		read func(d *runtime.Decoder)
		ok   bool
	}
	cases := []tc{
		{"int8 max", i(127), func(d *runtime.Decoder) { d.Int(8) }, true},
		{"int8 overflow", i(128), func(d *runtime.Decoder) { d.Int(8) }, false},
		{"int8 min", i(-128), func(d *runtime.Decoder) { d.Int(8) }, true},
		{"int8 underflow", i(-129), func(d *runtime.Decoder) { d.Int(8) }, false},
		{"int16 overflow", i(1 << 15), func(d *runtime.Decoder) { d.Int(16) }, false},
		{"int32 overflow", i(1 << 31), func(d *runtime.Decoder) { d.Int(32) }, false},
		{"int64 from uint64 max", u(math.MaxUint64), func(d *runtime.Decoder) { d.Int(64) }, false},
		{"int64 from uint64 in range", u(math.MaxInt64), func(d *runtime.Decoder) { d.Int(64) }, true},
		{"uint8 overflow", u(256), func(d *runtime.Decoder) { d.Uint(8) }, false},
		{"uint negative fixnum", i(-1), func(d *runtime.Decoder) { d.Uint(64) }, false},
		{"uint negative int64", i(math.MinInt64), func(d *runtime.Decoder) { d.Uint(64) }, false},
		{"uint64 max", u(math.MaxUint64), func(d *runtime.Decoder) { d.Uint(64) }, true},
		{"int from a string", enc(func(e *runtime.Encoder) { e.String("5") }), func(d *runtime.Decoder) { d.Int(64) }, false},
		{"int from a float", enc(func(e *runtime.Encoder) { e.Float64(5) }), func(d *runtime.Decoder) { d.Int(64) }, false},
		{"int from nil", "\xc0", func(d *runtime.Decoder) { d.Int(64) }, false},
		{"bool from int", i(1), func(d *runtime.Decoder) { d.Bool() }, false},
		{"string from bin", enc(func(e *runtime.Encoder) { e.BytesValue([]byte("x")) }), func(d *runtime.Decoder) { _ = d.String() }, false},
		{"bytes from string", enc(func(e *runtime.Encoder) { e.String("x") }), func(d *runtime.Decoder) { d.BytesValue() }, true},
		{"bytes from int", i(1), func(d *runtime.Decoder) { d.BytesValue() }, false},
		{"float from int", i(1), func(d *runtime.Decoder) { d.Float64() }, false},
		{"float32 from float32", enc(func(e *runtime.Encoder) { e.Float32(1.5) }), func(d *runtime.Decoder) { d.Float32() }, true},
		{"time from string", enc(func(e *runtime.Encoder) { e.String("2024") }), func(d *runtime.Decoder) { d.Time() }, false},
		{"array longer than input", "\xdd\x7f\xff\xff\xff", func(d *runtime.Decoder) { d.ArrayLen() }, false},
		{"map longer than input", "\xdf\x7f\xff\xff\xff\x01", func(d *runtime.Decoder) { d.MapLen() }, false},
		{"array length exact", "\x92\x01\x02", func(d *runtime.Decoder) { d.ArrayLenExact(2); d.Int(8); d.Int(8) }, true},
		{"array length not exact", "\x91\x01", func(d *runtime.Decoder) { d.ArrayLenExact(2) }, false},
		{"empty input", "", func(d *runtime.Decoder) { _ = d.String() }, false},
		{"truncated string", "\xa5ab", func(d *runtime.Decoder) { _ = d.String() }, false},
		{"unknown field", "\x81\xa1q\x01", func(d *runtime.Decoder) { d.BeginStruct(); d.UnknownField("T", d.FieldName()) }, false},
		{"never-used code", "\xc1", func(d *runtime.Decoder) { d.Skip() }, false},
	}
	for _, c := range cases {
		d := runtime.NewDecoder(c.data)
		c.read(d)
		if (d.Err() == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, d.Err(), c.ok)
		}
	}
	// Errors are sticky: later reads return zero values.
	d := runtime.NewDecoder(i(300) + enc(func(e *runtime.Encoder) { e.String("s") }))
	if v := d.Int(8); v != 0 || d.Err() == nil {
		t.Fatalf("Int(8) of 300 = %d, %v", v, d.Err())
	}
	first := d.Err()
	if s := d.String(); s != "" || d.Err() != first {
		t.Fatalf("read after an error = %q, %v", s, d.Err())
	}
	// Trailing bytes fail Unmarshal.
	var s item
	valid := enc(func(e *runtime.Encoder) { itemCodec{}.EncodeMember(e, &item{ID: "x"}) })
	if err := runtime.Unmarshal[item](itemCodec{}, valid+"\x00", &s); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Fatalf("trailing bytes: %v", err)
	}
	if err := runtime.Unmarshal[item](itemCodec{}, valid, &s); err != nil || s.ID != "x" {
		t.Fatalf("valid: %+v, %v", s, err)
	}
}

func TestDecoderNilAndSlices(t *testing.T) {
	d := runtime.NewDecoder("\xc0\x01")
	if !d.Nil() || d.Nil() || d.Int(8) != 1 || d.Err() != nil {
		t.Fatalf("Nil: %v", d.Err())
	}
	in := []string{"a", "", "c"}
	data := enc(func(e *runtime.Encoder) { runtime.EncodeSlice(e, in, (*runtime.Encoder).String) })
	d = runtime.NewDecoder(data)
	var out []string
	runtime.DecodeSlice(d, &out, (*runtime.Decoder).String)
	if d.Err() != nil || len(out) != 3 || out[0] != "a" || out[2] != "c" {
		t.Fatalf("DecodeSlice = %q, %v", out, d.Err())
	}
	d = runtime.NewDecoder("\xc0")
	out = []string{"x"}
	runtime.DecodeSlice(d, &out, (*runtime.Decoder).String)
	if out != nil || d.Err() != nil {
		t.Fatalf("DecodeSlice(nil) = %q, %v", out, d.Err())
	}
	d = runtime.NewDecoder("\xc0")
	m := map[string]int{"x": 1}
	runtime.DecodeMap(d, &m, (*runtime.Decoder).String, func(d *runtime.Decoder) int { return int(d.Int(64)) })
	if m != nil || d.Err() != nil {
		t.Fatalf("DecodeMap(nil) = %v, %v", m, d.Err())
	}
	dur := enc(func(e *runtime.Encoder) { e.Duration(-90 * time.Second) })
	if got := runtime.NewDecoder(dur).Duration(); got != -90*time.Second {
		t.Fatalf("Duration = %v", got)
	}
	d = runtime.NewDecoder("raw bytes")
	d.Reset("other")
	if got := d.RawString(); got != "other" || d.Remaining() != 0 {
		t.Fatalf("RawString after Reset = %q", got)
	}
}

func TestDecoderSkip(t *testing.T) {
	values := []any{nil, true, 5, -300, 1 << 40, 1.5, "str", []byte("bin"), []any{1, []any{2, "x"}, map[string]any{"k": []any{}}},
		map[string]any{"a": map[string]any{"b": []any{1, 2, 3}}}, time.Unix(1e9, 5), strings.Repeat("long", 100)}
	for _, v := range values {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		d := runtime.NewDecoder(string(b) + "\x07")
		d.Skip()
		if d.Err() != nil || d.Remaining() != 1 || d.Int(8) != 7 {
			t.Errorf("Skip(%v): err %v, %d bytes left", v, d.Err(), d.Remaining())
		}
	}
	// Deep nesting is skipped without recursion: with the stack limited to
	// 16 MB, a recursive Skip would crash the process at this depth.
	defer debug.SetMaxStack(debug.SetMaxStack(16 << 20))
	const depth = 1_000_000
	deep := strings.Repeat("\x91", depth) + "\x81\xa1k" + strings.Repeat("\x91", depth) + "\xc0"
	d := runtime.NewDecoder(deep)
	d.Skip()
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("deep Skip: %v, %d left", d.Err(), d.Remaining())
	}
	d = runtime.NewDecoder(strings.Repeat("\x92", depth))
	d.Skip()
	if d.Err() == nil {
		t.Fatal("truncated deep input skipped without error")
	}
}

func TestMsgpackInterop(t *testing.T) {
	// A member written by another msgpack implementation with the same
	// field names decodes, even with non-canonical choices (wide ints).
	b, err := msgpack.Marshal(map[string]any{"id": "from-msgpack", "tags": map[string]int64{"a": 1, "b": 1 << 33}})
	if err != nil {
		t.Fatal(err)
	}
	var it item
	if err := runtime.Unmarshal[item](itemCodec{}, string(b), &it); err != nil || it.ID != "from-msgpack" || it.Tags["b"] != 1<<33 {
		t.Fatalf("Unmarshal = %+v, %v", it, err)
	}
	// Our encoding reads back with msgpack.
	s, err := runtime.Marshal[item](itemCodec{}, &item{ID: "x", Tags: map[string]int{"z": 2, "a": 1}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := msgpack.Unmarshal([]byte(s), &m); err != nil || m["id"] != "x" {
		t.Fatalf("msgpack.Unmarshal = %v, %v", m, err)
	}
}

func TestDecoderHugeLengthHeaders(t *testing.T) {
	// A few bytes announcing gigabytes must fail without allocating them.
	inputs := []string{"\xc6\xff\xff\xff\xff", "\xdb\xff\xff\xff\xff", "\xc5\xff\xff", "\xc4\xff", "\xdb\x7f\xff\xff\xffabc", "\xc6\x00", "\xda\x00"}
	for _, in := range inputs {
		var before, after goruntime.MemStats
		goruntime.ReadMemStats(&before)
		for _, read := range []func(d *runtime.Decoder){
			func(d *runtime.Decoder) { _ = d.BytesValue() },
			func(d *runtime.Decoder) { _ = d.String() },
			func(d *runtime.Decoder) { d.Skip() },
		} {
			d := runtime.NewDecoder(in)
			read(d)
			if d.Err() == nil {
				t.Errorf("%x: no error", in)
			}
		}
		goruntime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("%x: decoding allocated %d MB", in, grew>>20)
		}
	}
	// Lengths that fit are read.
	for _, in := range []string{"\xc4\x02ab", "\xc5\x00\x02ab", "\xc6\x00\x00\x00\x02ab", "\xa2ab", "\xd9\x02ab"} {
		d := runtime.NewDecoder(in)
		if b := d.BytesValue(); d.Err() != nil || string(b) != "ab" || d.Remaining() != 0 {
			t.Errorf("%x: BytesValue = %q, %v", in, b, d.Err())
		}
	}
}

// skipFields reads a struct's field names and skips their values.
type skipFields struct{}

func (skipFields) EncodeMember(e *runtime.Encoder, v *string) {}
func (skipFields) DecodeMember(d *runtime.Decoder, v *string) {
	for n := d.BeginStruct(); n > 0 && d.Err() == nil; n-- {
		*v += d.FieldName()
		d.Skip()
	}
}

func TestUnmarshalHugeHeadersDoNotGrowMemory(t *testing.T) {
	// Members announcing huge strings (as field names or skipped values)
	// must not make the pooled decoders allocate or keep growing buffers.
	inputs := []string{
		"\x83\xdb\xdb\xdb\xdb\xdb\xdb\xdb000",  // field name of 3.6 GB
		"\x81\xa1k\xdb\x7f\xff\xff\xffabc",     // skipped str32
		"\x81\xa1k\xc9\x7f\xff\xff\xff\x01abc", // skipped ext32
		"\x81\xa1k\xc6\x7f\xff\xff\xffabc",     // skipped bin32
		"\x81\xa1k\xd8\x01abc",                 // skipped fixext16, truncated
	}
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	for range 50 {
		for _, in := range inputs {
			var s string
			if err := runtime.Unmarshal[string](skipFields{}, in, &s); err == nil {
				t.Fatalf("%x: no error", in)
			}
		}
	}
	goruntime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Fatalf("250 bad members allocated %d MB", grew>>20)
	}
	// Values that fit are still skipped.
	var s string
	if err := runtime.Unmarshal[string](skipFields{}, "\x82\xa1a\xd8\x01"+strings.Repeat("x", 16)+"\xa1b\xa3abc", &s); err != nil || s != "ab" {
		t.Fatalf("skipping values that fit: %q, %v", s, err)
	}
}
