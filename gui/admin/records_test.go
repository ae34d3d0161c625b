package admin

import (
	"context"
	"testing"

	adminapi "opensms/core/admin"
	"opensms/core/model"
)

// A package or group another window or smsctl changes shows in the open
// lists without a reload by hand; the selection stays, and the list that
// reloads by itself does not jump in front of the window being used.
func TestRecordChangesReloadTheListsQuietly(t *testing.T) {
	a, _ := newTestAdmin(t)
	ctx := context.Background()
	src := t.TempDir()
	first, err := a.api.AddPackage(ctx, model.Package{Name: "First", Version: "1", Source: src})
	must(t, err)
	waitFor(t, a, "the first package", func() bool { return len(a.packages.pkgs) == 1 })
	waitFor(t, a, "the fixture's group", func() bool { return len(a.groups.groups) == 1 })
	a.locked(func() {
		a.packages.list.Select(0)
		a.groups.list.Select(0)
		a.show(titleJobs) // the window being used
	})

	_, err = a.api.AddPackage(ctx, model.Package{Name: "Second", Version: "1", Source: src})
	must(t, err)
	_, err = a.api.AddGroup(ctx, adminapi.GroupRequest{Name: "Admins", Members: []string{"PC001"}}) // sorts first
	must(t, err)
	waitFor(t, a, "the package another caller added", func() bool { return len(a.packages.pkgs) == 2 })
	waitFor(t, a, "the group another caller added", func() bool { return len(a.groups.groups) == 2 })
	a.locked(func() {
		if w := a.active(); w == nil || w.title != titleJobs {
			t.Errorf("a reload by itself raised %v over Jobs", w)
		}
		if p, ok := a.packages.current(); !ok || p.ID != first.ID {
			t.Errorf("the selected package after the reload: %+v, %v", p, ok)
		}
		if i := a.groups.selected; i < 0 || i >= len(a.groups.groups) || a.groups.groups[i].Name != "Accounting" {
			t.Errorf("the selected group after the reload: %d of %+v", i, a.groups.groups)
		}
	})
}
