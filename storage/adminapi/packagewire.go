package adminapi

import (
	"opensms/core/admin"
	"opensms/core/model"
)

// packageWire is a package on its way to AddPackage or UpdatePackage. Its
// source password would cross as a mask (model.Secret never marshals its
// value), so it travels beside the package as plain text, as a server's
// password does in admin.Credentials; a mask stays a mask (the edit keeps
// the stored password).
type packageWire struct {
	model.Package
	SourcePassword admin.Password `json:"source_password,omitempty"`
}

func toWire(p model.Package) packageWire {
	return packageWire{Package: p, SourcePassword: admin.Password(p.SourceCredentials.Password.Reveal())}
}

func (w packageWire) pkg() model.Package {
	p := w.Package
	if w.SourcePassword != "" {
		p.SourceCredentials.Password = model.NewSecret(string(w.SourcePassword))
	}
	return p
}
