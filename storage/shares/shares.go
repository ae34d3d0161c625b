// Package shares opens any share location OpenSMS knows: SMB shares through
// go-smb2 and local folders. cmd wires NewOpener into core.
package shares

import (
	"context"
	"fmt"

	"opensms/core/model"
	"opensms/core/share"
	"opensms/storage/localfs"
	"opensms/storage/smbfs"
)

// opener dispatches on the location's scheme.
type opener struct{}

// NewOpener returns the Opener for every scheme: "smb" and "file".
func NewOpener() share.Opener { return opener{} }

func (opener) Open(ctx context.Context, loc model.Location, cred model.Credentials) (share.FS, error) {
	switch loc.Scheme {
	case "file":
		return localfs.Opener{}.Open(ctx, loc, cred)
	case "smb":
		return smbfs.Opener{}.Open(ctx, loc, cred)
	}
	return nil, fmt.Errorf("location %s has scheme %q; OpenSMS opens smb and file locations", loc, loc.Scheme)
}

// Open parses url (see model.ParseLocation) and opens it.
func Open(ctx context.Context, url string, cred model.Credentials) (share.FS, error) {
	loc, err := model.ParseLocation(url)
	if err != nil {
		return nil, err
	}
	return NewOpener().Open(ctx, loc, cred)
}
