package inventory

import (
	"context"
	"errors"
	"strings"

	"golang.org/x/sys/windows/registry"

	"opensms/core/model"
)

// uninstallKey is where Windows' "Apps & features" list comes from.
const uninstallKey = `Software\Microsoft\Windows\CurrentVersion\Uninstall`

// installedSoftware reads the uninstall keys of the machine (its 64-bit
// and 32-bit views) and of the current user, as Apps & features does:
// entries with a DisplayName, without SystemComponent=1 (parts of other
// programs) and without a ParentKeyName (updates of another entry).
func installedSoftware(context.Context) ([]model.Software, error) {
	var out []model.Software
	var errs []error
	for _, src := range []struct {
		root registry.Key
		view uint32
	}{
		{registry.LOCAL_MACHINE, registry.WOW64_64KEY},
		{registry.LOCAL_MACHINE, registry.WOW64_32KEY},
		{registry.CURRENT_USER, 0},
	} {
		k, err := registry.OpenKey(src.root, uninstallKey, registry.ENUMERATE_SUB_KEYS|registry.READ|src.view)
		if err != nil {
			if !errors.Is(err, registry.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		names, err := k.ReadSubKeyNames(-1)
		if err != nil {
			errs = append(errs, err)
		}
		for _, n := range names {
			if len(out) >= maxSoftware {
				break
			}
			if s, ok := uninstallEntry(k, n, src.view); ok {
				out = append(out, s)
			}
		}
		k.Close()
	}
	return out, errors.Join(errs...)
}

func uninstallEntry(parent registry.Key, name string, view uint32) (model.Software, bool) {
	k, err := registry.OpenKey(parent, name, registry.QUERY_VALUE|view)
	if err != nil {
		return model.Software{}, false
	}
	defer k.Close()
	display, _, err := k.GetStringValue("DisplayName")
	if err != nil || strings.TrimSpace(display) == "" {
		return model.Software{}, false
	}
	if v, _, err := k.GetIntegerValue("SystemComponent"); err == nil && v == 1 {
		return model.Software{}, false
	}
	if p, _, err := k.GetStringValue("ParentKeyName"); err == nil && p != "" {
		return model.Software{}, false
	}
	version, _, _ := k.GetStringValue("DisplayVersion")
	publisher, _, _ := k.GetStringValue("Publisher")
	return model.Software{Name: strings.TrimSpace(display), Version: strings.TrimSpace(version), Publisher: strings.TrimSpace(publisher)}, true
}
