using Attest.GoModules;
using YamlDotNet.RepresentationModel;

namespace Attest.Policy;

/// <summary>Reads a <c>GoSumPolicy</c> document (used by <c>attest gosum verify --policy</c> and the signing API):
/// <c>deniedModules</c>, <c>allowLocalReplace</c>, <c>privatePatterns</c>, validated with Attest.GoModules' own rules.</summary>
public static class GoSumPolicyParser
{
    public static GoSumPolicy? Parse(PolicyDocument document, List<PolicyError> errors)
    {
        var before = errors.Count;
        var reader = new PolicyReader(document.Source.File, errors);
        var specNode = document.Body.Children[new YamlScalarNode("spec")];
        var spec = reader.Fields(specNode, "spec", "deniedModules", "allowLocalReplace", "privatePatterns");
        var policy = new GoSumPolicy
        {
            DeniedModules = spec.Optional("deniedModules") is { } d ? reader.StringList(d, "spec.deniedModules") : [],
            AllowLocalReplace = spec.Optional("allowLocalReplace") is { } a && reader.Boolean(a, "spec.allowLocalReplace") == true,
            PrivatePatterns = spec.Optional("privatePatterns") is { } p ? reader.StringList(p, "spec.privatePatterns") : [],
        };
        foreach (var error in policy.Validate()) reader.Error(specNode, error);
        return errors.Count > before ? null : policy;
    }
}
