//go:build !windows

package detect

import "opensms/core/model"

// addPlatformKinds registers, for kinds only another platform can check,
// checkers that say so in a sentence (a registry rule on Linux is "not
// applicable here", never "installed"). None yet: a kind missing from the
// map reads "this client cannot check ... rules", also not applicable.
func addPlatformKinds(map[model.RuleKind]checker) {}
