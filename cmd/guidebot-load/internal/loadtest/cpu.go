package loadtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc CPU times (100 on Linux).
const clockTicks = 100

// cpuSnap is the machine's CPU time and the part used by this tool and its
// children (Dendrite, guidebot, and the guidebots that already exited), in
// ticks. Two snapshots tell how much of the machine others used: on a
// shared machine that is noise in every figure, so the report says it.
type cpuSnap struct {
	total, busy, steal uint64
	ours               uint64
}

func readCPU() cpuSnap {
	var s cpuSnap
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		f := strings.Fields(line)
		if len(f) > 8 && f[0] == "cpu" {
			var v [8]uint64
			for i := range v {
				v[i], _ = strconv.ParseUint(f[i+1], 10, 64)
			}
			// user nice system idle iowait irq softirq steal
			s.total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7]
			s.busy = v[0] + v[1] + v[2] + v[5] + v[6]
			s.steal = v[7]
		}
	}
	self := os.Getpid()
	s.ours = procTicks("/proc/self/stat", true)
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		if ppid, ok := procPPID(p); ok && ppid == self {
			s.ours += procTicks(p, true)
		}
	}
	return s
}

// statFields returns the fields of a /proc/PID/stat after the command
// name (which may hold spaces): index 0 is the state.
func statFields(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(data[i+1:]))
}

func procPPID(path string) (int, bool) {
	f := statFields(path)
	if len(f) < 2 {
		return 0, false
	}
	n, err := strconv.Atoi(f[1])
	return n, err == nil
}

// procTicks is utime+stime (+cutime+cstime: reaped children) of a process.
func procTicks(path string, children bool) uint64 {
	f := statFields(path)
	if len(f) < 15 {
		return 0
	}
	var sum uint64
	last := 12
	if children {
		last = 14
	}
	for i := 11; i <= last; i++ { // fields 14..17 of stat(5), counted from the state
		n, _ := strconv.ParseUint(f[i], 10, 64)
		sum += n
	}
	return sum
}

// othersShare returns the share of the machine's CPU capacity that other
// processes used, and the share the hypervisor stole, between a and b.
func othersShare(a, b cpuSnap) (others, steal float64) {
	total := float64(b.total - a.total)
	if total <= 0 {
		return 0, 0
	}
	busy := float64(b.busy - a.busy)
	ours := float64(b.ours - a.ours)
	return max(0, busy-ours) / total, float64(b.steal-a.steal) / total
}
