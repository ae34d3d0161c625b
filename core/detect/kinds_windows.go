package detect

import "opensms/core/model"

// addPlatformKinds registers the rule kinds only Windows can check
// (registry values, Windows Installer products). None yet: rules of kinds
// missing from the map read "not applicable here".
func addPlatformKinds(map[model.RuleKind]checker) {}
