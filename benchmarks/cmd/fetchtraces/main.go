package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hotcache/hotcache/benchmarks"
)

func main() {
	var (
		dir     = flag.String("dir", filepath.Join("traces", "fetched"), "folder to write the traces to (cmd/compare searches traces/fetched)")
		only    = flag.String("only", "", "comma-separated trace names to fetch (default: all)")
		base    = flag.String("base", "https://raw.githubusercontent.com", "URL prefix before owner/repo/commit/path")
		timeout = flag.Duration("timeout", 2*time.Minute, "time limit per download")
	)
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("fetchtraces: ")
	srcs, err := selectSources(*only)
	if err != nil {
		log.Fatal(err)
	}
	f := fetcher{client: http.DefaultClient, base: strings.TrimSuffix(*base, "/"), dir: *dir}
	failed := 0
	for _, s := range srcs {
		if f.present(s) {
			log.Printf("%s: already in %s, checksum ok", s.Name, filepath.Join(*dir, s.File))
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		err := f.fetch(ctx, s)
		cancel()
		if err != nil {
			log.Print(err)
			failed++
			continue
		}
		log.Printf("%s: fetched from %s, checksum ok, wrote %s", s.Name, s.URL(f.base), filepath.Join(*dir, s.File))
	}
	if failed > 0 {
		log.Printf("%d of %d traces failed", failed, len(srcs))
		os.Exit(1)
	}
}

// selectSources returns the sources named in the comma-separated list, or
// all of them for "".
func selectSources(only string) ([]benchmarks.FetchSource, error) {
	if only == "" {
		return benchmarks.FetchSources, nil
	}
	var out []benchmarks.FetchSource
	for name := range strings.SplitSeq(only, ",") {
		s, err := benchmarks.FetchSourceByName(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
