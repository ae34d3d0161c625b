//go:build !windows

package detect

import "opensms/core/model"

// addPlatformKinds registers, for kinds only another platform can check,
// checkers that say so in a sentence: a registry or MSI rule on Linux or
// macOS is "not applicable here", never "installed".
func addPlatformKinds(k map[model.RuleKind]checker) {
	for _, kind := range []model.RuleKind{model.RuleRegistry, model.RuleMSI} {
		k[kind] = func(_ *Evaluator, r model.DetectionRule) Result {
			return notApplicable("%s rules are checked only on Windows, so %s is not applicable here", r.Kind, r.Subject())
		}
	}
}
