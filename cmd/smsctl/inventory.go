package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"opensms/core/admin"
	"opensms/core/model"
)

// computerShow prints a computer and the inventory its client reported;
// --json prints all of it (every disk, address and program).
func computerShow(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		c, err := api.GetComputer(ctx, args[0])
		if err != nil {
			return err
		}
		fields := []field{
			{"name", c.Name},
			{"site", c.Site},
			{"platform", orDash(string(c.Platform))},
			{"last seen", when(c.LastSeen)},
		}
		if inv := c.Inventory; inv != nil {
			fields = append(fields, inventoryFields(*inv)...)
		} else {
			fields = append(fields, field{"inventory", "none reported yet"})
		}
		return e.show(c, fields)
	})
}

// inventoryFields says an inventory in lines; the software list is
// counted here, and listed whole by --json.
func inventoryFields(inv model.Inventory) []field {
	os := strings.TrimSpace(inv.OSName + " " + inv.OSRelease)
	if inv.OSVersion != "" {
		os = inv.OSVersion
	}
	fs := []field{
		{"os", orDash(os)},
		{"kernel", orDash(inv.Kernel)},
		{"cpu", orDash(cpuText(inv))},
		{"memory", sizeOrDash(inv.Memory)},
	}
	for _, d := range inv.Disks {
		fs = append(fs, field{"disk " + d.Path, fmt.Sprintf("%s, %s free", model.FormatBytes(int64(d.Size)), model.FormatBytes(int64(d.Free)))})
	}
	fs = append(fs,
		field{"addresses", orDash(strings.Join(inv.Addresses, ", "))},
		field{"booted", when(inv.Booted)},
		field{"users", orDash(strings.Join(inv.Users, ", "))},
		field{"software", fmt.Sprintf("%d programs (--json lists them)", len(inv.Software))},
		field{"installed", orDash(strings.Join(inv.Installed, ", "))},
		field{"client", orDash(inv.ClientVersion)},
		field{"inventory from", when(inv.Time)},
	)
	return fs
}

func cpuText(inv model.Inventory) string {
	switch {
	case inv.CPUs > 0 && inv.CPUModel != "":
		return fmt.Sprintf("%d × %s", inv.CPUs, inv.CPUModel)
	case inv.CPUs > 0:
		return fmt.Sprintf("%d", inv.CPUs)
	}
	return inv.CPUModel
}

func sizeOrDash(n uint64) string {
	if n == 0 {
		return "-"
	}
	return model.FormatBytes(int64(n))
}
