package content

import (
	"os"
)

// LoadDir loads and validates the content directory dir. It reads through
// an os.Root, so that a link in dir may lead to a file elsewhere in dir but
// never out of it: an operator's directory must not expose other files in
// its problems. Only regular files are read, and each file's type is known
// before it is opened: a FIFO, a device or a directory in place of a file is
// a problem, and the whole load fails.
func LoadDir(dir string) (*Set, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, Problems{Pos{File: dir}.Problemf("cannot read the content directory: %s", errText(err))}
	} else if !st.IsDir() {
		return nil, Problems{Pos{File: dir}.Problemf("not a directory")}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, Problems{Pos{File: dir}.Problemf("cannot read the content directory: %s", errText(err))}
	}
	defer root.Close()
	return Load(root.FS())
}
