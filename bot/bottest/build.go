package bottest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModulePath is the guidebot module's import path.
const ModulePath = "github.com/guidebot/guidebot"

// ModuleRoot finds the guidebot module's directory (go env GOMOD), from
// the current directory: a test's package directory, or wherever the load
// tool is run inside the module.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the guidebot module: run from its directory or pass the guidebot binary")
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !strings.Contains(string(data), "module "+ModulePath+"\n") {
		return "", fmt.Errorf("%s is not the guidebot module", gomod)
	}
	return filepath.Dir(gomod), nil
}

// BuildGuidebot builds ./cmd/guidebot with -tags goolm (cgo on) into the
// file out. overlay, when not empty, is passed to go build -overlay: it
// maps a file's absolute path in the module to the file that replaces (or
// adds) it, so a caller can compile extra code into the bot without
// touching the tree.
func BuildGuidebot(ctx context.Context, out string, overlay map[string]string) error {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return err
	}
	args := []string{"build", "-tags", "goolm", "-o", out}
	if len(overlay) > 0 {
		data, _ := json.Marshal(map[string]any{"Replace": overlay})
		ov := out + ".overlay.json"
		if err := os.WriteFile(ov, data, 0o600); err != nil {
			return err
		}
		defer os.Remove(ov)
		args = append(args, "-overlay", ov)
	}
	args = append(args, "./cmd/guidebot")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/guidebot: %w\n%s", err, out)
	}
	return nil
}
