//go:build race

package allocs

// Distorted is true under the race detector, which moves values the
// compiler would keep on the stack to the heap: byte counts taken then
// do not hold to the bounds a normal build keeps.
const Distorted = true
