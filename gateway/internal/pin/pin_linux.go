// Package pin confines a whole process to a set of CPUs. The gateway's
// benchmarks use it to keep the load generator and the fake upstream off
// the CPU the gateway runs on, as they would be on separate machines.
package pin

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// CPUs lists the CPUs this process may run on.
func CPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("read CPU affinity: %w", err)
	}
	var cpus []int
	for i := range 1024 {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	return cpus, nil
}

// Process confines every thread of this process to cpus and sets
// GOMAXPROCS to their number. Threads started later inherit the
// affinity of the thread that starts them, so the whole process stays on
// cpus. restore puts back the affinity and GOMAXPROCS found before.
func Process(cpus ...int) (restore func() error, err error) {
	if len(cpus) == 0 {
		return nil, fmt.Errorf("pin: no CPU given")
	}
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, fmt.Errorf("read CPU affinity: %w", err)
	}
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	if err := setAll(&set); err != nil {
		_ = setAll(&old)
		return nil, err
	}
	procs := runtime.GOMAXPROCS(len(cpus))
	return func() error {
		runtime.GOMAXPROCS(procs)
		return setAll(&old)
	}, nil
}

// setAll sets the affinity of every thread of the process. It goes over
// the threads until a pass finds none it had not set, so that a thread
// the runtime starts meanwhile is not missed.
func setAll(set *unix.CPUSet) error {
	done := map[int]bool{}
	for {
		tids, err := threads()
		if err != nil {
			return err
		}
		fresh := false
		for _, tid := range tids {
			if done[tid] {
				continue
			}
			fresh = true
			if err := unix.SchedSetaffinity(tid, set); err != nil && err != unix.ESRCH {
				return fmt.Errorf("set CPU affinity of thread %d: %w", tid, err)
			}
			done[tid] = true
		}
		if !fresh {
			return nil
		}
	}
}

// threads lists the thread IDs of this process.
func threads() ([]int, error) {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("list threads: %w", err)
	}
	tids := make([]int, 0, len(entries))
	for _, e := range entries {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}
