package content

import (
	"os"
)

// LoadDir loads and validates the content directory dir.
func LoadDir(dir string) (*Set, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, Problems{Pos{File: dir}.Problemf("cannot read the content directory: %s", errText(err))}
	} else if !st.IsDir() {
		return nil, Problems{Pos{File: dir}.Problemf("not a directory")}
	}
	return Load(os.DirFS(dir))
}
