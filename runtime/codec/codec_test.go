package codec_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/setgen/setgen/runtime/codec"
)

// ref encodes with msgpack/v5, the reference format.
func ref(t *testing.T, f func(e *msgpack.Encoder) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	if err := f(e); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var intEdges = []int64{0, 1, 31, 32, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
	-1, -31, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64}

// TestAppendMatchesMsgpack: every primitive is byte for byte what
// msgpack/v5 writes, and reads back strictly.
func TestAppendMatchesMsgpack(t *testing.T) {
	for _, v := range intEdges {
		got := codec.AppendInt(nil, v)
		if want := ref(t, func(e *msgpack.Encoder) error { return e.EncodeInt(v) }); !bytes.Equal(got, want) {
			t.Errorf("AppendInt(%d) = %x, msgpack %x", v, got, want)
		}
		r := codec.NewReader(got)
		if back, err := r.Int64(); err != nil || back != v || r.Done() != nil {
			t.Errorf("Int64(%x) = %d, %v", got, back, err)
		}
		if v >= 0 {
			u := uint64(v)
			got := codec.AppendUint(nil, u)
			if want := ref(t, func(e *msgpack.Encoder) error { return e.EncodeUint(u) }); !bytes.Equal(got, want) {
				t.Errorf("AppendUint(%d) = %x, msgpack %x", u, got, want)
			}
			r := codec.NewReader(got)
			if back, err := r.Uint64(); err != nil || back != u {
				t.Errorf("Uint64(%x) = %d, %v", got, back, err)
			}
		}
	}
	if got := codec.AppendUint(nil, math.MaxUint64); !bytes.Equal(got, ref(t, func(e *msgpack.Encoder) error { return e.EncodeUint(math.MaxUint64) })) {
		t.Errorf("AppendUint(max) = %x", got)
	}
	for _, n := range []int{0, 1, 31, 32, 255, 256, 65535, 65536} {
		s := strings.Repeat("x", n)
		if got, want := codec.AppendString(nil, s), ref(t, func(e *msgpack.Encoder) error { return e.EncodeString(s) }); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%d bytes) header %x, msgpack %x", n, got[:min(5, len(got))], want[:min(5, len(want))])
		}
		p := []byte(s)
		if got, want := codec.AppendBytes(nil, p), ref(t, func(e *msgpack.Encoder) error { return e.EncodeBytes(p) }); !bytes.Equal(got, want) {
			t.Errorf("AppendBytes(%d bytes) header %x, msgpack %x", n, got[:min(5, len(got))], want[:min(5, len(want))])
		}
		if got, want := codec.AppendArrayHeader(nil, n), ref(t, func(e *msgpack.Encoder) error { return e.EncodeArrayLen(n) }); !bytes.Equal(got, want) {
			t.Errorf("AppendArrayHeader(%d) = %x, msgpack %x", n, got, want)
		}
		if got, want := codec.AppendMapHeader(nil, n), ref(t, func(e *msgpack.Encoder) error { return e.EncodeMapLen(n) }); !bytes.Equal(got, want) {
			t.Errorf("AppendMapHeader(%d) = %x, msgpack %x", n, got, want)
		}
		// Begin/End with the payload appended afterwards give the same bytes.
		b, h := codec.BeginBin([]byte("prefix"))
		b = codec.EndBin(append(b, p...), h)
		if want := append([]byte("prefix"), codec.AppendBytes(nil, p)...); !bytes.Equal(b, want) {
			t.Errorf("BeginBin/EndBin of %d bytes differ from AppendBytes", n)
		}
		b, h = codec.BeginStr([]byte("prefix"))
		b = codec.EndStr(append(b, s...), h)
		if want := append([]byte("prefix"), codec.AppendString(nil, s)...); !bytes.Equal(b, want) {
			t.Errorf("BeginStr/EndStr of %d bytes differ from AppendString", n)
		}
	}
	for _, tm := range []time.Time{time.Unix(0, 0), time.Unix(1, 0), time.Unix(1<<32-1, 0), time.Unix(1<<32, 0), time.Unix(5, 1),
		time.Unix(1<<34-1, 999999999), time.Unix(1<<34, 0), time.Unix(-1, 0), time.Unix(-1e10, 5),
		time.Date(2026, 12, 2, 12, 0, 0, 123456789, time.FixedZone("x", 3600))} {
		got := codec.AppendTimeValue(nil, tm)
		if want := ref(t, func(e *msgpack.Encoder) error { return e.EncodeTime(tm) }); !bytes.Equal(got, want) {
			t.Errorf("AppendTimeValue(%v) = %x, msgpack %x", tm, got, want)
		}
		r := codec.NewReader(got)
		if back, err := r.TimeValue(); err != nil || !back.Equal(tm) || back.Location() != time.UTC {
			t.Errorf("TimeValue(%x) = %v, %v", got, back, err)
		}
	}
	if got := codec.AppendTime(nil, time.Time{}); !bytes.Equal(got, []byte{0xc0}) {
		t.Errorf("AppendTime(zero) = %x, want nil", got)
	}
	for _, f := range []float64{0, 1.5, -2.25, math.Inf(1), math.MaxFloat64, math.SmallestNonzeroFloat64} {
		got := codec.AppendFloat64(nil, f)
		if want := ref(t, func(e *msgpack.Encoder) error { return e.EncodeFloat64(f) }); !bytes.Equal(got, want) {
			t.Errorf("AppendFloat64(%v) = %x, msgpack %x", f, got, want)
		}
		f32 := float32(f)
		got = codec.AppendFloat32(nil, f32)
		if want := ref(t, func(e *msgpack.Encoder) error { return e.EncodeFloat32(f32) }); !bytes.Equal(got, want) {
			t.Errorf("AppendFloat32(%v) = %x, msgpack %x", f32, got, want)
		}
	}
	// -0 and every NaN have one encoding.
	if !bytes.Equal(codec.AppendFloat64(nil, math.Copysign(0, -1)), codec.AppendFloat64(nil, 0)) ||
		!bytes.Equal(codec.AppendFloat64(nil, math.Float64frombits(0x7ff0000000000042)), codec.AppendFloat64(nil, math.NaN())) ||
		!bytes.Equal(codec.AppendFloat32(nil, math.Float32frombits(0xffc00001)), codec.AppendFloat32(nil, float32(math.NaN()))) {
		t.Error("-0 or a NaN has more than one encoding")
	}
}

// TestReaderRejectsNonCanonical: valid MessagePack that is not the
// canonical form is an error wrapping ErrDecode that says what is wrong.
func TestReaderRejectsNonCanonical(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		read func(r *codec.Reader) error
		want string
	}{
		{"uint8 for a fixint", []byte{0xcc, 5}, readInt, "not in its shortest form"},
		{"uint16 for a uint8", []byte{0xcd, 0, 200}, readInt, "not in its shortest form"},
		{"uint64 for a uint32", []byte{0xcf, 0, 0, 0, 0, 0, 0, 1, 0}, readInt, "not in its shortest form"},
		{"int8 for a positive value", []byte{0xd0, 5}, readInt, "not in its shortest form"},
		{"int8 for a negative fixint", []byte{0xd0, 0xff}, readInt, "not in its shortest form"},
		{"int16 for an int8", []byte{0xd1, 0xff, 0x80}, readInt, "not in its shortest form"},
		{"int64 for a positive value", []byte{0xd3, 0, 0, 0, 0, 0, 0, 0, 1}, readInt, "not in its shortest form"},
		{"a float for an int", codec.AppendFloat64(nil, 1), readInt, "want an integer, found a float 64"},
		{"uint64 beyond int64", codec.AppendUint(nil, math.MaxUint64), readInt, "overflows int64"},
		{"negative for a uint", codec.AppendInt(nil, -1), func(r *codec.Reader) error { _, err := r.Uint64(); return err }, "negative integer -1"},
		{"300 for an int8", codec.AppendInt(nil, 300), func(r *codec.Reader) error { _, err := r.Int(8); return err }, "overflows int8"},
		{"256 for a uint8", codec.AppendInt(nil, 256), func(r *codec.Reader) error { _, err := r.Uint(8); return err }, "overflows uint8"},
		{"str8 for a short string", []byte{0xd9, 3, 'a', 'b', 'c'}, readString, "longer header than needed"},
		{"str16 for a str8", append([]byte{0xda, 0, 40}, strings.Repeat("a", 40)...), readString, "longer header than needed"},
		{"a bin for a string", codec.AppendBytes(nil, []byte("abc")), readString, "want a string, found bytes (bin)"},
		{"bin16 for 3 bytes", []byte{0xc5, 0, 3, 1, 2, 3}, func(r *codec.Reader) error { _, err := r.Bytes(); return err }, "longer header than needed"},
		{"a string for bytes", codec.AppendString(nil, "abc"), func(r *codec.Reader) error { _, err := r.Bytes(); return err }, "want bytes (bin), found a string"},
		{"array16 for 2", []byte{0xdc, 0, 2, 1, 2}, func(r *codec.Reader) error { _, err := r.ArrayHeader(); return err }, "longer header than needed"},
		{"map16 for 1", []byte{0xde, 0, 1, 1, 2}, func(r *codec.Reader) error { _, err := r.MapHeader(); return err }, "longer header than needed"},
		{"nil for an array", []byte{0xc0}, func(r *codec.Reader) error { _, err := r.ArrayHeader(); return err }, "want an array, found nil"},
		{"-0.0", []byte{0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0}, func(r *codec.Reader) error { _, err := r.Float64(); return err }, "non-canonical float 64"},
		{"another NaN", []byte{0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0x42}, func(r *codec.Reader) error { _, err := r.Float64(); return err }, "non-canonical float 64"},
		{"float32 for a float64", codec.AppendFloat32(nil, 1.5), func(r *codec.Reader) error { _, err := r.Float64(); return err }, "want a float 64, found a float 32"},
		{"an int for a float", codec.AppendInt(nil, 1), func(r *codec.Reader) error { _, err := r.Float32(); return err }, "want a float 32, found an integer"},
		{"timestamp 64 without nanoseconds", []byte{0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 5}, readTime, "fits timestamp 32"},
		{"timestamp 96 for a small instant", []byte{0xc7, 12, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}, readTime, "fits a shorter form"},
		{"timestamp of 2e9 nanoseconds", []byte{0xd7, 0xff, 0xee, 0x6b, 0x28, 0x00, 0, 0, 0, 5}, readTime, "nanoseconds"},
		{"another extension", []byte{0xd6, 0x01, 0, 0, 0, 5}, readTime, "want a timestamp (extension -1)"},
		{"a string for a bool", codec.AppendString(nil, "true"), func(r *codec.Reader) error { _, err := r.Bool(); return err }, "want a boolean, found a string"},
		{"truncated int", []byte{0xcd, 1}, readInt, "unexpected end of input"},
		{"truncated string", []byte{0xa5, 'a'}, readString, "exceeds the 1 bytes left"},
		{"huge string header", []byte{0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}, readString, "exceeds the 1 bytes left"},
		{"huge array header", []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 1}, func(r *codec.Reader) error { _, err := r.ArrayHeader(); return err }, "exceeds the 1 bytes left"},
		{"huge map header", []byte{0xdf, 0, 1, 0, 0, 1, 1}, func(r *codec.Reader) error { _, err := r.MapHeader(); return err }, "exceeds the 2 bytes left"},
		{"trailing bytes", []byte{1, 2}, func(r *codec.Reader) error { readInt(r); return r.Done() }, "1 trailing bytes"},
		{"array of 3 for [2]", []byte{0x93, 1, 2, 3}, func(r *codec.Reader) error { return r.ArrayOf(2) }, "array of 3 elements, want 2"},
		{"bin of 3 for [4]byte", codec.AppendBytes(nil, []byte{1, 2, 3}), func(r *codec.Reader) error { return r.ByteArray(make([]byte, 4)) }, "bin of 3 bytes, want 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := codec.NewReader(c.in)
			err := c.read(&r)
			if !errors.Is(err, codec.ErrDecode) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("reading %x: %v; want ErrDecode saying %q", c.in, err, c.want)
			}
			var se *codec.SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(c.in) {
				t.Fatalf("not a *SyntaxError with an offset in the input: %#v", err)
			}
		})
	}
}

func readInt(r *codec.Reader) error    { _, err := r.Int64(); return err }
func readString(r *codec.Reader) error { _, err := r.String(); return err }
func readTime(r *codec.Reader) error   { _, err := r.TimeValue(); return err }

// TestDecimal: the stored form of named integer elements has one spelling.
func TestDecimal(t *testing.T) {
	for _, v := range intEdges {
		b := codec.AppendDecimal(nil, v)
		if got, err := codec.Decimal(b, 64); err != nil || got != v {
			t.Errorf("Decimal(%q) = %d, %v", b, got, err)
		}
	}
	if got, err := codec.DecimalUint([]byte("18446744073709551615"), 64); err != nil || got != math.MaxUint64 {
		t.Errorf("DecimalUint(max) = %d, %v", got, err)
	}
	for _, bad := range []string{"", "+5", "05", "-0", "00", " 5", "5 ", "1e3", "0x10", "5.0", "--5", "128", "-129", "٣"} {
		if v, err := codec.Decimal([]byte(bad), 8); !errors.Is(err, codec.ErrDecode) {
			t.Errorf("Decimal(%q, 8) = %d, %v; want ErrDecode", bad, v, err)
		}
	}
	for _, bad := range []string{"-1", "256", "+1", "01"} {
		if v, err := codec.DecimalUint([]byte(bad), 8); !errors.Is(err, codec.ErrDecode) {
			t.Errorf("DecimalUint(%q, 8) = %d, %v; want ErrDecode", bad, v, err)
		}
	}
}

// TestEndStruct: a struct header is the shortest for the fields kept,
// whatever was reserved.
func TestEndStruct(t *testing.T) {
	for _, max := range []int{3, 15, 16, 40} {
		for _, n := range []int{0, 1, 15, 16, 40} {
			if n > max {
				continue
			}
			b, h := codec.BeginStruct([]byte("x"), max)
			for i := range n {
				b = codec.AppendInt(b, int64(i))
			}
			b = codec.EndStruct(b, h, n)
			want := []byte("x")
			want = codec.AppendMapHeader(want, n)
			for i := range n {
				want = codec.AppendInt(want, int64(i))
			}
			if !bytes.Equal(b, want) {
				t.Errorf("struct of %d fields kept of %d: %x, want %x", n, max, b, want)
			}
		}
	}
}

// TestSortedEntries: entries come out in key order, and maps that fit the
// caller's buffer are sorted without allocating.
func TestSortedEntries(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 40 {
		m := map[int]string{}
		for len(m) < n {
			k := rng.IntN(1000) - 500
			m[k] = fmt.Sprint(k)
		}
		var buf [8]codec.Entry[int, string]
		es := codec.SortedEntries(m, buf[:0])
		keys := make([]int, len(es))
		for i, e := range es {
			keys[i] = e.Key
			if e.Val != m[e.Key] {
				t.Fatalf("entry %d: value %q for key %d", i, e.Val, e.Key)
			}
		}
		if len(keys) != n || !slices.IsSorted(keys) {
			t.Fatalf("%d entries: keys %v", n, keys)
		}
	}
	m := map[string]int{"go": 9, "redis": 8, "rust": 7, "c": 1, "zig": 2, "ada": 3, "lua": 4, "ml": 5}
	allocs := testing.AllocsPerRun(100, func() {
		var buf [8]codec.Entry[string, int]
		if len(codec.SortedEntries(m, buf[:0])) != 8 {
			panic("lost entries")
		}
	})
	if allocs != 0 {
		t.Fatalf("sorting 8 entries allocated %v times", allocs)
	}
}

// TestErrorPaths: errors say where in the value they are.
func TestErrorPaths(t *testing.T) {
	r := codec.NewReader([]byte{0xcc, 1})
	_, err := r.Int64()
	err = codec.InField(codec.InIndex(codec.InField(err, "stars"), 2), "projects")
	if want := "at byte 0 (projects[2].stars): integer 1 not in its shortest form"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	e := codec.EncodeInField(codec.EncodeInField(codec.TooDeep(), "next"), "next")
	if !errors.Is(e, codec.ErrEncode) || !strings.HasPrefix(e.Error(), "next.next: nested deeper than MaxDepth") {
		t.Fatalf("encode error %q", e)
	}
}
