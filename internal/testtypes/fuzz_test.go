package testtypes_test

import (
	"bytes"
	"testing"

	"github.com/setgen/setgen/internal/testtypes"
	"github.com/setgen/setgen/runtime"
)

// fuzzDecode checks the generated decoder on any input: it never panics,
// and whatever it accepts is canonical (the decoded value encodes back to
// exactly the input), so no two inputs decode to one member.
func fuzzDecode[T any](f *testing.F, c runtime.Codec[T], seeds [][]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v T
		if err := c.Decode(data, &v); err != nil {
			return
		}
		again, err := c.Append(nil, &v)
		if err != nil {
			t.Fatalf("Decode(%x) accepted a value that does not encode: %v", data, err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("Decode accepted non-canonical bytes:\n in  %x\n out %x", data, again)
		}
	})
}

func FuzzDecodeKitchen(f *testing.F) {
	var seeds [][]byte
	for _, k := range kitchens() {
		seeds = append(seeds, enc(f, testtypes.KitchenCodec{}, k))
	}
	fuzzDecode(f, testtypes.KitchenCodec{}, seeds)
}

func FuzzDecodeUser(f *testing.F) {
	fuzzDecode(f, testtypes.UserCodec{}, [][]byte{
		enc(f, testtypes.UserCodec{}, testtypes.User{ID: "a", Scores: map[string]int{"x": 1, "y": -200}}),
		enc(f, testtypes.UserCodec{}, testtypes.User{}),
	})
}

func FuzzDecodeNode(f *testing.F) {
	n := testtypes.Node{Name: "root", Next: &testtypes.Node{Name: "next"}, Kids: []testtypes.Node{{Name: "kid"}, {}}}
	fuzzDecode(f, testtypes.NodeCodec{}, [][]byte{enc(f, testtypes.NodeCodec{}, n)})
}

func FuzzDecodeNum(f *testing.F) {
	fuzzDecode(f, testtypes.NumCodec{}, [][]byte{[]byte("42"), []byte("-9223372036854775808")})
}
