package admin

func (a *Admin) onImport() {}
