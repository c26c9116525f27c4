//go:build !linux

package pin

import "errors"

// ErrUnsupported is returned where the process cannot be pinned.
var ErrUnsupported = errors.New("pin: CPU affinity is only set on Linux")

// CPUs is not available here.
func CPUs() ([]int, error) { return nil, ErrUnsupported }

// Process is not available here.
func Process(cpus ...int) (func() error, error) { return nil, ErrUnsupported }
