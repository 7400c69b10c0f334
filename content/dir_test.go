//go:build unix

package content

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// contentDir copies the built-in data to a temporary directory for a test
// to spoil.
func contentDir(t *testing.T) string {
	t.Helper()
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, sub); err != nil {
		t.Fatal(err)
	}
	return dir
}

// loadDirWithin is LoadDir that fails the test instead of hanging: a
// loader that opens a FIFO waits for a writer forever.
func loadDirWithin(t *testing.T, dir string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := LoadDir(dir)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		// Give the stuck open its writer, so that the goroutine ends and
		// the temporary directory can be removed.
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type()&fs.ModeNamedPipe != 0 {
				if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
			}
			return nil
		})
		t.Fatal("LoadDir blocked")
		return nil
	}
}

// secretYAML would be quoted in a problem if the loader read it: what a
// link out of the directory must never show.
const secretYAML = "networks: hunter2-secret\n"

const (
	outsideMsg    = "points outside the content directory (a link must be relative and stay inside it)"
	notRegularMsg = "not a regular file"
)

// A maker puts something at path p, in place of a file of the content
// directory dir.
type maker func(t *testing.T, dir, p string) error

// linkOut links to a file outside dir that holds secretYAML.
func linkOut(relative bool) maker {
	return func(t *testing.T, _, p string) error {
		secret := filepath.Join(t.TempDir(), "secret.yaml")
		target := secret
		if relative {
			target, _ = filepath.Rel(filepath.Dir(p), secret)
		}
		return errors.Join(os.WriteFile(secret, []byte(secretYAML), 0o600), os.Symlink(target, p))
	}
}

func fifo(_ *testing.T, _, p string) error  { return syscall.Mkfifo(p, 0o600) }
func mkdir(_ *testing.T, _, p string) error { return os.Mkdir(p, 0o700) }

func device(t *testing.T, _, p string) error {
	if err := makeDevice(p); err != nil {
		t.Skipf("cannot make a device here: %v", err)
	}
	return nil
}

// linkDirOut links to a copy of the messengers directory outside dir.
func linkDirOut(t *testing.T, _, p string) error {
	out := t.TempDir()
	cards, err := fs.Sub(embedded, "data/messengers")
	return errors.Join(err, os.CopyFS(out, cards), os.Symlink(out, p))
}

// linkAbsInside links by an absolute path to a file inside dir. os.Root
// resolves links itself and refuses absolute ones, even to a file inside:
// it cannot tell where an absolute path leads without trusting the names
// above the root.
func linkAbsInside(_ *testing.T, dir, p string) error {
	target := filepath.Join(dir, "moved.real")
	return errors.Join(os.WriteFile(target, []byte(secretYAML), 0o600), os.Symlink(target, p))
}

// TestLoadDirFileTypes: the content directory is read through an os.Root,
// and only regular files are read. Anything else fails the whole load
// with a problem for that file, without opening it.
func TestLoadDirFileTypes(t *testing.T) {
	tests := []struct {
		name string
		file string // replaced by what make makes
		make maker
		msg  string // the one problem, about file
	}{
		{"absolute symlink out", "networks.yaml", linkOut(false), outsideMsg},
		{"relative symlink out", "messengers/signal.yaml", linkOut(true), outsideMsg},
		{"symlinked messengers directory out", "messengers", linkDirOut, outsideMsg},
		{"absolute symlink inside", "networks.yaml", linkAbsInside, outsideMsg},
		{"FIFO for a file", "criteria.yaml", fifo, notRegularMsg},
		{"FIFO for a card", "messengers/signal.yaml", fifo, notRegularMsg},
		{"FIFO for the messengers directory", "messengers", fifo, "not a directory"},
		{"directory named like a card", "messengers/signal.yaml", mkdir, notRegularMsg},
		{"directory for a file", "changes.yaml", mkdir, notRegularMsg},
		{"device", "networks.yaml", device, notRegularMsg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := contentDir(t)
			p := filepath.Join(dir, tt.file)
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			if err := tt.make(t, dir, p); err != nil {
				t.Fatal(err)
			}
			err := loadDirWithin(t, dir)
			if err == nil {
				t.Fatal("the directory loads")
			}
			if got, want := err.Error(), tt.file+": "+tt.msg; got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("the problem shows what the link points to")
			}
		})
	}
}

// TestLoadDirSymlinkInside: a relative link to a regular file inside the
// directory is followed. Kubernetes ConfigMap volumes and deploy tools lay
// files out just so (networks.yaml -> ..data/networks.yaml), and a link that
// stays inside cannot show anything the directory does not already hold.
func TestLoadDirSymlinkInside(t *testing.T) {
	dir := contentDir(t)
	data := filepath.Join(dir, "..data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"networks.yaml", "messengers/signal.yaml"} {
		target := filepath.Join(data, filepath.Base(name))
		if err := os.Rename(filepath.Join(dir, name), target); err != nil {
			t.Fatal(err)
		}
		rel, err := filepath.Rel(filepath.Dir(filepath.Join(dir, name)), target)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(rel, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := loadDirWithin(t, dir); err != nil {
		t.Fatalf("a directory with links inside it does not load:\n%v", err)
	}
}
