package model

import (
	"strings"
	"testing"
)

func TestComputerNamesThatAreNotFileNames(t *testing.T) {
	for _, bad := range []string{".", "..", "...", "PC001.", "CON", "con", "NUL", "nul.txt", "COM1", "lpt9", "AUX", "PRN"} {
		if err := ValidComputerName(bad); err == nil {
			t.Errorf("computer name %q was accepted", bad)
		}
	}
	for _, good := range []string{"PC001", "CONSOLE", "COM10", "LPT", "pc.example", "NULL"} {
		if err := ValidComputerName(good); err != nil {
			t.Errorf("computer name %q was refused: %v", good, err)
		}
	}
}

// TestLocationErrorsHideThePassword: a malformed location with a password
// in it is refused without the password in the sentence.
func TestLocationErrorsHideThePassword(t *testing.T) {
	for _, s := range []string{`\\u:s3cr3t@h\s`, `//u:s3cr3t@h/s`, `smb://u:s3cr3t@h st/s`, `smb://dom;u:s3cr3t@h:99999/s`, `\\u:s3cr3t@h:x\s`, `smb://u:s3cr3t@/s`} {
		_, err := ParseLocation(s)
		if err == nil {
			t.Errorf("%s was accepted", s)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("ParseLocation(%s) says the password: %v", s, err)
		}
	}
}
