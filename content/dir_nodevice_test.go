//go:build unix && !linux

package content

import "errors"

// makeDevice is only written for Linux, where device numbers are known.
func makeDevice(string) error { return errors.ErrUnsupported }
