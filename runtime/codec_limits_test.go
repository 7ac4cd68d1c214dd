package runtime_test

import (
	"strings"
	"testing"
	"time"

	"github.com/setgen/setgen/runtime"
)

// A fixed-size array field whose elements are all zero is left out like any
// zero field (so adding one keeps old encodings), while a slice of zeros,
// which is not a zero value, is kept.
func TestFieldArrayDropsZeroArrays(t *testing.T) {
	enc := func(write func(e *runtime.Encoder)) string {
		e := runtime.NewEncoder()
		e.BeginStruct()
		e.Field("a")
		e.String("x")
		write(e)
		e.EndStruct()
		if e.Err() != nil {
			t.Fatal(e.Err())
		}
		return string(e.Bytes())
	}
	base := enc(func(*runtime.Encoder) {})
	zeroArray := enc(func(e *runtime.Encoder) {
		e.FieldArray("h") // [2][]int{}
		e.ArrayLen(2)
		e.ArrayLen(0)
		e.ArrayLen(0)
	})
	if zeroArray != base {
		t.Fatalf("zero array field kept: %q, want %q", zeroArray, base)
	}
	nonZero := enc(func(e *runtime.Encoder) {
		e.FieldArray("h")
		e.ArrayLen(2)
		e.ArrayLen(0)
		e.ArrayLen(1)
		e.Int(0)
	})
	if nonZero == base {
		t.Fatal("array with a non-empty element dropped")
	}
	sliceOfZeros := enc(func(e *runtime.Encoder) {
		e.Field("s") // []int{0, 0}
		e.ArrayLen(2)
		e.Int(0)
		e.Int(0)
	})
	if sliceOfZeros == base {
		t.Fatal("slice of zeros dropped by Field")
	}
}

// node is a recursive type with a decoder shaped like generated ones.
type node struct{ Child *node }

type nodeCodec struct{}

func (c nodeCodec) EncodeMember(e *runtime.Encoder, v *node) {
	e.BeginStruct()
	if v.Child != nil {
		e.FieldKeep("child")
		c.EncodeMember(e, v.Child)
	}
	e.EndStruct()
}

func (c nodeCodec) DecodeMember(d *runtime.Decoder, v *node) {
	for n := d.BeginStruct(); n > 0 && d.Err() == nil; n-- {
		switch f := d.FieldName(); f {
		case "child":
			v.Child = new(node)
			c.DecodeMember(d, v.Child)
		default:
			d.UnknownField("node", f)
		}
	}
	d.EndStruct()
}

// A stored member nested far deeper than any real value is an error, not
// a stack overflow (which no recover could catch).
func TestDecodeDepthLimit(t *testing.T) {
	nested := func(depth int) string {
		var b strings.Builder
		for range depth - 1 {
			b.WriteString("\x81\xa5child")
		}
		b.WriteString("\x80")
		return b.String()
	}
	var v node
	if err := runtime.Unmarshal[node](nodeCodec{}, nested(runtime.MaxDepth), &v); err != nil {
		t.Fatalf("depth %d: %v", runtime.MaxDepth, err)
	}
	err := runtime.Unmarshal[node](nodeCodec{}, nested(2_000_000), &v)
	if err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("depth 2,000,000: err = %v, want a nesting error", err)
	}
	// Siblings do not add up: a struct with many nested children at the
	// same level decodes.
	var p node
	data, err := runtime.Marshal[node](nodeCodec{}, &node{Child: &node{Child: &node{}}})
	if err != nil || runtime.Unmarshal[node](nodeCodec{}, data, &p) != nil || p.Child == nil || p.Child.Child == nil {
		t.Fatalf("round trip: %v %+v", err, p)
	}
}

// Behind a pointer the zero time must not be nil, or &time.Time{} would
// decode as a nil pointer and re-encode differently.
func TestTimeValueZeroIsNotNil(t *testing.T) {
	e := runtime.NewEncoder()
	e.TimeValue(time.Time{})
	d := runtime.NewDecoder(string(e.Bytes()))
	if d.Nil() {
		t.Fatal("TimeValue(zero) decodes as nil")
	}
	if got := d.Time(); !got.IsZero() || d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("TimeValue(zero) decodes as %v, %v", got, d.Err())
	}
	e.Reset()
	e.Time(time.Time{})
	if d := runtime.NewDecoder(string(e.Bytes())); !d.Nil() {
		t.Fatal("Time(zero) is not nil (fields rely on it to be left out)")
	}
}
