package bench

import "time"

// MsgpUser is the same struct as setgen's User, with tinylib/msgp's
// generated MarshalMsg/UnmarshalMsg (msgp_user_gen.go): the speed anchor
// of setgen's codec. msgp's output is not canonical (maps in iteration
// order); it is compared for speed only.
//
//go:generate go run github.com/tinylib/msgp@v1.6.5 -file msgp_user.go -tests=false
type MsgpUser struct {
	ID     string         `msg:"id"`
	Name   string         `msg:"name"`
	Joined time.Time      `msg:"joined"`
	Scores map[string]int `msg:"scores"`
}
