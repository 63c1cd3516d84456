using System.Diagnostics;
using System.Text.Json;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;
using Xunit.Abstractions;

namespace Attest.Sbom.Tests;

/// <summary>A generated CycloneDX 1.6 document with 100,000 components is read and checked in bounded memory.</summary>
public sealed class LargeBomTests(ITestOutputHelper output)
{
    public const int Components = 100_000;

    [Fact]
    public void Hundred_thousand_components_are_read_and_checked_in_bounded_memory()
    {
        var bytes = Attest.Testing.SyntheticBom.CycloneDx(Components);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();

        var read = SbomReader.Read(bytes);
        var findings = new SbomChecker(TimeProvider.System).Check(read, new SbomPolicy
        {
            DeniedLicenses = ["GPL-3.0-only"],
            DeniedComponents = ["pkg:npm/package-42@<2"],
            RequireNtiaMinimumElements = true,
        });

        stopwatch.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var retained = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        output.WriteLine($"{bytes.Length / 1e6:0.0} MB document, {Components} components: {stopwatch.Elapsed.TotalMilliseconds:0} ms, allocated {allocated / 1e6:0} MB, model retained {retained / 1e6:0} MB");

        Assert.True(read.IsUsable);
        Assert.Empty(read.Findings);
        Assert.Equal(Components, read.Document!.Components.Count);
        Assert.Equal(Components - 1, read.Document.Relationships.Count);
        var licence = Assert.Single(findings, f => f.Code == SbomCodes.LicenseDenied);
        Assert.Equal((Components / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture), licence.Evidence!["count"]);
        Assert.Equal("package-42@1.42.0", Assert.Single(findings, f => f.Code == SbomCodes.ComponentDenied).Evidence!["components"]);
        Assert.Equal(2, findings.Count);
        // The model for 100k components is about 60 MB; a DOM of the whole document kept alive would push it past
        // this bound.
        Assert.True(retained < 120_000_000, $"retained {retained} bytes");
        GC.KeepAlive(read);
    }
}
