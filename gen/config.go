package gen

import (
	"errors"
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Config is what cachegen's flags say: which cache to generate.
type Config struct {
	Name   string   // the generated type, e.g. "TokenCache"
	Key    string   // the key type, as written in the package, e.g. "PermKey"
	Value  string   // the value type, e.g. "*Token"
	Output string   // the file to write, "" for DefaultOutput; recorded in the header
	Tags   []string // build tags to load the package with; recorded in the header

	// Deprecated, if set, marks the generated type and its constructor
	// deprecated, with this text saying what to use instead (e.g. "use
	// shard.Cache[string, string]"); recorded in the header.
	Deprecated string
}

// Validate checks what can be checked without loading the package: the
// three required flags are set, Name is a usable identifier, Key and Value
// parse as type expressions, and Output names a Go file. cachegen reports
// its errors as usage errors.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return errorf("-name is required")
	case c.Key == "":
		return errorf("-key is required")
	case c.Value == "":
		return errorf("-value is required")
	}
	if !token.IsIdentifier(c.Name) || c.Name == "_" {
		return errorf("-name=%s is not a valid Go identifier", c.Name)
	}
	if msg := nameProblem(c.Name); msg != "" {
		return errorf("-name=%s %s", c.Name, msg)
	}
	if msg := reserved(c.Name, ""); msg != "" {
		return errorf("-name=%s cannot name the generated type: %s", c.Name, msg)
	}
	if localNames[c.Name] {
		return errorf("-name=%s is a local name in the generated code; choose another", c.Name)
	}
	for _, f := range []struct{ flag, expr string }{{"key", c.Key}, {"value", c.Value}} {
		if strings.ContainsAny(f.expr, "\n\r") {
			return errorf("-%s must be on one line", f.flag)
		}
		if _, err := parser.ParseExpr(f.expr); err != nil {
			return errorf("-%s=%s is not a Go type expression: %s", f.flag, f.expr, parseMsg(err))
		}
	}
	if c.Output != "" && !strings.HasSuffix(c.Output, ".go") {
		return errorf("-output=%s must end in .go", c.Output)
	}
	if strings.ContainsAny(c.Deprecated, "\n\r") {
		return errorf("-deprecated must be on one line")
	}
	for _, t := range c.Tags {
		if t == "" || strings.ContainsAny(t, " ,\t") {
			return errorf("-tags: %q is not a build tag", t)
		}
	}
	return nil
}

// Command returns the command line that regenerates the file, as recorded in
// its header: the flags in a fixed order, values quoted only when a shell
// would need it.
func (c Config) Command() string {
	var b strings.Builder
	b.WriteString("cachegen")
	flag := func(name, val string) {
		if val != "" {
			b.WriteString(" -" + name + "=" + shellQuote(val))
		}
	}
	flag("name", c.Name)
	flag("key", c.Key)
	flag("value", c.Value)
	flag("output", c.Output)
	flag("tags", strings.Join(c.Tags, ","))
	flag("deprecated", c.Deprecated)
	return b.String()
}

// shellQuote single-quotes s if it holds anything a POSIX shell would
// interpret, so that the header can be pasted into a shell.
func shellQuote(s string) string {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-.,/*[]=:", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// Constructor returns the name of the generated constructor: New<Name> for
// an exported Name, new<Name> (first letter upper-cased) otherwise.
func (c Config) Constructor() string {
	if token.IsExported(c.Name) {
		return "New" + c.Name
	}
	r, n := utf8.DecodeRuneInString(c.Name)
	return "new" + string(unicode.ToUpper(r)) + c.Name[n:]
}

// nameProblem explains why the identifier name cannot name a generated
// cache, or returns "". An unexported name must start with an ASCII letter
// or _: one that starts with another letter (éclairCache, 缓存) has no
// ASCII upper-case form for its constructor and file name to follow, and is
// refused rather than turned into a surprising name.
func nameProblem(name string) string {
	r, _ := utf8.DecodeRuneInString(name)
	if r < utf8.RuneSelf || token.IsExported(name) {
		return ""
	}
	if unicode.IsLower(r) {
		return fmt.Sprintf("starts with the non-ASCII lower-case letter %c: an unexported name must start with an ASCII letter or _", r)
	}
	return fmt.Sprintf("starts with %c, neither upper-case nor ASCII: the name must start with an ASCII letter, _, or an upper-case letter", r)
}

// reserved explains why name cannot be declared as a type at the scope of
// a package named pkg ("" when not known yet), or returns "": init can
// only name functions, main only the function of package main, and a
// predeclared identifier (string, len, any, nil…) would be shadowed in the
// whole package, breaking the generated code and the package's own.
func reserved(name, pkg string) string {
	switch {
	case name == "init":
		return "a package can declare init only as init functions"
	case name == "main" && pkg == "main":
		return "package main can declare main only as its main function"
	case types.Universe.Lookup(name) != nil:
		return "it would shadow the predeclared identifier " + name
	}
	return ""
}

// DefaultOutput returns the file name cachegen writes when -output is not
// given: the snake-cased Name, "_cache" appended unless Name already ends in
// Cache, then ".go", or "_test.go" when a type comes from a test file. For
// example TokenCache gives token_cache.go and PermKeys perm_keys_cache.go.
func DefaultOutput(name string, test bool) string {
	s := snake(name)
	if !strings.HasSuffix(s, "_cache") && s != "cache" {
		s += "_cache"
	}
	if test {
		return s + "_test.go"
	}
	return s + ".go"
}

// snake converts a Go identifier to snake case, keeping initialisms
// together: HTTPTokenCache gives http_token_cache.
func snake(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 {
			prevLower := !unicode.IsUpper(rs[i-1]) && rs[i-1] != '_'
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || (nextLower && unicode.IsUpper(rs[i-1])) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// errorf returns an error with the "cachegen: " prefix.
func errorf(format string, args ...any) error {
	return fmt.Errorf("cachegen: "+format, args...)
}

// parseMsg returns a go/parser error without its position, which means
// nothing to the user: the expression came from a flag.
func parseMsg(err error) string {
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return list[0].Msg
	}
	return err.Error()
}
