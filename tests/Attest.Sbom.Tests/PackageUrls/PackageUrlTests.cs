using Attest.Sbom.PackageUrls;

namespace Attest.Sbom.Tests.PackageUrls;

public sealed class PackageUrlTests
{
    [Theory]
    [InlineData("npm scoped, percent-encoded @", "pkg:npm/%40angular/animation@12.3.1", "npm", "@angular", "animation", "12.3.1", "pkg:npm/%40angular/animation@12.3.1")]
    [InlineData("golang with nested namespace", "pkg:golang/github.com/evil/mod@v1.2.3", "golang", "github.com/evil", "mod", "v1.2.3", "pkg:golang/github.com/evil/mod@v1.2.3")]
    [InlineData("type lower-cased, github name lower-cased", "pkg:GitHub/Package-URL/Purl-Spec@244fd47e", "github", "package-url", "purl-spec", "244fd47e", "pkg:github/package-url/purl-spec@244fd47e")]
    [InlineData("pypi: lower case, '_' becomes '-'", "pkg:pypi/Django_Allauth@0.1", "pypi", null, "django-allauth", "0.1", "pkg:pypi/django-allauth@0.1")]
    [InlineData("maven keeps case", "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1", "maven", "org.apache.xmlgraphics", "batik-anim", "1.9.1", "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1")]
    [InlineData("no version", "pkg:npm/left-pad", "npm", null, "left-pad", null, "pkg:npm/left-pad")]
    [InlineData("scheme slashes ignored", "pkg://npm/left-pad@1.3.0", "npm", null, "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0")]
    [InlineData("qualifiers sorted, keys lower-cased, subpath cleaned", "pkg:deb/debian/curl@7.50.3-1?Distro=jessie&arch=i386#./a/../b", "deb", "debian", "curl", "7.50.3-1", "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie#a/b")]
    [InlineData("encoded dot segments of a subpath are dropped after decoding", "pkg:npm/x@1#%2E%2E/a/%2e", "npm", null, "x", "1", "pkg:npm/x@1#a")]
    [InlineData("oci digest version", "pkg:oci/debian@sha256%3A244fd47e07d10?repository_url=docker.io/library/debian", "oci", null, "debian", "sha256:244fd47e07d10", "pkg:oci/debian@sha256%3A244fd47e07d10?repository_url=docker.io/library/debian")]
    public void Parses_and_canonicalises(string description, string text, string type, string? ns, string name, string? version, string canonical)
    {
        Assert.True(PackageUrl.TryParse(text, out var p, out var error), $"{description}: {error}");
        Assert.Equal(type, p.Type);
        Assert.Equal(ns, p.Namespace);
        Assert.Equal(name, p.Name);
        Assert.Equal(version, p.Version);
        Assert.Equal(canonical, p.ToString());
        Assert.Equal(p, PackageUrl.Parse(p.ToString()) with { Qualifiers = p.Qualifiers });
    }

    [Theory]
    [InlineData("wrong scheme", "http://npm/left-pad")]
    [InlineData("no type", "pkg:left-pad")]
    [InlineData("no name", "pkg:npm/")]
    [InlineData("type starting with a digit", "pkg:9npm/x")]
    [InlineData("qualifier without value form", "pkg:npm/x@1?novalue")]
    [InlineData("duplicate qualifier", "pkg:npm/x@1?a=1&a=2")]
    [InlineData("empty", "")]
    [InlineData("encoded '/' in the namespace (would print as two segments)", "pkg:pypi/%2Fdjai/django@1")]
    [InlineData("encoded '/' in the name", "pkg:npm/a%2Fb@1")]
    [InlineData("encoded '/' in a subpath segment", "pkg:npm/x@1#a%2Fb")]
    public void Rejects_invalid_package_urls(string description, string text)
    {
        Assert.False(PackageUrl.TryParse(text, out _, out var error), description);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Overlong_package_url_is_rejected()
    {
        Assert.False(PackageUrl.TryParse("pkg:npm/" + new string('a', 5000), out _, out var error));
        Assert.Contains("longer", error, StringComparison.Ordinal);
    }
}
