package admin

import (
	adminapi "opensms/core/admin"
	"opensms/core/watchdog"
)

// followRecords reloads the open lists when the Watch stream says a
// package, site, server, computer or group changed: another window, or
// smsctl against the same site, may have made the change. One reload per
// list however many changes a batch holds.
func (a *Admin) followRecords() {
	a.follow(a.ctx, func(us []adminapi.Change) {
		var pkgs, sites bool
		for _, u := range us {
			switch u.Kind {
			case watchdog.UpdatePackage:
				pkgs = true
			case watchdog.UpdateSite, watchdog.UpdateServer, watchdog.UpdateComputer, watchdog.UpdateGroup:
				sites = true
			}
		}
		if pkgs && a.packages != nil {
			a.packages.reload()
		}
		if sites {
			a.changed()
		}
	})
}
