package testtypes_test

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/setgen/setgen/internal/testtypes"
	"github.com/setgen/setgen/runtime"
	"github.com/setgen/setgen/runtime/codec"
)

func enc[T any](t testing.TB, c runtime.Codec[T], v T) []byte {
	t.Helper()
	b, err := c.Append(nil, &v)
	if err != nil {
		t.Fatalf("Append(%+v): %v", v, err)
	}
	return b
}

// canonical checks that b decodes and that the value encodes back to b.
func canonical[T any](t testing.TB, c runtime.Codec[T], b []byte) T {
	t.Helper()
	var v T
	if err := c.Decode(b, &v); err != nil {
		t.Fatalf("Decode(%x): %v", b, err)
	}
	if again := enc(t, c, v); !bytes.Equal(again, b) {
		t.Fatalf("Decode then Append is not the identity:\n in  %x\n out %x", b, again)
	}
	return v
}

func kitchens() []testtypes.Kitchen {
	at := time.Date(2026, 12, 2, 12, 30, 0, 123, time.UTC)
	seven := 7
	zero := 0
	return []testtypes.Kitchen{
		{},
		{B: true, I: -1, I8: math.MinInt8, I64: math.MaxInt64, U: math.MaxUint32 + 1, U16: math.MaxUint16, U64: math.MaxUint64,
			F32: 1.5, F64: -2.25, S: "héllo", Role: "admin", Bytes: []byte{0, 1, 2}, Hash: [4]byte{1, 0, 0, 0}},
		{T: at, TP: &time.Time{}, D: time.Hour, P: &zero, Inner: testtypes.Inner{Name: "n"}, InnerP: &testtypes.Inner{}},
		{Ints: []int{3, 1, 2}, Inners: []testtypes.Inner{{}, {Name: "x", Stars: -3}}, Arr: [3]int16{0, 0, 1}, ArrS: [2][]string{nil, {"a"}}},
		{M: map[string]int{"b": 2, "a": 1, "": 0}, MI: map[int64]string{-5: "neg", 0: "zero", 1 << 40: "big"},
			MF: map[float64]bool{-1.5: true, 0: false, math.Inf(1): true}, MB: map[bool]string{true: "t", false: "f"},
			MK: map[testtypes.Key]testtypes.Inner{{A: "x", B: 1}: {Stars: 2}, {}: {Name: "zero key"}}, MM: map[string][]testtypes.Role{"r": {"a", "b"}}},
		{Addr: netip.MustParseAddr("2001:db8::1"), Big: big.NewInt(-123456789), Temp: testtypes.Celsius{Deci: 215},
			Pair: testtypes.Pair[string, int]{First: "one", Second: 1}, Base: testtypes.Base{Origin: "embedded"}, P: &seven},
		{Addr: netip.MustParseAddr("10.0.0.1"), Big: new(big.Int).Lsh(big.NewInt(1), 200), T: time.Unix(-1e10, 5).UTC(), TP: &at,
			F64: math.NaN(), F32: float32(math.Inf(-1))},
	}
}

// TestKitchenRoundTrip: every kind of field round-trips, and the decoded
// value encodes back to the very same bytes.
func TestKitchenRoundTrip(t *testing.T) {
	for i, k := range kitchens() {
		b := enc(t, testtypes.KitchenCodec{}, k)
		got := canonical(t, testtypes.KitchenCodec{}, b)
		got.Skip, k.Skip = "", ""
		if k.F64 != k.F64 { // NaN != NaN
			got.F64, k.F64 = 0, 0
		}
		if k.Big != nil && (got.Big == nil || got.Big.Cmp(k.Big) != 0) {
			t.Fatalf("kitchen %d: Big %v, want %v", i, got.Big, k.Big)
		}
		got.Big, k.Big = nil, nil
		if !reflect.DeepEqual(got, k) {
			t.Errorf("kitchen %d:\n got %#v\nwant %#v", i, got, k)
		}
	}
}

// TestEqualValuesOneEncoding: values that are the same member give the
// same bytes: maps in any insertion order, times in any zone, -0 and 0.
func TestEqualValuesOneEncoding(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	a := testtypes.Kitchen{T: at, F64: 0, M: map[string]int{}}
	b := testtypes.Kitchen{T: at.In(time.FixedZone("east", 5*3600)), F64: math.Copysign(0, -1)}
	for i := range 100 {
		a.M[string(rune('a'+i%26))+strings.Repeat("x", i/26)] = i
	}
	b.M = map[string]int{}
	for i := 99; i >= 0; i-- {
		b.M[string(rune('a'+i%26))+strings.Repeat("x", i/26)] = i
	}
	if ea, eb := enc(t, testtypes.KitchenCodec{}, a), enc(t, testtypes.KitchenCodec{}, b); !bytes.Equal(ea, eb) {
		t.Fatalf("equal values encode differently:\n%x\n%x", ea, eb)
	}
	// Nil and empty collections are one value, left out of the struct.
	if ea, eb := enc(t, testtypes.ItemCodec{}, testtypes.Item{ID: "x"}), enc(t, testtypes.ItemCodec{}, testtypes.Item{ID: "x", Tags: map[string]int{}}); !bytes.Equal(ea, eb) {
		t.Fatalf("nil and empty map encode differently")
	}
}

// TestMsgpackReadsSetgen: msgpack/v5, the reference format, decodes every
// member setgen writes to a value that setgen encodes to the same bytes.
func TestMsgpackReadsSetgen(t *testing.T) {
	for i, k := range kitchens() {
		b := enc(t, testtypes.KitchenCodec{}, k)
		var back testtypes.Kitchen
		if err := msgpack.Unmarshal(b, &back); err != nil {
			t.Fatalf("kitchen %d: msgpack.Unmarshal: %v", i, err)
		}
		if again := enc(t, testtypes.KitchenCodec{}, back); !bytes.Equal(again, b) {
			t.Errorf("kitchen %d: msgpack/v5 read a different value:\n setgen %x\n msgpack %x\n%#v", i, b, again, back)
		}
	}
	u := testtypes.User{ID: "u1", Name: "Ann", Joined: time.Unix(1700000000, 0), Scores: map[string]int{"go": 9, "c": -300}}
	var back testtypes.User
	if err := msgpack.Unmarshal(enc(t, testtypes.UserCodec{}, u), &back); err != nil || !back.Joined.Equal(u.Joined) || !reflect.DeepEqual(back.Scores, u.Scores) {
		t.Fatalf("msgpack read %+v, %v", back, err)
	}
}

// TestDecodeRejectsNonCanonical: valid MessagePack for a User in another
// form than setgen's is an error, never a second copy of the member.
func TestDecodeRejectsNonCanonical(t *testing.T) {
	u := testtypes.User{ID: "u1", Name: "Ann", Joined: time.Unix(1700000000, 0), Scores: map[string]int{"a": 1, "b": 2}}
	// msgpack/v5 writes fields in declaration order, as Python's packb does.
	declared, err := msgpack.Marshal(&u)
	if err != nil {
		t.Fatal(err)
	}
	m := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	s := func(v string) []byte { return codec.AppendString(nil, v) }
	i := func(v int64) []byte { return codec.AppendInt(nil, v) }
	h := codec.AppendMapHeader
	cases := map[string]struct {
		in   []byte
		want string
	}{
		"declaration order":     {declared, `field "joined" out of order`},
		"zero field present":    {m(h(nil, 2), s("id"), s("u1"), s("name"), s("")), "name): field present at its zero value"},
		"nil time present":      {m(h(nil, 2), s("id"), s("u1"), s("joined"), []byte{0xc0}), "joined): field present at its zero value"},
		"empty map present":     {m(h(nil, 2), s("id"), s("u1"), s("scores"), h(nil, 0)), "scores): field present at its zero value"},
		"repeated field":        {m(h(nil, 2), s("id"), s("a"), s("id"), s("b")), `field "id" out of order or repeated`},
		"unknown field":         {m(h(nil, 1), s("email"), s("x")), `User has no field "email"`},
		"map keys out of order": {m(h(nil, 1), s("scores"), h(nil, 2), s("b"), i(2), s("a"), i(1)), "(scores): map key out of order"},
		"repeated map key":      {m(h(nil, 1), s("scores"), h(nil, 2), s("a"), i(2), s("a"), i(1)), "(scores): map key out of order or repeated"},
		"long int":              {m(h(nil, 1), s("scores"), h(nil, 1), s("a"), []byte{0xd1, 0, 5}), "(scores[0]): integer 5 not in its shortest form"},
		"float for an int":      {m(h(nil, 1), s("scores"), h(nil, 1), s("a"), codec.AppendFloat64(nil, 5)), "want an integer, found a float 64"},
		"trailing bytes":        {append(enc(t, testtypes.UserCodec{}, u), 0xc0), "1 trailing bytes"},
		"not a map":             {s("u1"), "want a map, found a string"},
		"empty":                 {nil, "unexpected end of input"},
	}
	for name, c := range cases {
		var v testtypes.User
		err := testtypes.UserCodec{}.Decode(c.in, &v)
		if !errors.Is(err, runtime.ErrDecode) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Decode(%x) = %v; want ErrDecode saying %q", name, c.in, err, c.want)
		}
	}
	// A map key of another kind, and a [N]byte of the wrong length.
	var k testtypes.Kitchen
	if err := (testtypes.KitchenCodec{}).Decode(m(h(nil, 1), s("hash"), codec.AppendBytes(nil, []byte{1, 2})), &k); !errors.Is(err, runtime.ErrDecode) ||
		!strings.Contains(err.Error(), "bin of 2 bytes, want 4") {
		t.Errorf("short [4]byte: %v", err)
	}
	// A marshaler's bytes in a form it does not write back (an IPv4 address as text, not binary).
	if err := (testtypes.KitchenCodec{}).Decode(m(h(nil, 1), s("big"), s("+5")), &k); !errors.Is(err, runtime.ErrDecode) ||
		!strings.Contains(err.Error(), `not canonical: "+5" marshals back as "5"`) {
		t.Errorf(`big.Int "+5": %v`, err)
	}
}

// TestDepth: a cycle or a value nested deeper than runtime.MaxDepth is an
// ErrEncode error, not a crash; hostile deep bytes are an ErrDecode error.
func TestDepth(t *testing.T) {
	cyc := &testtypes.Node{Name: "a"}
	cyc.Next = cyc
	if _, err := (testtypes.NodeCodec{}).Append(nil, cyc); !errors.Is(err, runtime.ErrEncode) || !strings.Contains(err.Error(), "nested deeper than MaxDepth") {
		t.Fatalf("cycle: %v", err)
	}
	deep := func(n int) *testtypes.Node {
		var head *testtypes.Node
		for range n {
			head = &testtypes.Node{Name: "n", Next: head}
		}
		return head
	}
	// Exactly the depth the decoder accepts: one level more does not encode.
	if _, err := (testtypes.NodeCodec{}).Append(nil, deep(runtime.MaxDepth+1)); !errors.Is(err, runtime.ErrEncode) {
		t.Fatalf("%d deep: %v", runtime.MaxDepth+1, err)
	}
	ok := deep(runtime.MaxDepth)
	b := enc(t, testtypes.NodeCodec{}, *ok)
	canonical(t, testtypes.NodeCodec{}, b)
	// 1,500 levels written by hand: the decoder refuses, without recursing past its bound.
	var hostile []byte
	for range 1500 {
		hostile = append(hostile, codec.AppendMapHeader(nil, 1)...)
		hostile = append(hostile, codec.AppendString(nil, "next")...)
	}
	hostile = append(hostile, codec.AppendMapHeader(nil, 0)...)
	var n testtypes.Node
	if err := (testtypes.NodeCodec{}).Decode(hostile, &n); !errors.Is(err, runtime.ErrDecode) || !strings.Contains(err.Error(), "nested deeper than") {
		t.Fatalf("1500 deep: %v", err)
	}
}

// TestElementsStoredNatively: named strings and byte slices are their raw
// bytes, named integers their decimal text, in one spelling.
func TestElementsStoredNatively(t *testing.T) {
	if b := enc(t, testtypes.StrCodec{}, "redis-cli"); string(b) != "redis-cli" {
		t.Fatalf("Str stored as %q", b)
	}
	if b := enc(t, testtypes.BlobCodec{}, testtypes.Blob("\x00\xff")); string(b) != "\x00\xff" {
		t.Fatalf("Blob stored as %q", b)
	}
	for _, v := range []testtypes.Num{0, 42, -7, math.MaxInt64, math.MinInt64} {
		b := enc(t, testtypes.NumCodec{}, v)
		if got := canonical(t, testtypes.NumCodec{}, b); got != v {
			t.Fatalf("Num %d read back as %d", v, got)
		}
	}
	if b := enc(t, testtypes.NumCodec{}, 42); string(b) != "42" {
		t.Fatalf("Num 42 stored as %q", b)
	}
	for _, bad := range []string{"7\n", "+7", "07", "-0", "seven", "9223372036854775808", ""} {
		var n testtypes.Num
		if err := (testtypes.NumCodec{}).Decode([]byte(bad), &n); !errors.Is(err, runtime.ErrDecode) {
			t.Errorf("Num from %q: %d, %v", bad, n, err)
		}
	}
	// An alias of an external type that stores itself (netip.Addr: MarshalBinary).
	h := netip.MustParseAddr("192.0.2.1")
	b := enc(t, testtypes.HostCodec{}, h)
	if !bytes.Equal(b, codec.AppendBytes(nil, h.AsSlice())) {
		t.Fatalf("Host stored as %x", b)
	}
	if got := canonical(t, testtypes.HostCodec{}, b); got != h {
		t.Fatalf("Host read back as %v", got)
	}
	// An instance of a generic type.
	p := testtypes.IntPair{First: 1, Second: "one"}
	if got := canonical(t, testtypes.IntPairCodec{}, enc(t, testtypes.IntPairCodec{}, p)); got != p {
		t.Fatalf("IntPair read back as %+v", got)
	}
	// -tag json names fields by their json tags.
	d := enc(t, testtypes.DocCodec{}, testtypes.Doc{Title: "t", Pages: 3, Note: "not stored"})
	if !bytes.Contains(d, []byte("\xa5title")) || !bytes.Contains(d, []byte("\xa5pages")) || bytes.Contains(d, []byte("not stored")) {
		t.Fatalf("Doc stored as %q", d)
	}
}

// TestAppendAllocatesNothing: encoding into a buffer with room allocates
// nothing, maps included (up to eight entries).
func TestAppendAllocatesNothing(t *testing.T) {
	u := testtypes.User{ID: "user-42", Name: "Alice", Joined: time.Unix(1700000000, 0), Scores: map[string]int{"go": 9, "redis": 8, "rust": 7}}
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() { buf, _ = testtypes.UserCodec{}.Append(buf[:0], &u) }); n != 0 {
		t.Fatalf("User: %v allocations", n)
	}
	// (Kitchen is not used here: its msgpack/v5 custom-encoder field goes
	// through a sync.Pool, which -race empties at random.)
	it := testtypes.Item{ID: "item-7", Tags: map[string]int{"a": 1, "b": -2, "c": 300}}
	if n := testing.AllocsPerRun(100, func() { buf, _ = testtypes.ItemCodec{}.Append(buf[:0], &it) }); n != 0 {
		t.Fatalf("Item: %v allocations", n)
	}
	p := testtypes.IntPair{First: 7, Second: "seven"}
	if n := testing.AllocsPerRun(100, func() { buf, _ = testtypes.IntPairCodec{}.Append(buf[:0], &p) }); n != 0 {
		t.Fatalf("IntPair: %v allocations", n)
	}
}

// TestReviewedEdges: encodings that once had a second form, or that the
// encoder wrote and its decoder refused.
func TestReviewedEdges(t *testing.T) {
	m := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	s := func(v string) []byte { return codec.AppendString(nil, v) }
	h := codec.AppendMapHeader
	a := codec.AppendArrayHeader
	var k testtypes.Kitchen
	bad := map[string][]byte{
		// The zero time as a 96-bit timestamp, where it is nil.
		"zero time as a timestamp": m(h(nil, 1), s("times"), a(nil, 1), codec.AppendTimeValue(nil, time.Time{})),
		// A nested array of zero values present.
		"nested zero array": m(h(nil, 1), s("deep"), a(nil, 2), a(nil, 2), a(nil, 0), a(nil, 0), a(nil, 2), a(nil, 0), a(nil, 0)),
		// An array of zero times present.
		"zero times": m(h(nil, 1), s("stamps"), a(nil, 2), []byte{0xc0, 0xc0}),
		// A NaN map key.
		"NaN key": m(h(nil, 1), s("mf"), h(nil, 1), codec.AppendFloat64(nil, math.NaN()), []byte{0xc3}),
	}
	for name, in := range bad {
		if err := (testtypes.KitchenCodec{}).Decode(in, &k); !errors.Is(err, runtime.ErrDecode) {
			t.Errorf("%s: Decode(%x) = %v; want ErrDecode", name, in, err)
		}
	}
	// What the encoder writes for such values, its decoder reads.
	local := time.Time{}.Local()
	for _, v := range []testtypes.Kitchen{
		{Stamps: [2]time.Time{local, {}}},
		{Deep: [2][2][]string{{nil, {"x"}}, {}}},
		{Times: []time.Time{{}, time.Unix(5, 0)}},
		{GA: testtypes.List[int]{1, 2}},
		{MT: map[time.Time]int{time.Unix(1, 0): 1, time.Unix(2, 0).In(time.FixedZone("z", 60)): 2}},
	} {
		b := enc(t, testtypes.KitchenCodec{}, v)
		canonical(t, testtypes.KitchenCodec{}, b)
	}
	// Distinct Go keys that are one stored key, and NaN keys, do not encode.
	now := time.Now()
	for name, v := range map[string]testtypes.Kitchen{
		"one instant in two zones": {MT: map[time.Time]int{now.UTC(): 1, now.In(time.FixedZone("z", 3600)): 2}},
		"a NaN key":                {MF: map[float64]bool{math.NaN(): true, 1: false}},
	} {
		if _, err := (testtypes.KitchenCodec{}).Append(nil, &v); !errors.Is(err, runtime.ErrEncode) {
			t.Errorf("%s: Append = %v; want ErrEncode", name, err)
		}
	}
}
