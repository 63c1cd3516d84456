using System.Text;
using Attest.Sbom.Checks;
using Attest.Sbom.PackageUrls;

namespace Attest.Fuzz.Targets;

/// <summary>A package URL from an SBOM, and a component rule (<c>purl@range</c>) from a policy:
/// <see cref="PackageUrl.TryParse"/> and <see cref="ComponentRule.TryParse"/> answer false with a sentence for what
/// they refuse; a parsed purl must print as a purl that parses to the same value, and a rule is matched against it.</summary>
internal static class PurlTarget
{
    private static readonly ComponentRule Rule = ComponentRule.TryParse("pkg:npm/lodash@<4.17.21", out var rule, out _) ? rule : throw new InvalidOperationException();

    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        if (PackageUrl.TryParse(text, out var purl, out _))
        {
            var printed = purl.ToString();
            if (!PackageUrl.TryParse(printed, out var again, out var error) || again.ToString() != printed)
                throw new InvalidOperationException($"purl '{printed}' does not read back as itself ({error})");
            Rule.Matches(purl);
            _ = purl.Coordinates;
        }
        if (ComponentRule.TryParse(text, out var parsed, out _) && purl is not null) parsed.Matches(purl);
    }
}
