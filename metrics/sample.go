package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// series is one series of a family: its descriptor, its label pairs (made
// once, when the collector is made), and whether it is a counter or a
// gauge.
type series struct {
	desc    *prometheus.Desc
	labels  []*dto.LabelPair
	counter bool
}

func newSeries(desc *prometheus.Desc, counter bool, labelValues ...string) series {
	return series{desc: desc, labels: prometheus.MakeLabelPairs(desc, labelValues), counter: counter}
}

// point is a series' value at one scrape.
type point struct {
	s *series
	v float64
}

// sample is a point as a prometheus.Metric. It is what
// prometheus.MustNewConstMetric makes, without the four or five
// allocations per metric that a constant metric costs (its labels and
// protobuf message are made anew each time): a scrape allocates all its
// samples in one slice, and their labels are the series'.
type sample struct {
	s       *series
	value   float64
	counter dto.Counter
	gauge   dto.Gauge
}

// Desc returns the series' descriptor.
func (m *sample) Desc() *prometheus.Desc { return m.s.desc }

// Write sets out's labels and value. The registry only reads what it is
// given, so the label pairs are shared by every scrape.
func (m *sample) Write(out *dto.Metric) error {
	out.Label = m.s.labels
	if m.s.counter {
		out.Counter = &m.counter
	} else {
		out.Gauge = &m.gauge
	}
	return nil
}

// send sends points to ch as metrics.
func send(ch chan<- prometheus.Metric, points []point) {
	samples := make([]sample, len(points))
	for i, p := range points {
		m := &samples[i]
		m.s, m.value = p.s, p.v
		if p.s.counter {
			m.counter.Value = &m.value
		} else {
			m.gauge.Value = &m.value
		}
		ch <- m
	}
}
