package loadtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Machine describes where the figures were measured: they mean little
// without it.
type Machine struct {
	NProc     int    `json:"nproc"`
	CPUModel  string `json:"cpu_model"`
	MemTotal  uint64 `json:"mem_total_bytes"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"` // the toolchain that built guidebot
}

func (m Machine) String() string {
	return fmt.Sprintf("nproc %d, %s, %.1f GB RAM, Linux %s, %s",
		m.NProc, m.CPUModel, float64(m.MemTotal)/1e9, m.Kernel, m.GoVersion)
}

// ReadMachine gathers nproc, the CPU model (/proc/cpuinfo), memory, kernel
// and the Go version of the toolchain on PATH (the one building the bot),
// falling back to the version this tool was built with.
func ReadMachine() Machine {
	m := Machine{NProc: runtime.NumCPU(), CPUModel: "unknown", GoVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if kb, ok := procField("/proc/meminfo", "MemTotal"); ok {
		m.MemTotal = kb * 1024
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil && len(strings.TrimSpace(string(out))) > 0 {
		m.GoVersion = strings.TrimSpace(string(out))
	}
	return m
}

// procField reads a "Key:   123 kB" line of a /proc file, in kB.
func procField(path, key string) (uint64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		var n uint64
		if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d", &n); err == nil {
			return n, true
		}
	}
	return 0, false
}
