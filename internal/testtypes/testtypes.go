// Package testtypes holds types whose sets and codecs setgen generates, for
// the tests and benchmarks of the runtime and of the codec: every kind of
// field the generator supports, raw and decimal elements, a recursive type,
// an alias of an external type and an instance of a generic type. Nothing
// here is hand-encoded: tests exercise the generated code itself.
package testtypes

import (
	"math/big"
	"net/netip"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Str is stored as its raw bytes.
//
//go:generate go run github.com/setgen/setgen/cmd/setgen -type=Str,Num,Blob,Flag,Item,User,Kitchen,Node,Host,IntPair -mock
type Str string

// Num is stored as its decimal text.
type Num int64

// Blob is stored as its raw bytes.
type Blob []byte

// Flag is a named bool: stored as MessagePack.
type Flag bool

// Item is a small struct: an id and a map.
type Item struct {
	ID   string         `msgpack:"id"`
	Tags map[string]int `msgpack:"tags"`
}

// User is the four-field struct the benchmarks use.
//
//go:generate go run github.com/setgen/setgen/cmd/setgen -type=Visit -mock -ttl
type User struct {
	ID     string         `msgpack:"id"`
	Name   string         `msgpack:"name"`
	Joined time.Time      `msgpack:"joined"`
	Scores map[string]int `msgpack:"scores"`
}

// Visit is the element of a TTL set (setgen -ttl): a user seen on a page.
type Visit struct {
	User string `msgpack:"user"`
	Page string `msgpack:"page"`
}

// Role is a named string inside structs: stored as a MessagePack str.
type Role string

// Inner is a nested struct.
type Inner struct {
	Name  string `msgpack:"name"`
	Stars int32  `msgpack:"stars"`
}

// Key is a comparable struct used as a map key.
type Key struct {
	A string `msgpack:"a"`
	B int    `msgpack:"b"`
}

// Base is embedded in Kitchen: its fields are flattened.
type Base struct {
	Origin string `msgpack:"origin"`
}

// Celsius encodes itself with msgpack/v5 (as an integer of tenths).
type Celsius struct{ Deci int }

// EncodeMsgpack implements msgpack.CustomEncoder.
func (c *Celsius) EncodeMsgpack(e *msgpack.Encoder) error { return e.EncodeInt(int64(c.Deci)) }

// DecodeMsgpack implements msgpack.CustomDecoder.
func (c *Celsius) DecodeMsgpack(d *msgpack.Decoder) error {
	v, err := d.DecodeInt()
	c.Deci = v
	return err
}

// Kitchen has a field of every kind.
type Kitchen struct {
	Base
	B      bool                `msgpack:"b"`
	I      int                 `msgpack:"i"`
	I8     int8                `msgpack:"i8"`
	I64    int64               `msgpack:"i64"`
	U      uint                `msgpack:"u"`
	U16    uint16              `msgpack:"u16"`
	U64    uint64              `msgpack:"u64"`
	F32    float32             `msgpack:"f32"`
	F64    float64             `msgpack:"f64"`
	S      string              `msgpack:"s"`
	Role   Role                `msgpack:"role"`
	Bytes  []byte              `msgpack:"bytes"`
	Hash   [4]byte             `msgpack:"hash"`
	T      time.Time           `msgpack:"t"`
	TP     *time.Time          `msgpack:"tp"`
	D      time.Duration       `msgpack:"d"`
	P      *int                `msgpack:"p"`
	Inner  Inner               `msgpack:"inner"`
	InnerP *Inner              `msgpack:"inner_p"`
	Ints   []int               `msgpack:"ints"`
	Inners []Inner             `msgpack:"inners"`
	Arr    [3]int16            `msgpack:"arr"`
	ArrS   [2][]string         `msgpack:"arr_s"`
	M      map[string]int      `msgpack:"m"`
	MI     map[int64]string    `msgpack:"mi"`
	MF     map[float64]bool    `msgpack:"mf"`
	MB     map[bool]string     `msgpack:"mb"`
	MK     map[Key]Inner       `msgpack:"mk"`
	MM     map[string][]Role   `msgpack:"mm"`
	Addr   netip.Addr          `msgpack:"addr"`
	Big    *big.Int            `msgpack:"big"`
	Temp   Celsius             `msgpack:"temp"`
	Pair   Pair[string, int]   `msgpack:"pair"`
	Deep   [2][2][]string      `msgpack:"deep"`
	Stamps [2]time.Time        `msgpack:"stamps"`
	MT     map[time.Time]int   `msgpack:"mt"`
	GA     List[int]           `msgpack:"ga"`
	Times  []time.Time         `msgpack:"times"`
	Skip   string              `msgpack:"-"`
	Seen   map[string]struct{} `msgpack:"-"`
}

// Node is recursive, through a pointer and a slice.
type Node struct {
	Name string `msgpack:"name"`
	Next *Node  `msgpack:"next"`
	Kids []Node `msgpack:"kids"`
}

// Host is a set of netip.Addr: an alias of an external type that stores
// itself (encoding.BinaryMarshaler).
type Host = netip.Addr

// Pair is generic; its instances can be stored.
type Pair[A, B any] struct {
	First  A `msgpack:"first"`
	Second B `msgpack:"second"`
}

// List is a generic alias.
type List[T any] = []T

// IntPair is an instance of a generic type.
type IntPair Pair[int, string]

// Doc is tagged for encoding/json; setgen -tag json names its fields so.
//
//go:generate go run github.com/setgen/setgen/cmd/setgen -type=Doc -tag json
type Doc struct {
	Title string   `json:"title"`
	Pages int      `json:"pages,omitempty"`
	Tags  []string `json:"tags"`
	Note  string   `json:"-"`
}
