//go:build !windows

package client_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"opensms/core/model"
	"opensms/core/protocol"
)

// TestDetectionBeforeAndAfter runs offers whose package carries detection
// rules: complete means installed, not "exited 0".
func TestDetectionBeforeAndAfter(t *testing.T) {
	cases := []struct {
		name      string
		present   bool // app/app.txt exists before the run
		script    string
		rules     []model.DetectionRule
		logic     string
		state     model.TargetState
		already   bool
		ran       bool
		errSays   []string
		softCodes []int
		removes   bool
	}{
		{name: "already installed", present: true, script: "exit 0",
			rules: []model.DetectionRule{{Kind: model.RuleFileExists, Path: "$OSMS_APP_DIR/app.txt"}},
			state: model.TargetComplete, already: true},
		{name: "exit 0 installs nothing", script: "exit 0",
			rules: []model.DetectionRule{{Kind: model.RuleFileExists, Path: "$OSMS_APP_DIR/app.txt"}},
			state: model.TargetFailed, ran: true, errSays: []string{"exited with code 0, but the package is not installed", "$OSMS_APP_DIR/app.txt (", "app.txt) does not exist"}},
		{name: "installs what the rule wants", script: `mkdir -p "$OSMS_APP_DIR" && echo 2.4.1 > "$OSMS_APP_DIR/VERSION"`,
			rules: []model.DetectionRule{{Kind: model.RuleVersion, Path: "${OSMS_APP_DIR}/VERSION", Value: ">=2.4"}},
			state: model.TargetComplete, ran: true},
		{name: "installs the wrong version", script: `mkdir -p "$OSMS_APP_DIR" && echo 2.3 > "$OSMS_APP_DIR/VERSION"`,
			rules: []model.DetectionRule{{Kind: model.RuleVersion, Path: "${OSMS_APP_DIR}/VERSION", Value: ">=2.4"}},
			state: model.TargetFailed, ran: true, errSays: []string{"has version 2.3, expected version at least 2.4"}},
		{name: "one of two alternatives", script: `mkdir -p "$OSMS_APP_DIR" && touch "$OSMS_APP_DIR/other.txt"`,
			rules: []model.DetectionRule{{Kind: model.RuleFileExists, Path: "$OSMS_APP_DIR/app.txt"}, {Kind: model.RuleFileExists, Path: "$OSMS_APP_DIR/other.txt"}},
			logic: "1 OR 2", state: model.TargetComplete, ran: true},
		{name: "restart pending", script: "exit 194", softCodes: []int{194},
			rules: []model.DetectionRule{{Kind: model.RuleFileExists, Path: "$OSMS_APP_DIR/app.txt"}},
			state: model.TargetComplete, ran: true, errSays: []string{"restart should finish"}},
		{name: "rule this client cannot check", present: true, script: "exit 0",
			rules: []model.DetectionRule{{Kind: "registry", Path: `HKLM\Software\Vendor\App`, Value: "yes"}},
			state: model.TargetComplete, ran: true},
		{name: "no rules", present: true, script: "exit 0", state: model.TargetComplete, ran: true},
		{name: "uninstaller runs where it is installed", present: true, removes: true, script: `rm "$OSMS_APP_DIR/app.txt"`,
			rules: []model.DetectionRule{{Kind: model.RuleFileExists, Path: "$OSMS_APP_DIR/app.txt"}},
			state: model.TargetComplete, ran: true},
		{name: "uninstaller that leaves it installed", present: true, removes: true, script: "exit 0",
			rules: []model.DetectionRule{{Kind: model.RuleFileExists, Path: "$OSMS_APP_DIR/app.txt"}},
			state: model.TargetFailed, ran: true, errSays: []string{"but the package is still installed: rule 1:", "app.txt) exists"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSite(t)
			app := filepath.Join(s.out, "app")
			t.Setenv("OSMS_APP_DIR", app)
			if c.present {
				if err := os.MkdirAll(app, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(app, "app.txt"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ranMark := filepath.Join(s.out, "ran")
			a := s.packScript(fmt.Sprintf("touch %q\n%s\n", ranMark, c.script))
			s.distribute(0, a)
			s.instruct(s.offer("S0100020", a, func(o *protocol.Offer) {
				o.Detection, o.DetectionLogic = c.rules, c.logic
				o.Command.Removes = c.removes
				if c.softCodes != nil {
					o.Command.SoftRebootCodes = c.softCodes
				}
			}))
			s.poll()
			h, err := s.eng.Run(context.Background(), "S0100020", nil)
			if (err == nil) != (c.state == model.TargetComplete) || h.State != c.state || h.AlreadyInstalled != c.already {
				t.Fatalf("run: %+v, %v", h, err)
			}
			if _, err := os.Stat(ranMark); (err == nil) != c.ran {
				t.Errorf("the command ran: %v, want %v", err == nil, c.ran)
			}
			st := s.status("S0100020")
			if st.State != c.state || st.AlreadyInstalled != c.already || (st.ExitCode == nil) != c.already {
				t.Errorf("status %+v", st)
			}
			for _, w := range c.errSays {
				if !strings.Contains(st.Error, w) || !strings.Contains(h.Error, w) {
					t.Errorf("error %q does not say %q", st.Error, w)
				}
			}
			if len(c.errSays) == 0 && st.Error != "" {
				t.Errorf("unexpected error %q", st.Error)
			}
			hist, err := s.eng.History(context.Background())
			if err != nil || len(hist) != 1 || hist[0].AlreadyInstalled != c.already {
				t.Errorf("history %+v, %v", hist, err)
			}
		})
	}
}
