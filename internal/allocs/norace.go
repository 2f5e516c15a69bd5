//go:build !race

package allocs

// Distorted is false: byte counts are what a normal build allocates.
const Distorted = false
