namespace Attest.GoModules.Tests;

public class ModulePathTests
{
    [Theory]
    [InlineData("github.com/Azure/azure-sdk", "github.com/!azure/azure-sdk")]
    [InlineData("example.com/Attest/Upper", "example.com/!attest/!upper")]
    [InlineData("rsc.io/quote", "rsc.io/quote")]
    public void Escape_and_Unescape_round_trip(string path, string escaped)
    {
        Assert.Equal(escaped, ModulePath.Escape(path));
        Assert.Equal(path, ModulePath.Unescape(escaped));
    }

    [Theory]
    [InlineData("github.com/!Azure")]
    [InlineData("github.com/Azure")]
    [InlineData("github.com/azure!")]
    [InlineData("github.com/!1")]
    public void Unescape_rejects_malformed_escapes(string escaped) => Assert.Null(ModulePath.Unescape(escaped));

    [Theory]
    [InlineData("example.com/m", null)]
    [InlineData("example.com/m/v2", null)]
    [InlineData("gopkg.in/yaml.v2", null)]
    [InlineData("example.com/m/v1", "invalid version")]
    [InlineData("example.com/m/v02", "invalid version")]
    [InlineData("gopkg.in/yaml", "invalid version")]
    [InlineData("cache", "missing dot")]
    [InlineData("-x.com/m", "leading dash")]
    [InlineData("Example.com/m", "invalid char")]
    [InlineData("example.com/m/", "trailing slash")]
    [InlineData("example.com//m", "double slash")]
    [InlineData("example.com/.m", "leading dot")]
    [InlineData("example.com/m.", "trailing dot")]
    [InlineData("example.com/con", "disallowed")]
    [InlineData("example.com/m n", "invalid char")]
    public void CheckModulePath_applies_xmod_rules(string path, string? error)
    {
        var result = ModulePath.CheckModulePath(path);
        if (error is null) Assert.Null(result);
        else Assert.Contains(error, result, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a/b.go", true)]
    [InlineData(".gitignore", true)]
    [InlineData("dir/ünïcödé file (1).txt", true)]
    [InlineData("bad.go'", false)]
    [InlineData("a:b", false)]
    [InlineData("a\\b", false)]
    [InlineData("../x", false)]
    [InlineData("x/NUL.txt", false)]
    public void CheckFilePath_allows_unicode_letters_and_rejects_shell_characters(string path, bool ok) =>
        Assert.Equal(ok, ModulePath.CheckFilePath(path) is null);

    [Theory]
    [InlineData("corp.example.com", "corp.example.com/x/y", true)]
    [InlineData("*.example.com", "corp.example.com/x", true)]
    [InlineData("github.com/org/*", "github.com/org/repo/sub", true)]
    [InlineData("github.com/org/*", "github.com/org", false)]
    [InlineData("github.com/other,corp.example.com", "corp.example.com", true)]
    [InlineData("example.com", "example.com.evil/x", false)]
    [InlineData("*", "github.com/x", true)]
    [InlineData("", "github.com/x", false)]
    public void MatchPrefixPatterns_matches_leading_path_elements(string patterns, string path, bool match) =>
        Assert.Equal(match, ModulePath.MatchPrefixPatterns(patterns, path));
}

public class SemVerTests
{
    [Theory]
    [InlineData("v1.2.3", "v1.2.3")]
    [InlineData("v1.2", "v1.2.0")]
    [InlineData("v1", "v1.0.0")]
    [InlineData("v1.2.3-pre+meta", "v1.2.3-pre")]
    [InlineData("1.2.3", "")]
    [InlineData("v01.2.3", "")]
    [InlineData("v1.2.3-01", "")]
    public void Canonical_follows_xmod_semver(string v, string canonical) => Assert.Equal(canonical, SemVer.Canonical(v));

    [Theory]
    [InlineData("v1.0.0", "v1.0.1", -1)]
    [InlineData("v1.10.0", "v1.9.0", 1)]
    [InlineData("v1.0.0-alpha", "v1.0.0", -1)]
    [InlineData("v1.0.0-alpha.2", "v1.0.0-alpha.10", -1)]
    [InlineData("v1.0.0-alpha.beta", "v1.0.0-alpha.1", 1)]
    [InlineData("v1.0.0+a", "v1.0.0+b", 0)]
    public void Compare_orders_by_semver_precedence(string a, string b, int sign) => Assert.Equal(sign, Math.Sign(SemVer.Compare(a, b)));

    [Theory]
    [InlineData("v0.0.0-20240102030405-abcdefabcdef", true)]
    [InlineData("v1.2.4-0.20240102030405-abcdefabcdef", true)]
    [InlineData("v1.2.3-pre.0.20240102030405-abcdefabcdef+incompatible", true)]
    [InlineData("v1.2.3", false)]
    [InlineData("v1.2.3-20240102030405-abcdefabcdef", false)]
    public void IsPseudo_recognizes_the_five_pseudo_version_forms(string v, bool pseudo) => Assert.Equal(pseudo, SemVer.IsPseudo(v));
}
