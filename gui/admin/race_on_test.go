//go:build race

package admin

// raceEnabled: the race detector slows everything several times over, so
// timing checks only log.
const raceEnabled = true
