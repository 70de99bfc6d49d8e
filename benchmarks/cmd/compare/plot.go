package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// palette gives each cache the same colour in every plot; hotcache first.
var palette = []color.Color{
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, // red
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, // blue
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, // green
	color.RGBA{0xff, 0x7f, 0x0e, 0xff}, // orange
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, // purple
	color.RGBA{0x8c, 0x56, 0x4b, 0xff}, // brown
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, // pink
	color.RGBA{0x7f, 0x7f, 0x7f, 0xff}, // grey
	color.RGBA{0xbc, 0xbd, 0x22, 0xff}, // olive
	color.RGBA{0x17, 0xbe, 0xcf, 0xff}, // cyan
	color.RGBA{0x39, 0x3b, 0x79, 0xff}, // navy
	color.RGBA{0x63, 0x79, 0x39, 0xff}, // moss
}

// colours assigns palette entries to names in first-seen order.
type colours map[string]color.Color

func (c colours) of(name string) color.Color {
	switch name {
	case "OPT":
		return color.Black
	case "LRU":
		return color.Gray{0x99}
	}
	if col, ok := c[name]; ok {
		return col
	}
	col := palette[len(c)%len(palette)]
	c[name] = col
	return col
}

// plots writes throughput-*.png (one per cell group) and hitratio-*.png
// (one per trace).
func plots(r *Results, dir string) error {
	cs := colours{}
	for _, row := range r.Throughput { // fix the colour order: the cache order
		cs.of(row.Cache)
	}
	for _, row := range r.HitRatio {
		cs.of(row.Cache)
	}
	var cells []cellKey
	for _, row := range r.Throughput {
		k := cellKey{row.Zipf, row.Variant, row.Goroutines}
		if !slices.Contains(cells, k) {
			cells = append(cells, k)
		}
	}
	for _, c := range cells {
		if err := throughputPlot(r.Throughput, c, cs, dir); err != nil {
			return err
		}
	}
	var traces []string
	for _, row := range r.HitRatio {
		if !slices.Contains(traces, row.Trace) {
			traces = append(traces, row.Trace)
		}
	}
	for _, t := range traces {
		if err := hitRatioPlot(r.HitRatio, t, cs, dir); err != nil {
			return err
		}
	}
	return nil
}

// throughputFile is the PNG name for one cell group.
func throughputFile(c cellKey) string {
	ttl := ""
	if c.v.TTL {
		ttl = "-ttl"
	}
	return fmt.Sprintf("throughput-%s%s-g%d-s%v.png", c.v.Keys, ttl, c.g, c.zipf)
}

func throughputPlot(rows []ThroughputRow, c cellKey, cs colours, dir string) error {
	reads, caches, ops := cellOps(rows, c)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Throughput: Zipf s=%v, %v, %d goroutines", c.zipf, c.v, c.g)
	p.Y.Label.Text = "million ops/s"
	p.Y.Min = 0
	leg := plot.NewLegend()
	leg.Top = true
	width := vg.Points(7)
	for i, name := range caches {
		vs := make(plotter.Values, len(reads))
		for j, rp := range reads {
			vs[j] = ops[name][rp].OpsPerSec / 1e6
		}
		b, err := plotter.NewBarChart(vs, width)
		if err != nil {
			return err
		}
		b.Color = cs.of(name)
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(i)-float64(len(caches)-1)/2) * width
		p.Add(b)
		leg.Add(name, b)
	}
	names := make([]string, len(reads))
	for i, rp := range reads {
		names[i] = fmt.Sprintf("reads=%d%%", rp)
	}
	p.NominalX(names...)
	p.Add(plotter.NewGrid())
	return save(p, leg, 10*vg.Inch, 4.5*vg.Inch, filepath.Join(dir, throughputFile(c)))
}

// hitRatioFile is the PNG name for one trace.
func hitRatioFile(trace string) string {
	return "hitratio-" + strings.NewReplacer("/", "-", " ", "-").Replace(trace) + ".png"
}

func hitRatioPlot(rows []HitRow, trace string, cs colours, dir string) error {
	pts := map[string]plotter.XYs{}
	var caches []string
	var req, uniq int
	for _, r := range rows {
		if r.Trace != trace {
			continue
		}
		if _, ok := pts[r.Cache]; !ok {
			caches = append(caches, r.Cache)
		}
		pts[r.Cache] = append(pts[r.Cache], plotter.XY{X: float64(r.Capacity), Y: 100 * r.HitRatio})
		req, uniq = r.Requests, r.Unique
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Hit ratio: %s (%d requests, %d unique)", trace, req, uniq)
	p.X.Label.Text = "capacity (entries)"
	p.Y.Label.Text = "hit ratio (%)"
	p.X.Scale = plot.LogScale{}
	var ticks []plot.Tick
	for _, r := range rows {
		if r.Trace == trace && !slices.ContainsFunc(ticks, func(t plot.Tick) bool { return t.Value == float64(r.Capacity) }) {
			ticks = append(ticks, plot.Tick{Value: float64(r.Capacity), Label: fmt.Sprint(r.Capacity)})
		}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min = 0
	leg := plot.NewLegend()
	leg.Top = true
	for _, name := range hitOrder(caches) {
		xy := pts[name]
		slices.SortFunc(xy, func(a, b plotter.XY) int { return int(a.X - b.X) })
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		col := cs.of(name)
		l.Color, s.Color = col, col
		s.Shape = draw.CircleGlyph{}
		l.Width = vg.Points(1.5)
		if name == "hotcache" {
			l.Width = vg.Points(3)
		}
		if name == "OPT" || name == "LRU" {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l, s)
		leg.Add(name, l, s)
	}
	p.Add(plotter.NewGrid())
	return save(p, leg, 7*vg.Inch, 4*vg.Inch, filepath.Join(dir, hitRatioFile(trace)))
}

// save writes p as a PNG of w×h with leg in a column on its right, where it
// covers no data.
func save(p *plot.Plot, leg plot.Legend, w, h vg.Length, file string) error {
	const legendWidth = 1.6 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	leg.Draw(draw.Crop(dc, w-legendWidth, 0, 0, -vg.Points(8)))
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
