// Command setgen generates strongly typed, Redis-backed sets.
//
// Install it as a tool of your module (go get -tool
// github.com/setgen/setgen/cmd/setgen), put a go:generate line directly
// above a type and run go generate:
//
//	//go:generate go tool setgen -type=User -mock
//	type User struct {
//		ID   string `msgpack:"id"`
//		Name string `msgpack:"name"`
//	}
//
// setgen writes user_set.go next to the source: the UserSet type (every
// method of a Redis set: Add, Remove, Contains, Members, Union, ...), its
// UserSetAPI interface, NewUserSet, and UserCodec, the canonical MessagePack
// codec of User.
// With -mock it also writes usersmock/user_set_mock.go, a go.uber.org/mock
// mock of UserSetAPI for unit tests.
//
// Usage:
//
//	setgen [flags] [directory]
//
// Flags:
//
//	-type T1,T2   the types to generate sets for; may be omitted when the
//	              go:generate line stands directly above one type declaration
//	-mock         also write <pkg>mock/<t>_set_mock.go
//	-ttl          also generate <T>TTLSet (members that expire one by one)
//	-output FILE  write every set into FILE instead of <t>_set.go
//	-tag json     name struct fields by their json tags instead of msgpack tags
//
// Any named type is accepted: structs, named strings (stored as their raw
// bytes, so redis-cli and other languages can read them), integers, slices
// and maps. A field of a type that cannot be stored (chan, func,
// unsafe.Pointer, an interface) is reported as file:line: field X: why, and
// nothing is written. Files are rewritten only when their bytes change; the
// generated code stops compiling if the types change after generation.
//
// Exit status: 0 on success, 1 when generation fails, 2 on bad usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/setgen/setgen/gen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// run is the command: it parses args (reading go generate's GOFILE and
// GOLINE through getenv), generates and writes the files, and returns the
// exit status.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := gen.ParseArgs(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) || errors.Is(err, gen.ErrUsage) {
		return 2
	}
	files, err := gen.Generate(cfg)
	if err == nil {
		_, err = gen.Write(files)
	}
	if err != nil {
		fmt.Fprintf(stderr, "setgen: %v\n", err)
		return 1
	}
	return 0
}
