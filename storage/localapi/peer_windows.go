package localapi

import (
	"fmt"
	"net"

	"golang.org/x/sys/windows"
)

// peerOf identifies the pipe client by its process token (the client's
// process id comes from the pipe, which the client cannot forge).
func peerOf(c net.Conn) (Peer, error) {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return Peer{}, fmt.Errorf("a %T is not a named pipe, so its user is unknown", c)
	}
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(windows.Handle(f.Fd()), &pid); err != nil {
		return Peer{}, fmt.Errorf("reading the pipe client's process id: %w", err)
	}
	proc, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return Peer{}, fmt.Errorf("opening the pipe client's process %d: %w", pid, err)
	}
	defer windows.CloseHandle(proc)
	var tok windows.Token
	if err := windows.OpenProcessToken(proc, windows.TOKEN_QUERY, &tok); err != nil {
		return Peer{}, fmt.Errorf("reading the pipe client's token: %w", err)
	}
	defer tok.Close()
	user, err := tok.GetTokenUser()
	if err != nil {
		return Peer{}, fmt.Errorf("reading the pipe client's user: %w", err)
	}
	self, err := selfSID()
	if err != nil {
		return Peer{}, err
	}
	sid := user.User.Sid
	return Peer{
		UID:        sid.String(),
		PID:        int(pid),
		Privileged: sid.IsWellKnown(windows.WinLocalSystemSid) || (tok.IsElevated() && isAdmin(tok)),
		SameUser:   windows.EqualSid(sid, self),
	}, nil
}

// isAdmin reports whether the token holds the Administrators group.
func isAdmin(tok windows.Token) bool {
	admins, err := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	if err != nil {
		return false
	}
	groups, err := tok.GetTokenGroups()
	if err != nil {
		return false
	}
	for _, g := range groups.AllGroups() {
		if windows.EqualSid(g.Sid, admins) && g.Attributes&windows.SE_GROUP_ENABLED != 0 {
			return true
		}
	}
	return false
}

// selfSID is the SID of the user this process runs as.
func selfSID() (*windows.SID, error) {
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("reading this process's user: %w", err)
	}
	return user.User.Sid, nil
}
