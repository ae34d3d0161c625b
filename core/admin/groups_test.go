package admin_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"opensms/core/admin"
	"opensms/core/model"
)

// Query groups through the API: a query that does not compile is refused
// with the library's message and position and nothing is stored; members
// are not edited by hand; Preview evaluates without storing.
func TestQueryGroups(t *testing.T) {
	r := newRig(t)
	before := r.snapshot()
	for _, c := range []struct {
		req  admin.GroupRequest
		says string
	}{
		{admin.GroupRequest{Name: "Bad", Query: "installed ++ ("}, `the query "installed ++ (" does not compile: unexpected token EOF at column 14`},
		{admin.GroupRequest{Name: "Typo", Query: "memroy_mb > 4"}, "unknown name memroy_mb"},
		{admin.GroupRequest{Name: "NotBool", Query: "memory_mb"}, "bool"},
		{admin.GroupRequest{Name: "Both", Query: "cpus > 1", Members: []string{"PC001"}}, "a query or members, not both"},
	} {
		_, err := r.api.AddGroup(bg, c.req)
		if admin.KindOf(err) != admin.KindInvalid || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: %v (want invalid saying %q)", c.req, err, c.says)
		}
	}
	if after := r.snapshot(); after != before {
		t.Fatal("a refused query group changed the store")
	}
	g, err := r.api.AddGroup(bg, admin.GroupRequest{Name: "Linux", Query: `os == "linux"`})
	if err != nil || g.Query != `os == "linux"` || len(g.Members) != 0 {
		t.Fatalf("AddGroup: %+v, %v", g, err)
	}
	if _, err := r.api.AddMembers(bg, "Linux", []string{"PC001"}); !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), "query group") {
		t.Errorf("adding a member by hand to a query group: %v", err)
	}
	if _, err := r.api.AddComputer(bg, admin.ComputerRequest{Name: "LNX01", Site: "S01", Platform: "linux/amd64"}); err != nil {
		t.Fatal(err)
	}
	p, err := r.api.PreviewGroup(bg, `platform == "linux/amd64" and not ("P" in installed)`)
	if err != nil || !slices.Contains(p.Members, "LNX01") || p.Computers < 1 {
		t.Fatalf("preview: %+v, %v", p, err)
	}
	if _, err := r.api.PreviewGroup(bg, "installed ++ ("); admin.KindOf(err) != admin.KindInvalid {
		t.Errorf("preview of a bad query: %v", err)
	}
	// Changing the query keeps nothing of the old members; the same query
	// with another comment keeps them.
	g, err = r.api.UpdateGroup(bg, admin.GroupRequest{Name: "Linux", Query: `os == "linux"`, Comment: "all Linux"})
	if err != nil || g.Comment != "all Linux" {
		t.Fatalf("UpdateGroup: %+v %v", g, err)
	}
}
