package shares

import (
	"context"
	"errors"
	"fmt"

	"opensms/core/model"
	"opensms/core/share"
)

// openSMB is replaced by storage/smbfs in the next commit.
func openSMB(_ context.Context, loc model.Location, _ model.Credentials) (share.FS, error) {
	return nil, fmt.Errorf("opening %s: %w", loc.UNC(), errors.ErrUnsupported)
}
