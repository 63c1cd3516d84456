using Attest.Sbom.Versions;

namespace Attest.Sbom.Tests.Versions;

public sealed class VersionRangeTests
{
    [Theory]
    [InlineData("semver order", "1.2.3", "1.10.0", -1)]
    [InlineData("leading v ignored", "v1.2.3", "1.2.3", 0)]
    [InlineData("pre-release before release", "1.0.0-alpha", "1.0.0", -1)]
    [InlineData("numeric pre-release identifiers compare numerically", "1.0.0-alpha.2", "1.0.0-alpha.10", -1)]
    [InlineData("numeric identifiers before alphanumeric", "1.0.0-1", "1.0.0-alpha", -1)]
    [InlineData("build metadata ignored (+incompatible)", "v2.0.0+incompatible", "v2.0.0", 0)]
    [InlineData("Go pseudo-version is a pre-release of the next patch", "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", -1)]
    [InlineData("Go pseudo-version sorts after the tagged base", "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3", 1)]
    [InlineData("Go v0.0.0 pseudo-versions order by timestamp", "v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-aaaaaaaaaaaa", -1)]
    public void Semver_comparison(string description, string a, string b, int expected)
    {
        Assert.True(expected == Math.Sign(VersionComparer.Compare(a, b, VersionScheme.Semver)), description);
        Assert.True(-expected == Math.Sign(VersionComparer.Compare(b, a, VersionScheme.Semver)), description + " (reversed)");
    }

    [Theory]
    [InlineData("numeric segments", "1.9", "1.10", -1)]
    [InlineData("missing segments are zero", "1.0", "1.0.0", 0)]
    [InlineData("debian-ish", "7.50.3-1", "7.50.3-2", -1)]
    public void Generic_comparison(string description, string a, string b, int expected) =>
        Assert.True(expected == Math.Sign(VersionComparer.Compare(a, b, VersionScheme.Generic)), description);

    [Theory]
    [InlineData("<1.2.3", "1.2.2", true)]
    [InlineData("<1.2.3", "1.2.3", false)]
    [InlineData("<=1.2.3", "1.2.3", true)]
    [InlineData(">=1.0.0, <2.0.0", "1.5.0", true)]
    [InlineData(">=1.0.0, <2.0.0", "2.0.0", false)]
    [InlineData("<1.0.0 || >=3.0.0", "3.1.0", true)]
    [InlineData("<1.0.0 || >=3.0.0", "2.0.0", false)]
    [InlineData("1.2.3", "1.2.3", true)]
    [InlineData("1.2.3", "1.2.4", false)]
    [InlineData("!=1.2.3", "1.2.4", true)]
    [InlineData("*", "0.0.1", true)]
    [InlineData("<v1.2.3", "v1.2.3-0.20191109021931-daa7c04131f5", true)]
    [InlineData("<v1.2.3", "v1.2.3+incompatible", false)]
    [InlineData("vers:npm/>=1.0.0|<2.0.0", "1.5.0", true)]
    [InlineData("vers:npm/>=1.0.0|<2.0.0", "2.0.0", false)]
    [InlineData("vers:npm/<1.0.0|>=2.0.0|<3.0.0", "0.9.0", true)]
    [InlineData("vers:npm/<1.0.0|>=2.0.0|<3.0.0", "1.5.0", false)]
    [InlineData("vers:npm/<1.0.0|>=2.0.0|<3.0.0", "2.5.0", true)]
    [InlineData("vers:npm/>=2.0.0|!=2.1.0", "2.1.0", false)]
    [InlineData("vers:npm/>=2.0.0|!=2.1.0", "2.2.0", true)]
    [InlineData("vers:golang/1.2.3|1.2.5", "1.2.5", true)]
    [InlineData("vers:golang/1.2.3|1.2.5", "1.2.4", false)]
    [InlineData("vers:npm/*", "9.9.9", true)]
    public void Range_containment(string range, string version, bool contained)
    {
        Assert.True(VersionRange.TryParse(range, VersionScheme.Semver, out var r, out var error), error);
        Assert.True(contained == r.Contains(version), $"{range} contains {version}: expected {contained}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("<")]
    [InlineData(">=1.0,")]
    [InlineData("vers:npm")]
    [InlineData(">= 1.0 <2.0")]
    public void Rejects_malformed_ranges(string range) =>
        Assert.False(VersionRange.TryParse(range, VersionScheme.Semver, out _, out _));
}
