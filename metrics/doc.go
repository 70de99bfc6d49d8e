// Package metrics exports hotcache's counters to Prometheus.
package metrics
