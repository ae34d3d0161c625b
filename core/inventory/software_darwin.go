package inventory

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"opensms/core/model"
)

// installedSoftware lists the applications in /Applications (name and
// version from each bundle's Info.plist) and the installer receipts in
// /var/db/receipts (package identifiers, as pkgutil --pkgs lists them).
func installedSoftware(context.Context) ([]model.Software, error) {
	var out []model.Software
	apps, _ := filepath.Glob("/Applications/*.app")
	for _, app := range apps {
		name := strings.TrimSuffix(filepath.Base(app), ".app")
		s := model.Software{Name: name}
		if data, err := os.ReadFile(filepath.Join(app, "Contents", "Info.plist")); err == nil {
			s.Version = plistString(data, "CFBundleShortVersionString")
		}
		out = append(out, s)
	}
	receipts, _ := filepath.Glob("/var/db/receipts/*.bom")
	for _, r := range receipts {
		if len(out) >= maxSoftware {
			break
		}
		out = append(out, model.Software{Name: strings.TrimSuffix(filepath.Base(r), ".bom")})
	}
	return out, nil
}
