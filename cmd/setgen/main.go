// Command setgen generates strongly typed, Redis-backed sets.
//
// Put a go:generate line directly above a type and run go generate:
//
//	//go:generate go run github.com/setgen/setgen/cmd/setgen -type=User -mock
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
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"

	"github.com/setgen/setgen/gen"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("setgen: ")
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("setgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	typeNames := fs.String("type", "", "comma-separated list of type names (default: the type below the go:generate line)")
	mock := fs.Bool("mock", false, "also write a gomock mock of each set's interface into <pkg>mock/")
	output := fs.String("output", "", "write every set into this file instead of <t>_set.go")
	tag := fs.String("tag", "msgpack", "the struct tag that names fields: msgpack or json")
	ttl := fs.Bool("ttl", false, "also generate <T>TTLSet, a set whose members each expire on their own")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: setgen [-type T1,T2] [-mock] [-ttl] [-output file] [-tag msgpack|json] [directory]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	if *tag != "msgpack" && *tag != "json" {
		fmt.Fprintf(stderr, "setgen: -tag %q: want msgpack or json\n", *tag)
		fs.Usage()
		return 2
	}
	cfg := gen.Config{Dir: ".", Mock: *mock, Output: *output, Tag: *tag, TTL: *ttl}
	if fs.NArg() == 1 {
		cfg.Dir = fs.Arg(0)
	}
	if *typeNames != "" {
		for _, t := range strings.Split(*typeNames, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				fmt.Fprintln(stderr, "setgen: -type has an empty name")
				fs.Usage()
				return 2
			}
			cfg.Types = append(cfg.Types, t)
		}
	} else {
		cfg.File = os.Getenv("GOFILE")
		line, err := strconv.Atoi(os.Getenv("GOLINE"))
		if cfg.File == "" || err != nil {
			fmt.Fprintln(stderr, "setgen: -type is required outside go generate")
			fs.Usage()
			return 2
		}
		cfg.Line = line
	}
	files, err := gen.Generate(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "setgen: %v\n", err)
		return 1
	}
	if _, err := gen.Write(files); err != nil {
		fmt.Fprintf(stderr, "setgen: %v\n", err)
		return 1
	}
	return 0
}
