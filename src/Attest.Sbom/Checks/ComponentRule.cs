using System.Diagnostics.CodeAnalysis;
using Attest.Sbom.PackageUrls;
using Attest.Sbom.Versions;

namespace Attest.Sbom.Checks;

/// <summary>
/// A "denied components" rule: a package URL whose version part is a range, e.g.
/// <c>pkg:golang/github.com/evil/mod@&lt;1.2.3</c>, <c>pkg:npm/left-pad@vers:npm/&lt;1.3.0</c>, or no version
/// (every version). A component matches when its purl has the same type, namespace and name and its version is in
/// the range (a component without a version matches only a rule without one).
/// </summary>
public sealed record ComponentRule(string Text, PackageUrl Package, VersionRange Versions, bool AnyVersion)
{
    public static bool TryParse(string text, [NotNullWhen(true)] out ComponentRule? rule, [NotNullWhen(false)] out string? error)
    {
        rule = null;
        if (!PackageUrl.TryParse(text.Trim(), out var purl, out error)) return false;
        var scheme = VersionComparer.SchemeFor(purl.Type);
        if (purl.Version is null)
        {
            rule = new ComponentRule(text, purl, VersionRange.All(scheme), AnyVersion: true);
            return true;
        }
        if (!VersionRange.TryParse(purl.Version, scheme, out var range, out error)) return false;
        rule = new ComponentRule(text, purl, range, AnyVersion: false);
        return true;
    }

    public bool Matches(PackageUrl component)
    {
        if (component.Type != Package.Type || component.Name != Package.Name || !string.Equals(component.Namespace, Package.Namespace, StringComparison.Ordinal))
            return false;
        if (AnyVersion) return true;
        return component.Version is not null && Versions.Contains(component.Version);
    }

    public override string ToString() => Text;
}
