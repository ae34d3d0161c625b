package detect

import "opensms/core/model"

// addPlatformKinds registers the rule kinds only Windows can check:
// registry values (registry_windows.go) and Windows Installer products
// (msi_windows.go).
func addPlatformKinds(k map[model.RuleKind]checker) {
	k[model.RuleRegistry] = checkRegistry
	k[model.RuleMSI] = checkMSI
}
