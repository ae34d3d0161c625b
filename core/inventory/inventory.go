// Package inventory collects what a client computer reports about itself
// beyond the basics the engine knows (name, site, platform): its operating
// system, kernel, processors, memory, disks, network addresses, last boot,
// who is logged on, and the software its package manager (Linux),
// uninstall keys (Windows) or applications folder (macOS) list. Hardware
// figures come from gopsutil, a maintained library, not from reading /proc
// by hand. A figure that cannot be read is left out, never guessed: an
// inventory is reported even from a computer that hides half of itself.
package inventory

import (
	"context"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"
	gnet "github.com/shirou/gopsutil/v4/net"

	"opensms/core/model"
)

// Collect fills in what this computer says about itself. inv's fields the
// engine set (computer, site, OS, architecture, …) are kept; a part that
// cannot be read stays empty, and what failed goes to warn (may be nil).
func Collect(ctx context.Context, inv model.Inventory, warn func(what string, err error)) model.Inventory {
	if warn == nil {
		warn = func(string, error) {}
	}
	if h, err := host.InfoWithContext(ctx); err == nil {
		inv.OSName = h.Platform
		inv.OSRelease = h.PlatformVersion
		inv.Kernel = h.KernelVersion
		if h.BootTime > 0 {
			inv.Booted = time.Unix(int64(h.BootTime), 0).UTC()
		}
	} else {
		warn("host", err)
	}
	if cs, err := cpu.InfoWithContext(ctx); err == nil && len(cs) > 0 {
		inv.CPUModel = strings.TrimSpace(cs[0].ModelName)
	} else if err != nil {
		warn("cpu model", err)
	}
	if n, err := cpu.CountsWithContext(ctx, true); err == nil {
		inv.CPUs = n
	} else {
		warn("cpu count", err)
	}
	if m, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		inv.Memory = m.Total
	} else {
		warn("memory", err)
	}
	inv.Disks = disks(ctx, warn)
	inv.Addresses = addresses(ctx, warn)
	if us, err := host.UsersWithContext(ctx); err == nil {
		inv.Users = users(us)
	} else {
		warn("logged-on users", err)
	}
	sw, err := installedSoftware(ctx)
	if err != nil {
		warn("installed software", err)
	}
	inv.Software = sortSoftware(sw)
	return inv
}

// disks lists the physical file systems (gopsutil leaves out proc, sysfs,
// tmpfs and the like), each mount point once.
func disks(ctx context.Context, warn func(string, error)) []model.Disk {
	parts, err := disk.PartitionsWithContext(ctx, false)
	if err != nil {
		warn("disks", err)
		return nil
	}
	var out []model.Disk
	seen := map[string]bool{}
	for _, p := range parts {
		if seen[p.Mountpoint] {
			continue
		}
		seen[p.Mountpoint] = true
		u, err := disk.UsageWithContext(ctx, p.Mountpoint)
		if err != nil || u.Total == 0 {
			continue // a mount this user cannot read, or an empty pseudo-fs
		}
		out = append(out, model.Disk{Path: p.Mountpoint, FSType: p.Fstype, Size: u.Total, Free: u.Free})
	}
	slices.SortFunc(out, func(a, b model.Disk) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// addresses lists the addresses of the interfaces that are up, without
// loopback and IPv6 link-local ones (they name no computer from afar).
func addresses(ctx context.Context, warn func(string, error)) []string {
	ifs, err := gnet.InterfacesWithContext(ctx)
	if err != nil {
		warn("network addresses", err)
		return nil
	}
	var out []string
	for _, i := range ifs {
		if !slices.Contains(i.Flags, "up") || slices.Contains(i.Flags, "loopback") {
			continue
		}
		for _, a := range i.Addrs {
			ip, _, err := net.ParseCIDR(a.Addr)
			if err != nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
				continue
			}
			out = append(out, a.Addr)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// users returns each logged-on user once, sorted.
func users(us []host.UserStat) []string {
	var out []string
	for _, u := range us {
		if n := strings.TrimSpace(u.User); n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sortSoftware orders software by name then version and drops exact
// repeats (a package installed for two architectures lists once per
// version), so that the same computer always reports the same list and
// the inventory's digest changes only when the software does.
func sortSoftware(sw []model.Software) []model.Software {
	slices.SortFunc(sw, func(a, b model.Software) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return slices.CompactFunc(sw, func(a, b model.Software) bool { return a == b })
}
