package main

import (
	"bytes"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotcache/hotcache/gen"
)

//go:embed doc.go
var docSource string

func main() { os.Exit(run(".", os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run is cachegen on the package in dir (output paths are relative to it).
func run(dir string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cachegen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg gen.Config
	var tags string
	fs.StringVar(&cfg.Name, "name", "", "the generated type")
	fs.StringVar(&cfg.Key, "key", "", "the key type")
	fs.StringVar(&cfg.Value, "value", "", "the value type")
	fs.StringVar(&cfg.Output, "output", "", "the file to write")
	fs.StringVar(&tags, "tags", "", "comma-separated build tags")
	usage := func(err error) int {
		msg := err.Error()
		if !strings.HasPrefix(msg, "cachegen: ") {
			msg = "cachegen: " + msg
		}
		fmt.Fprintf(stderr, "%s\nrun 'cachegen -h' for usage\n", msg)
		return exitUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, manual())
			return exitOK
		}
		return usage(err)
	}
	if fs.NArg() > 0 {
		return usage(fmt.Errorf("unexpected arguments %q: cachegen works on the package in the current directory", fs.Args()))
	}
	if tags != "" {
		cfg.Tags = strings.Split(tags, ",")
	}
	if err := cfg.Validate(); err != nil {
		return usage(err)
	}
	if err := generate(dir, cfg); err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	return exitOK
}

// generate loads the package in dir and writes the cache file.
func generate(dir string, cfg gen.Config) error {
	p, err := gen.Load(dir, cfg.Tags...)
	if err != nil {
		return err
	}
	f, err := gen.Generate(p, cfg)
	if err != nil {
		return err
	}
	out := f.Name
	if !filepath.IsAbs(out) {
		out = filepath.Join(dir, out)
	}
	if err := writeAtomic(out, f.Src); err != nil {
		return fmt.Errorf("cachegen: %w", err)
	}
	return nil
}

// writeAtomic replaces file with data: a temporary file in the same
// directory, renamed over it, so that readers see the old file or the new
// one, never a part. An identical file is left alone.
func writeAtomic(file string, data []byte) error {
	if old, err := os.ReadFile(file); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// manual returns the package doc as plain text: the whole manual.
func manual() string {
	var b strings.Builder
	for line := range strings.Lines(docSource) {
		if !strings.HasPrefix(line, "//") {
			break
		}
		line = strings.TrimPrefix(line, "//")
		b.WriteString(strings.TrimPrefix(line, " "))
	}
	return b.String()
}
