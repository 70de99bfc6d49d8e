package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestJudge_Margin(t *testing.T) {
	cell := MatrixCell{Trace: "t", Capacity: 10, Hotcache: []float64{50, 50.1, 49.9}, Otter: []float64{50.4, 50.5, 50.6}, LRU: 40}
	v := judge(cell)
	assert.Equal(t, 50.0, v.hot)
	assert.Equal(t, 50.5, v.otter)
	assert.Equal(t, 0.5, v.margin, "spreads under 0.5 use the floor")
	assert.True(t, v.pass, "0.5 below otter is within the margin")

	cell.LRU = 51
	assert.False(t, judge(cell).pass, "1 below LRU fails")

	cell.Otter = []float64{50, 52, 53} // spread 3 widens the margin
	v = judge(cell)
	assert.InDelta(t, 3.0, v.margin, 1e-9)
	assert.True(t, v.pass)
}

func TestMatrixMarkdown_Summary(t *testing.T) {
	m := Matrix{Seeds: 1, Cells: []MatrixCell{
		{Trace: "a", Capacity: 1, Hotcache: []float64{60}, Otter: []float64{58}, LRU: 50},
		{Trace: "b", Capacity: 2, Hotcache: []float64{40}, Otter: []float64{42}, LRU: 30},
	}}
	md := matrixMarkdown(m)
	assert.Contains(t, md, "**1 of 2 cells pass.**")
	assert.Contains(t, md, "hotcache 50.00, otter 50.00 (+0.00 pp")
	assert.Contains(t, md, "- b@2: 1.50 short (-2.00 vs otter)")
	assert.Equal(t, 2, strings.Count(md, "| a |")+strings.Count(md, "| b |"))
}
