package bench

import (
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

func msgpUserN(i int) MsgpUser {
	u := userN(i)
	return MsgpUser{ID: u.ID, Name: u.Name, Joined: u.Joined, Scores: u.Scores}
}

// BenchmarkCodec compares setgen's generated codec with tinylib/msgp's
// generated code and msgpack/v5's reflection, on the same four-field struct
// with a three-entry map. Run the variants paired (see BENCHMARKS.md):
// go test -c, then loop the binary with -test.count 1.
func BenchmarkCodec(b *testing.B) {
	u, mu := userN(42), msgpUserN(42)
	b.Run("Encode/setgen", func(b *testing.B) {
		buf := make([]byte, 0, 256)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = (userCodec{}).Append(buf[:0], &u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Encode/msgp", func(b *testing.B) {
		buf := make([]byte, 0, 256)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = mu.MarshalMsg(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Encode/setgen-nil-buffer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (userCodec{}).Append(nil, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Encode/msgp-nil-buffer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mu.MarshalMsg(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Encode/msgpack-v5-reflect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := msgpack.Marshal(&u); err != nil {
				b.Fatal(err)
			}
		}
	})
	enc, err := userCodec{}.Append(nil, &u)
	if err != nil {
		b.Fatal(err)
	}
	menc, err := mu.MarshalMsg(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Decode/setgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v user
			if err := (userCodec{}).Decode(enc, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decode/msgp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v MsgpUser
			if _, err := v.UnmarshalMsg(menc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decode/msgpack-v5-reflect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v user
			if err := msgpack.Unmarshal(enc, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCodecsAgree: the benchmarked codecs read back what they wrote, so
// the figures compare working code.
func TestCodecsAgree(t *testing.T) {
	for i := range 20 {
		u, mu := userN(i), msgpUserN(i)
		enc, err := userCodec{}.Append(nil, &u)
		if err != nil {
			t.Fatal(err)
		}
		var v user
		if err := (userCodec{}).Decode(enc, &v); err != nil || v.ID != u.ID || !v.Joined.Equal(u.Joined) || len(v.Scores) != 3 {
			t.Fatalf("setgen round trip: %+v, %v", v, err)
		}
		menc, err := mu.MarshalMsg(nil)
		if err != nil {
			t.Fatal(err)
		}
		var mv MsgpUser
		if _, err := mv.UnmarshalMsg(menc); err != nil || mv.ID != mu.ID || !mv.Joined.Equal(mu.Joined) || len(mv.Scores) != 3 {
			t.Fatalf("msgp round trip: %+v, %v", mv, err)
		}
	}
}
