package main

import (
	"strings"
	"testing"
)

// The verbs that only the API made possible: the event log, the watchdog's
// state and Test connection.
func TestEventsStatusAndServerTest(t *testing.T) {
	c, id := fixture(t)
	job := strings.TrimSpace(c.ok("job", "add", "--package", id, "--target", "computer:PC001", "--start-after", "+1d"))
	c.ok("job", "cancel", job)
	if out := c.ok("event", "list", "--job", job, "--since", "-1h"); !strings.Contains(out, "job "+job+" canceled") {
		t.Errorf("event list --job:\n%s", out)
	}
	if out := strings.TrimSpace(c.ok("event", "list", "--job", "S0199999", "--json")); out != "[]" {
		t.Errorf("event list of a job without events --json = %q", out)
	}
	for _, bad := range [][]string{{"event", "list", "--severity", "fatal"}, {"event", "list", "--since", "yesterday"}, {"event", "list", "--limit", "-1"}} {
		if r := c.run(bad...); r.code != 2 {
			t.Errorf("smsctl %s: %s", strings.Join(bad, " "), r)
		}
	}
	if out := c.ok("watchdog", "status"); !strings.Contains(out, "running:") || !strings.Contains(out, "no") {
		t.Errorf("watchdog status without a service:\n%s", out)
	}

	dir := t.TempDir()
	c.ok("server", "add", "--site", "S01", "--name", "local", "--url", dir)
	if out := c.ok("server", "test", "--site", "S01", "local"); !strings.HasPrefix(out, "Connected to "+dir) {
		t.Errorf("server test of a writable folder: %s", out)
	}
	c.ok("server", "add", "--site", "S01", "--name", "gone", "--url", dir+"/gone")
	if r := c.run("server", "test", "--site", "S01", "gone"); r.code != 1 || !strings.Contains(r.stderr, "the folder "+dir+"/gone does not exist") {
		t.Errorf("server test of a missing folder: %s", r)
	}
	if r := c.run("server", "test", "--site", "S01", "nope"); r.code != 2 || !strings.Contains(r.stderr, "server nope of site S01 not found") {
		t.Errorf("server test of an unknown server: %s", r)
	}
}
