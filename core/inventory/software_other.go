//go:build !linux && !windows && !darwin

package inventory

import (
	"context"

	"opensms/core/model"
)

// installedSoftware knows no package database on this system.
func installedSoftware(context.Context) ([]model.Software, error) { return nil, nil }
