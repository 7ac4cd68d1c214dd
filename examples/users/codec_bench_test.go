package users

import (
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

var benchUser = User{ID: "user-42", Name: "Alice", Joined: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC),
	Scores: map[string]int{"go": 9, "redis": 8, "rust": 7}}

// The generated codec against msgpack/v5's reflection with sorted map keys
// (which, unlike the generated codec, is not canonical for map[string]int).
// The side-by-side comparison with tinylib/msgp is in internal/bench.
func BenchmarkEncode(b *testing.B) {
	b.Run("setgen", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			var err error
			if buf, err = (UserCodec{}).Append(buf[:0], &benchUser); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("msgpack-reflect-sorted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			enc := msgpack.GetEncoder()
			var buf bytesBuffer
			enc.Reset(&buf)
			enc.SetSortMapKeys(true)
			if err := enc.Encode(&benchUser); err != nil {
				b.Fatal(err)
			}
			msgpack.PutEncoder(enc)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	data, err := UserCodec{}.Append(nil, &benchUser)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("setgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var u User
			if err := (UserCodec{}).Decode(data, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("msgpack-reflect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var u User
			if err := msgpack.Unmarshal(data, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCodecMatchesMsgpack checks the generated encoding is plain msgpack:
// the reflection decoder reads it back to an equal value.
func TestCodecMatchesMsgpack(t *testing.T) {
	data, err := UserCodec{}.Append(nil, &benchUser)
	if err != nil {
		t.Fatal(err)
	}
	var u User
	if err := msgpack.Unmarshal(data, &u); err != nil {
		t.Fatal(err)
	}
	if u.ID != benchUser.ID || u.Name != benchUser.Name || !u.Joined.Equal(benchUser.Joined) || len(u.Scores) != 3 || u.Scores["rust"] != 7 {
		t.Fatalf("msgpack read back %+v", u)
	}
}

func TestEncodeAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = UserCodec{}.Append(buf[:0], &benchUser)
	})
	if allocs != 0 {
		t.Fatalf("Append into a buffer with room allocated %v times", allocs)
	}
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
