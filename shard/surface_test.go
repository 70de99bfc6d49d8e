package shard_test

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSurface keeps package shard to what a user needs: the runtime of
// generated code (the engine, the seed, the hash helpers, the version
// guard) lives in shard/shardimpl and internal/core. A new exported name
// here is a decision, not an accident: add it to the list on purpose.
func TestSurface(t *testing.T) {
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	fset := gotoken.NewFileSet()
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							names = append(names, s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								names = append(names, n.Name)
							}
						}
					}
				}
			}
		}
	}
	slices.Sort(names)
	assert.Equal(t, []string{"Cache", "CancelOp", "ComputeOp", "ErrClosed", "ErrNotFound", "ErrSnapshot", "InvalidateOp", "Load", "Must", "New", "Options", "PanicError", "Save", "Snapshotter", "Stats", "WriteOp"}, names)
}
