package loadtest

import (
	"slices"
	"time"
)

// Latency summarises a set of timings. Percentiles use the nearest-rank
// method, so every figure is a time that was actually observed.
type Latency struct {
	N        int           `json:"n"`
	P50      time.Duration `json:"p50_ns"`
	P90      time.Duration `json:"p90_ns"`
	P99      time.Duration `json:"p99_ns"`
	Mean     time.Duration `json:"mean_ns"`
	Max      time.Duration `json:"max_ns"`
	Timeouts int           `json:"timeouts"` // samples that never got an answer in time
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted, or 0 when it is empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// rank = ceil(p/100 × n), computed in integers so 99 % of 100 is 99,
	// not 100 through a float rounding up.
	rank := int((int64(p*1000)*int64(n) + 100_000 - 1) / 100_000)
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Summarize computes the summary of samples (which it sorts in place).
func Summarize(samples []time.Duration, timeouts int) Latency {
	l := Latency{N: len(samples), Timeouts: timeouts}
	if len(samples) == 0 {
		return l
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	l.P50 = Percentile(samples, 50)
	l.P90 = Percentile(samples, 90)
	l.P99 = Percentile(samples, 99)
	l.Mean = sum / time.Duration(len(samples))
	l.Max = samples[len(samples)-1]
	return l
}
