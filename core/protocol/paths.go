package protocol

import (
	"fmt"
	"path"
	"strings"

	"opensms/core/model"
)

// Names of computers, jobs and packages become file and folder names on the
// shares, so they must not be able to name anything else.
const maxNameLen = 255

// checkName refuses a name that would leave its folder or that SMB cannot
// store. what says what the name is, for the sentence.
func checkName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%s name is empty", what)
	case len(name) > maxNameLen:
		return fmt.Errorf("%s name %q is longer than %d bytes", what, printable(name), maxNameLen)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%s name %q holds a / or \\, which would name another folder", what, printable(name))
	case strings.Contains(name, ".."):
		return fmt.Errorf("%s name %q holds '..', which would name another folder", what, printable(name))
	case name == ".":
		return fmt.Errorf("%s name %q names the folder itself", what, name)
	case strings.ContainsAny(name, `:*?"<>|`) || hasControl(name):
		return fmt.Errorf("%s name %q holds a character SMB does not allow in file names", what, printable(name))
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%s name %q starts or ends with a space", what, name)
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// ComputerName returns the form a computer name takes on the share (upper
// case, as Windows shows NetBIOS names), or an error if it cannot be a file
// name there.
func ComputerName(name string) (string, error) {
	if err := checkName("computer", name); err != nil {
		return "", err
	}
	if err := model.ValidComputerName(name); err != nil {
		return "", err
	}
	return strings.ToUpper(name), nil
}

// InstructionsPath is where the newest layout puts a computer's
// instruction file on the site share: instructions/<SHARD>/<COMPUTER>.ins
// (see LayoutSharded; InstructionsPathIn names the others).
func InstructionsPath(computer string) (string, error) {
	return InstructionsPathIn(InstructionsLayout, computer)
}

// StatusDirPath is status/<COMPUTER> on the site share: where the computer
// writes one status file per job.
func StatusDirPath(computer string) (string, error) {
	c, err := ComputerName(computer)
	if err != nil {
		return "", err
	}
	return path.Join(StatusDir, c), nil
}

// StatusPath is status/<COMPUTER>/<JOBID>.json on the site share.
func StatusPath(computer, job string) (string, error) {
	dir, err := StatusDirPath(computer)
	if err != nil {
		return "", err
	}
	if err := checkName("job", job); err != nil {
		return "", err
	}
	return path.Join(dir, job+".json"), nil
}

// InventoryPath is inventory/<COMPUTER>.json on the site share.
func InventoryPath(computer string) (string, error) {
	c, err := ComputerName(computer)
	if err != nil {
		return "", err
	}
	return path.Join(InventoryDir, c+".json"), nil
}

// ArchivePath is <PKGID>/<SHA256>.tzst on a distribution share.
func ArchivePath(pkg, sha string) (string, error) {
	if err := checkName("package", pkg); err != nil {
		return "", err
	}
	if !isSHA256Hex(sha) {
		return "", fmt.Errorf("archive name %q is not a sha256 (64 lower-case hex digits)", printable(sha))
	}
	return path.Join(pkg, sha+ArchiveExt), nil
}

// ShareTreePath is <PKGID>/share on a distribution share: the expanded tree
// of a Share Package On Server job.
func ShareTreePath(pkg string) (string, error) {
	if err := checkName("package", pkg); err != nil {
		return "", err
	}
	return path.Join(pkg, ShareTreeDir), nil
}

// SharedTreePath is where a Share Package On Server job publishes package
// pkg's tree on a distribution share: the package's share name at the
// share's root when it has one (\\dist1\SMS_PKG\TOOLS, as users map it),
// else <PKGID>/share. A share name of the form of a package ID is refused:
// it would take the place of that package's folder of archives.
func SharedTreePath(pkg, shareName string) (string, error) {
	if shareName == "" {
		return ShareTreePath(pkg)
	}
	if err := checkName("share", shareName); err != nil {
		return "", err
	}
	if model.ValidPackageID(strings.ToUpper(shareName)) == nil {
		return "", fmt.Errorf("share name %q has the form of a package ID, whose folder holds that package's archives on the distribution share: choose another share name", shareName)
	}
	return shareName, nil
}

// isSHA256Hex reports whether s is 64 lower-case hex digits, as
// hex.EncodeToString writes a SHA-256.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
