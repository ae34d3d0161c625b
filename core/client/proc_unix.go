//go:build !windows

package client

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// stopLeftover kills what is left of the command m recorded (its process
// group) and waits until it has gone.
func stopLeftover(m RunningCommand) error {
	deadline := time.Now().Add(10 * time.Second)
	for leftover(m) {
		if err := syscall.Kill(-m.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("stopping what is left of process group %d: %w", m.PID, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process group %d is still there 10 seconds after it was killed", m.PID)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
