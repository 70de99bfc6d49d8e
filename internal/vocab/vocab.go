// Package vocab checks that hotcache's packages share one vocabulary: the
// fields of every options and stats type are listed in the tables of
// docs/vocabulary.md, with the type the table gives, and one name has one
// type across packages. The root module's test and the nested modules'
// tests (tier) call Check with their own types.
package vocab

import (
	"bufio"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// row is a table row of docs/vocabulary.md: a name, its type, and the
// third column (the default, or the meaning).
type row struct{ typ, third string }

// rowRE matches "| `Name` | `type` | third |".
var rowRE = regexp.MustCompile("^\\| `(\\w+)` \\| `([^`]+)` \\| ([^|]*) \\|")

// Tables returns the rows of the "## Options" and "## Stats" tables of
// the vocabulary document at path, by name, and every table line of the
// document (for comparing with the README's copy).
func Tables(tb testing.TB, path string) (options, stats map[string]row, lines []string) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	options, stats = map[string]row{}, map[string]row{}
	var cur map[string]row
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			cur = map[string]map[string]row{"## Options": options, "## Stats": stats}[line]
		case strings.HasPrefix(line, "|"):
			lines = append(lines, line)
			m := rowRE.FindStringSubmatch(line)
			if m == nil || cur == nil {
				continue
			}
			if _, dup := cur[m[1]]; dup {
				tb.Errorf("%s: %s is listed twice in one table", path, m[1])
			}
			cur[m[1]] = row{typ: m[2], third: strings.TrimSpace(m[3])}
		}
	}
	if err := s.Err(); err != nil {
		tb.Fatal(err)
	}
	return options, stats, lines
}

// typeName is how the tables write t: "func" for any function, a generic
// type without its type arguments.
func typeName(t reflect.Type) string {
	if t.Kind() == reflect.Func {
		return "func"
	}
	n := t.String()
	if i := strings.IndexByte(n, '['); i > 0 && strings.Contains(n[:i], ".") {
		n = n[:i]
	}
	return n
}

// Check checks options and stats, struct types, against the vocabulary
// document at path: each exported field is in the matching table with the
// table's type and a non-empty default or meaning, and fields of one name
// have one type across the options types given, and across the stats
// types (an options field and a stats field of one name, such as L1, are
// the two sides of one thing).
func Check(tb testing.TB, path string, options, stats []reflect.Type) {
	tb.Helper()
	optRows, statRows, _ := Tables(tb, path)
	check := func(types []reflect.Type, rows map[string]row, table string) {
		seen := map[string]reflect.StructField{}
		seenIn := map[string]reflect.Type{}
		for _, st := range types {
			for i := range st.NumField() {
				f := st.Field(i)
				if !f.IsExported() {
					continue
				}
				r, ok := rows[f.Name]
				switch {
				case !ok:
					tb.Errorf("%s.%s (%s) is not in the %s table of %s", st, f.Name, f.Type, table, path)
				case r.typ != typeName(f.Type):
					tb.Errorf("%s.%s is %s, but the %s table says %s", st, f.Name, typeName(f.Type), table, r.typ)
				case r.third == "":
					tb.Errorf("%s.%s: the %s table gives no default or meaning", st, f.Name, table)
				}
				if prev, ok := seen[f.Name]; ok && prev.Type != f.Type && typeName(prev.Type) != typeName(f.Type) {
					tb.Errorf("%s is %s in %s but %s in %s: one name, one type", f.Name, prev.Type, seenIn[f.Name], f.Type, st)
				}
				seen[f.Name], seenIn[f.Name] = f, st
			}
		}
	}
	check(options, optRows, "Options")
	check(stats, statRows, "Stats")
}
