package users

import (
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/setgen/setgen/runtime"
)

var benchUser = User{ID: "user-42", Name: "Alice", Joined: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC),
	Scores: map[string]int{"go": 9, "redis": 8, "rust": 7}}

// The generated codec against msgpack/v5's reflection with sorted map keys
// (which, unlike the generated codec, is not canonical for map[string]int).
func BenchmarkEncode(b *testing.B) {
	b.Run("setgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := runtime.Marshal[User](userCodec{}, &benchUser); err != nil {
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
			_ = string(buf.b)
			msgpack.PutEncoder(enc)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	data, err := runtime.Marshal[User](userCodec{}, &benchUser)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("setgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var u User
			if err := runtime.Unmarshal[User](userCodec{}, data, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("msgpack-reflect", func(b *testing.B) {
		b.ReportAllocs()
		raw := []byte(data)
		for b.Loop() {
			var u User
			if err := msgpack.Unmarshal(raw, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCodecMatchesMsgpack checks the generated encoding is plain msgpack:
// the reflection decoder reads it back.
func TestCodecMatchesMsgpack(t *testing.T) {
	data, err := runtime.Marshal[User](userCodec{}, &benchUser)
	if err != nil {
		t.Fatal(err)
	}
	var u User
	if err := msgpack.Unmarshal([]byte(data), &u); err != nil {
		t.Fatal(err)
	}
	if u.ID != benchUser.ID || u.Name != benchUser.Name || !u.Joined.Equal(benchUser.Joined) || len(u.Scores) != 3 || u.Scores["rust"] != 7 {
		t.Fatalf("msgpack read back %+v", u)
	}
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
