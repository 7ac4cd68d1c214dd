package gen

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrUsage is wrapped by ParseArgs' errors about the command line itself
// (the command exits 2 on them, 1 on a failed generation).
var ErrUsage = errors.New("usage")

// ParseArgs parses setgen's command line (without the program's name)
// into a Config. getenv reads go generate's GOFILE and GOLINE, which name
// the type when -type is not given. Usage and flag errors are written to
// stderr; the error returned wraps ErrUsage, or flag.ErrHelp for -h.
func ParseArgs(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
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
	usage := func(format string, a ...any) (Config, error) {
		fmt.Fprintf(stderr, "setgen: "+format+"\n", a...)
		fs.Usage()
		return Config{}, fmt.Errorf("%w: "+format, append([]any{ErrUsage}, a...)...)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, err
		}
		return Config{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if fs.NArg() > 1 {
		return usage("at most one directory, got %q", fs.Args())
	}
	if *tag != "msgpack" && *tag != "json" {
		return usage("-tag %q: want msgpack or json", *tag)
	}
	cfg := Config{Dir: ".", Mock: *mock, Output: *output, Tag: *tag, TTL: *ttl, Args: args}
	if fs.NArg() == 1 {
		cfg.Dir = fs.Arg(0)
	}
	if *typeNames != "" {
		for _, t := range strings.Split(*typeNames, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				return usage("-type has an empty name")
			}
			cfg.Types = append(cfg.Types, t)
		}
		return cfg, nil
	}
	cfg.File = getenv("GOFILE")
	line, err := strconv.Atoi(getenv("GOLINE"))
	if cfg.File == "" || err != nil {
		return usage("-type is required outside go generate")
	}
	cfg.Line = line
	return cfg, nil
}
