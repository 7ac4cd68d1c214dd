package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/setgen/setgen/internal/redistest"
	"github.com/setgen/setgen/runtime"
)

// strCodec stores strings as their raw bytes, like a generated codec for a
// named string type.
type strCodec struct{}

func (strCodec) EncodeMember(e *runtime.Encoder, v *string) { e.RawString(*v) }
func (strCodec) DecodeMember(d *runtime.Decoder, v *string) { *v = d.RawString() }

// item is a small struct with a hand-written canonical codec, like the ones
// setgen generates.
type item struct {
	ID   string
	Tags map[string]int
}

type itemCodec struct{}

func (itemCodec) EncodeMember(e *runtime.Encoder, v *item) {
	e.BeginStruct()
	e.Field("id")
	e.String(v.ID)
	e.Field("tags")
	runtime.EncodeMap(e, v.Tags, (*runtime.Encoder).String, func(e *runtime.Encoder, n int) { e.Int(int64(n)) })
	e.EndStruct()
}

func (itemCodec) DecodeMember(d *runtime.Decoder, v *item) {
	n := d.BeginStruct()
	for range n {
		switch name := d.FieldName(); name {
		case "id":
			v.ID = d.String()
		case "tags":
			runtime.DecodeMap(d, &v.Tags, (*runtime.Decoder).String, func(d *runtime.Decoder) int { return int(d.Int(64)) })
		default:
			d.UnknownField("item", name)
		}
	}
	d.EndStruct()
}

func newManager(t testing.TB, srv *redistest.Server, mod func(*runtime.Options)) *runtime.ConnectionManager {
	t.Helper()
	o := runtime.Options{Addrs: []string{srv.Addr}, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	cm, err := runtime.NewConnectionManager(o)
	if err != nil {
		t.Fatalf("NewConnectionManager: %v", err)
	}
	t.Cleanup(cm.Close)
	return cm
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
