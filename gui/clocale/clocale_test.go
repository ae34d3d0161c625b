package clocale_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	_ "fyne.io/fyne/v2/lang" // its initialisation is what printed the noise

	"opensms/gui/clocale"
)

// TestStartsQuietlyUnderTheCLocale starts this test binary again with
// each locale and reads what Fyne's initialisation printed: nothing under
// C.UTF-8 or POSIX.UTF-8, where it printed "Error parsing user locale C";
// a malformed locale is still reported; and LANGUAGE is the user's own
// again after Restore.
func TestStartsQuietlyUnderTheCLocale(t *testing.T) {
	if os.Getenv("CLOCALE_CHILD") != "" {
		clocale.Restore()
		os.Stdout.WriteString("LANGUAGE=" + os.Getenv("LANGUAGE") + "\n")
		return
	}
	for _, tc := range []struct {
		env      []string
		noisy    bool
		language string
	}{
		{env: []string{"LANG=C.UTF-8"}},
		{env: []string{"LC_ALL=POSIX.UTF-8", "LANG=de_DE.UTF-8"}},
		{env: []string{"LANG=C"}},
		{env: []string{"LANG=en_GB.UTF-8"}},
		{env: []string{"LANG=C.UTF-8", "LANGUAGE=fr"}, language: "fr"},
		{env: []string{"LANG=x.UTF-8"}, noisy: true}, // malformed: still said
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStartsQuietlyUnderTheCLocale$")
		cmd.Env = append([]string{"CLOCALE_CHILD=1", "PATH=" + os.Getenv("PATH")}, tc.env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", tc.env, err, out)
		}
		noisy := strings.Contains(string(out), "Error parsing user locale")
		if noisy != tc.noisy {
			t.Errorf("%v: Fyne's locale message printed %v, want %v:\n%s", tc.env, noisy, tc.noisy, out)
		}
		if want := "LANGUAGE=" + tc.language + "\n"; !strings.Contains(string(out), want) {
			t.Errorf("%v: after Restore the child has %q, want %q", tc.env, out, want)
		}
	}
}
