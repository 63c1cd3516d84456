using System.Text.RegularExpressions;
using System.Xml.Linq;
using Attest.Testing;

namespace Attest.Core.Tests;

/// <summary>Architecture rules from DESIGN.md §2 and §7, checked on the source tree so a violation fails the build.</summary>
public sealed partial class RepositoryRulesTests
{
    // Which src projects each src project may reference (DESIGN.md §2: Core <- libraries <- Policy <- Server/Cli).
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Attest.Core"] = [],
        ["Attest.Sigstore"] = ["Attest.Core"],
        ["Attest.Oci"] = ["Attest.Core"],
        ["Attest.GoModules"] = ["Attest.Core"],
        ["Attest.Sbom"] = ["Attest.Core"],
        ["Attest.Ledger"] = ["Attest.Core"],
        ["Attest.Notation"] = ["Attest.Core"],
        ["Attest.Cel"] = [],
        ["Attest.Policy"] = ["Attest.Core", "Attest.Sigstore", "Attest.Oci", "Attest.GoModules", "Attest.Sbom", "Attest.Notation", "Attest.Cel"],
        ["Attest.Server"] = ["Attest.Core", "Attest.Sigstore", "Attest.Oci", "Attest.GoModules", "Attest.Sbom", "Attest.Ledger", "Attest.Notation", "Attest.Cel", "Attest.Policy"],
        ["Attest.Cli"] = ["Attest.Core", "Attest.Sigstore", "Attest.Oci", "Attest.GoModules", "Attest.Sbom", "Attest.Ledger", "Attest.Notation", "Attest.Cel", "Attest.Policy"],
    };

    [Fact]
    public void Source_projects_reference_only_in_the_declared_direction()
    {
        var projects = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories);
        Assert.NotEmpty(projects);
        foreach (var project in projects)
        {
            var name = Path.GetFileNameWithoutExtension(project);
            Assert.True(Allowed.ContainsKey(name), $"{name} is not in the declared project graph (DESIGN.md §2); add it there and here");
            var references = XDocument.Load(project).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value));
            foreach (var reference in references)
                Assert.True(Allowed[name].Contains(reference), $"{name} must not reference {reference}");
        }
    }

    [Fact]
    public void Package_versions_are_pinned_only_in_Directory_Packages_props()
    {
        var projects = Directory.GetFiles(RepositoryPaths.Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (var project in projects)
            foreach (var reference in XDocument.Load(project).Descendants("PackageReference"))
                Assert.True(reference.Attribute("Version") is null, $"{project} pins {reference.Attribute("Include")?.Value}; versions belong in Directory.Packages.props");
    }

    [Fact]
    public void Source_code_takes_time_from_an_injected_TimeProvider()
    {
        var offenders = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => WallClock().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(RepositoryPaths.Root, f))
            .ToList();
        Assert.True(offenders.Count == 0, $"read the clock through TimeProvider instead: {string.Join(", ", offenders)}");
    }

    [GeneratedRegex(@"\bDate(Time|TimeOffset)\.(UtcNow|Now)\b")]
    private static partial Regex WallClock();
}
