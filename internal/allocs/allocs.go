// Package allocs measures what code allocates, for tests that hold memory
// use to a bound: byte counts, unlike timings, repeat from run to run.
package allocs

import "runtime"

// Bytes is how many bytes f allocates on the heap (runtime.MemStats'
// TotalAlloc before and after). Other goroutines allocating meanwhile are
// counted too, so a test should not run in parallel with others.
func Bytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
