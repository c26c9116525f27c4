package pin

import (
	"runtime"
	"slices"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestProcessPinsEveryThread pins the process to one CPU, checks that
// every thread, including one started afterwards, runs on it alone, and
// that restore gives back the CPUs and GOMAXPROCS found before.
func TestProcessPinsEveryThread(t *testing.T) {
	before, err := CPUs()
	if err != nil || len(before) == 0 {
		t.Fatalf("CPUs: %v, %v", before, err)
	}
	procs := runtime.GOMAXPROCS(0)
	cpu := before[len(before)-1]
	restore, err := Process(cpu)
	if err != nil {
		t.Fatal(err)
	}
	// A goroutine locked to a new thread: the runtime starts threads as
	// it needs them, and each must inherit the pinning.
	var wg sync.WaitGroup
	wg.Go(func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		checkThread(t, unix.Gettid(), []int{cpu})
	})
	wg.Wait()
	tids, err := threads()
	if err != nil {
		t.Fatal(err)
	}
	for _, tid := range tids {
		checkThread(t, tid, []int{cpu})
	}
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS %d while pinned to one CPU", got)
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	if after, _ := CPUs(); !slices.Equal(after, before) {
		t.Errorf("CPUs after restore %v, before %v", after, before)
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS after restore %d, before %d", got, procs)
	}
}

func checkThread(t *testing.T, tid int, want []int) {
	t.Helper()
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(tid, &set); err != nil {
		return // the thread ended meanwhile
	}
	var got []int
	for i := range 1024 {
		if set.IsSet(i) {
			got = append(got, i)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("thread %d runs on %v, want %v", tid, got, want)
	}
}

func TestProcessNeedsACPU(t *testing.T) {
	if _, err := Process(); err == nil {
		t.Error("Process() with no CPU succeeded")
	}
}
