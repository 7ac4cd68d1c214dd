package runtime_test

import (
	"testing"

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
