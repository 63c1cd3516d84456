using Attest.GoModules.SumDb;

namespace Attest.GoModules.Tests.SumDb;

/// <summary>Which module versions a checksum database accepts from a <c>/lookup/</c> path or an upload.</summary>
public sealed class SumDbModuleTests
{
    [Theory]
    [InlineData("corp.example/lib@v1.2.3", "corp.example/lib", "v1.2.3")]
    [InlineData("github.com/!azure/azure-sdk@v0.0.0-20240102030405-abcdefabcdef", "github.com/Azure/azure-sdk", "v0.0.0-20240102030405-abcdefabcdef")]
    [InlineData("corp.example/old@v3.0.0+incompatible", "corp.example/old", "v3.0.0+incompatible")]
    [InlineData("corp.example/lib/v2@v2.0.0-!r!c.1", "corp.example/lib/v2", "v2.0.0-RC.1")]
    [InlineData("gopkg.in/yaml.v3@v3.0.1", "gopkg.in/yaml.v3", "v3.0.1")]
    public void Lookups_of_valid_module_versions_are_read(string lookup, string path, string version)
    {
        Assert.True(SumDbModule.TryParseLookup(lookup, GoModulesLimits.Default, out var module, out var error), error);
        Assert.Equal(new ModuleVersion(path, version), module);
    }

    [Theory]
    [InlineData("", "path@version")]
    [InlineData("corp.example/lib", "path@version")]
    [InlineData("corp.example/lib@", "path@version")]
    [InlineData("@v1.0.0", "path@version")]
    [InlineData("corp.example/lib@v1.0.0@v2.0.0", "path@version")]
    [InlineData("github.com/Azure/x@v1.0.0", "case-encoded module path")] // upper case must be written !a
    [InlineData("github.com/!Azure/x@v1.0.0", "case-encoded module path")]
    [InlineData("github.com/azure!/x@v1.0.0", "case-encoded module path")]
    [InlineData("corp.example/a/../b@v1.0.0", "case-encoded module path")]
    [InlineData("corp.example//b@v1.0.0", "case-encoded module path")]
    [InlineData("nodot/lib@v1.0.0", "case-encoded module path")]
    [InlineData("corp.example/lib@v1.0", "not canonical")]
    [InlineData("corp.example/lib@v1.0.0+build", "not canonical")]
    [InlineData("corp.example/lib@1.0.0", "not a semantic version")]
    [InlineData("corp.example/lib@latest", "not a semantic version")]
    [InlineData("corp.example/lib@v2.0.0", "should be v0 or v1")]
    [InlineData("corp.example/lib/v2@v1.0.0", "should be v2")]
    [InlineData("corp.example/lib@v1.0.0/go.mod", "case-encoded version")]
    [InlineData("corp.example/lib@V1.0.0", "case-encoded version")]
    public void Invalid_lookups_are_refused_with_the_rule_they_break(string lookup, string reason)
    {
        Assert.False(SumDbModule.TryParseLookup(lookup, GoModulesLimits.Default, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlong_paths_and_versions_are_refused_before_they_are_parsed()
    {
        var limits = GoModulesLimits.Default;
        var longPath = "corp.example/" + string.Join('/', Enumerable.Repeat("abcdefghij", 110));
        Assert.False(SumDbModule.TryCheck(longPath, "v1.0.0", limits, out _, out var error));
        Assert.Contains("longer than 1024", error, StringComparison.Ordinal);
        Assert.False(SumDbModule.TryCheck("corp.example/lib", "v1.0.0-" + new string('a', 300), limits, out _, out error));
        Assert.Contains("longer than 256", error, StringComparison.Ordinal);
        Assert.False(SumDbModule.TryParseLookup(new string('a', 100_000) + "@v1.0.0", limits, out _, out error));
        Assert.Contains("lookup is longer", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tile/8/0/x999/x999/x999/x999/x999/x999/x999/999")]
    [InlineData("tile/8/0/x009/x223/x372/x036/x854/x775/808")]
    public void Tile_paths_with_an_index_beyond_any_tree_are_refused_not_thrown(string path)
    {
        Assert.False(SumDbTile.TryParsePath(path, out _));
    }

    [Fact]
    public void The_largest_index_a_tree_can_have_still_reads_back()
    {
        var tile = new SumDbTile(8, 0, long.MaxValue, 256);
        Assert.True(SumDbTile.TryParsePath(tile.Path, out var back));
        Assert.Equal(tile, back);
    }
}
