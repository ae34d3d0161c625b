package model

import (
	"errors"
	"testing"
)

// The Distribute phase's choice of servers: a group chosen must be named,
// in the window and in smsctl alike.
func TestDistributeSetServers(t *testing.T) {
	for _, c := range []struct {
		name    string
		toGroup bool
		group   string
		want    string // ServerGroup after
		err     string
	}{
		{"default servers", false, "", "", ""},
		{"default servers ignore a leftover group", false, "Lab", "", ""},
		{"a group", true, " Lab ", "Lab", ""},
		{"a group not named", true, " ", "", "distribute phase: choose the machine group that lists the servers, or put the package on the Default Servers"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Distribute{ServerGroup: "Before"}
			err := d.SetServers(c.toGroup, c.group)
			if c.err != "" {
				if err == nil || err.Error() != c.err || !errors.Is(err, ErrInvalid) {
					t.Fatalf("got %v, want %q (invalid)", err, c.err)
				}
				return
			}
			if err != nil || d.ServerGroup != c.want {
				t.Fatalf("got %q, %v; want %q", d.ServerGroup, err, c.want)
			}
		})
	}
}
