package inventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"

	"opensms/core/model"
)

// dpkgStatus is where dpkg keeps what is installed (Debian, Ubuntu).
const dpkgStatus = "/var/lib/dpkg/status"

// installedSoftware reads the package manager's database: dpkg's status
// file where there is one, else what rpm lists (Fedora, RHEL, SUSE).
func installedSoftware(ctx context.Context) ([]model.Software, error) {
	data, err := os.ReadFile(dpkgStatus)
	if err == nil {
		return parseDpkgStatus(data), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", dpkgStatus, err)
	}
	rpm, err := exec.LookPath("rpm")
	if err != nil {
		return nil, nil // neither dpkg nor rpm: nothing this client can read
	}
	out, err := exec.CommandContext(ctx, rpm, "-qa", "--queryformat", `%{NAME}\t%{VERSION}-%{RELEASE}\t%{VENDOR}\n`).Output()
	if err != nil {
		return nil, fmt.Errorf("listing rpm packages: %w", err)
	}
	return parseRPMQuery(out), nil
}
