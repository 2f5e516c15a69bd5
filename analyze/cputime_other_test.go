//go:build !unix

package analyze

import "time"

// cpuTime is not measured here: the cpu-µs/msg metric reads 0.
func cpuTime() time.Duration { return 0 }
