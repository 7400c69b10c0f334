package loadtest

import (
	"math/rand/v2"
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

// BootstrapCI is the 95 % percentile-bootstrap interval of f over
// resamples of a and b (each resampled with replacement and sorted): how
// far a comparison of two summaries could move by chance alone. A fixed
// seed keeps a report reproducible from its samples.
func BootstrapCI(a, b []time.Duration, f func(a, b []time.Duration) float64, iters int) (lo, hi float64) {
	if len(a) == 0 || len(b) == 0 || iters <= 0 {
		return 0, 0
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ra, rb := make([]time.Duration, len(a)), make([]time.Duration, len(b))
	vals := make([]float64, iters)
	for i := range vals {
		for j := range ra {
			ra[j] = a[rng.IntN(len(a))]
		}
		for j := range rb {
			rb[j] = b[rng.IntN(len(b))]
		}
		slices.Sort(ra)
		slices.Sort(rb)
		vals[i] = f(ra, rb)
	}
	slices.Sort(vals)
	return vals[int(0.025*float64(iters))], vals[int(0.975*float64(iters-1))]
}
