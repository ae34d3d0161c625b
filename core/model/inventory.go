package model

// CleanReported makes the text fields of an inventory a client wrote safe
// to show (see CleanLine): names of programs, users, disks and the like
// come from the computer, not from the administrator.
func (inv *Inventory) CleanReported() {
	for _, p := range []*string{&inv.OS, &inv.Arch, &inv.OSVersion, &inv.ClientVersion, &inv.OSName, &inv.OSRelease, &inv.Kernel, &inv.CPUModel} {
		*p = CleanLine(*p)
	}
	for i := range inv.Disks {
		inv.Disks[i].Path, inv.Disks[i].FSType = CleanLine(inv.Disks[i].Path), CleanLine(inv.Disks[i].FSType)
	}
	for _, list := range [][]string{inv.Addresses, inv.Users, inv.Installed} {
		for i := range list {
			list[i] = CleanLine(list[i])
		}
	}
	for i := range inv.Software {
		s := &inv.Software[i]
		s.Name, s.Version, s.Publisher = CleanLine(s.Name), CleanLine(s.Version), CleanLine(s.Publisher)
	}
}
