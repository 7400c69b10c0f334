package config

import (
	"fmt"
	"os"
	"runtime"
)

// FileWarnings says when the config file at path can be read or changed by
// users other than its owner (mode & 0o077 != 0): it holds secrets. Run
// logs these at start and check prints them; neither stops for them. An
// empty path, a missing file or Windows gives none.
func FileWarnings(path string) []string {
	if path == "" || runtime.GOOS == "windows" {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return []string{fmt.Sprintf("%s: warning: mode %04o lets other users on this machine read or change it, and it may hold secrets: chmod 600 %s", path, perm, path)}
	}
	return nil
}
