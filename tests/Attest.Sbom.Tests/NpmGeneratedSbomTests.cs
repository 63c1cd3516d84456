using System.Text;
using System.Text.Json;
using Attest.Sbom.Checks;
using Attest.Sbom.Model;
using Attest.Sbom.Reading;
using Attest.Testing;

namespace Attest.Sbom.Tests;

/// <summary>
/// Creates a small npm project (the fixture package.json / package-lock.json from tests/vectors/sbom/generated),
/// installs it from the npm registry, and generates SBOMs with real tools: <c>npm sbom</c> (CycloneDX and SPDX)
/// and <c>@cyclonedx/cyclonedx-npm</c> at spec versions 1.4, 1.5 and 1.6 (installed once into
/// <c>$HOME/.cache/attest-npm</c>, outside the repository). The licence oracle is each installed package's own
/// package.json <c>license</c> field. Needs npm and the registry: without them the fixture throws and every test
/// here fails with the reason (never skipped).
/// </summary>
public sealed class NpmSbomFixture : IDisposable
{
    public const string CycloneDxNpmVersion = "6.0.1";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly TempDirectory _project = new("attest-npm-project");

    public NpmSbomFixture()
    {
        var cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "attest-npm");
        var npmCache = Path.Combine(cache, "cache");
        var tools = Path.Combine(cache, "tools");
        var env = new Dictionary<string, string> { ["npm_config_cache"] = npmCache, ["npm_config_update_notifier"] = "false", ["NODE_ENV"] = "" };
        foreach (var f in new[] { "package.json", "package-lock.json" })
            File.Copy(RepositoryPaths.Vectors("sbom", "generated", f), _project.Combine(f));

        Npm(["ci", "--ignore-scripts", "--no-audit", "--no-fund"], _project.Path, env);
        Sboms["npm-sbom-cyclonedx"] = Npm(["sbom", "--sbom-format", "cyclonedx"], _project.Path, env);
        Sboms["npm-sbom-spdx"] = Npm(["sbom", "--sbom-format", "spdx"], _project.Path, env);

        var cli = Path.Combine(tools, "node_modules", "@cyclonedx", "cyclonedx-npm", "bin", "cyclonedx-npm-cli.js");
        var installedVersion = Path.Combine(tools, "node_modules", "@cyclonedx", "cyclonedx-npm", "package.json");
        if (!File.Exists(cli) || !File.ReadAllText(installedVersion).Contains($"\"version\": \"{CycloneDxNpmVersion}\"", StringComparison.Ordinal))
        {
            Directory.CreateDirectory(tools);
            Npm(["install", "--prefix", tools, "--no-audit", "--no-fund", "--ignore-scripts", $"@cyclonedx/cyclonedx-npm@{CycloneDxNpmVersion}"], tools, env);
        }
        foreach (var spec in new[] { "1.4", "1.5", "1.6" })
        {
            var result = ProcessRunner.Run("node", [cli, "--spec-version", spec, "--output-format", "JSON", "--output-file", "-"], _project.Path, Timeout, env);
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"cyclonedx-npm --spec-version {spec} failed ({result.ExitCode}): {result.Stderr}");
            Sboms[$"cyclonedx-npm-{spec}"] = result.Stdout;
        }

        foreach (var manifest in Directory.GetFiles(_project.Combine("node_modules"), "package.json", SearchOption.AllDirectories))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            if (doc.RootElement.TryGetProperty("name", out var name) && doc.RootElement.TryGetProperty("license", out var license) && license.ValueKind == JsonValueKind.String)
                LicenseByPackage[name.GetString()!] = license.GetString()!;
        }
    }

    public Dictionary<string, string> Sboms { get; } = new();

    /// <summary>Installed package name → its package.json licence (the oracle).</summary>
    public Dictionary<string, string> LicenseByPackage { get; } = new();

    public void Dispose() => _project.Dispose();

    private static string Npm(string[] args, string directory, Dictionary<string, string> env)
    {
        ProcessRunner.Result result;
        try
        {
            result = ProcessRunner.Run("npm", args, directory, Timeout, env);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"npm is not installed or not on PATH ({e.Message}); this test needs npm and the npm registry", e);
        }
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"npm {string.Join(' ', args)} failed with exit code {result.ExitCode}; is the npm registry reachable? {result.Stderr}");
        return result.Stdout;
    }
}

public sealed class NpmGeneratedSbomTests(NpmSbomFixture npm) : IClassFixture<NpmSbomFixture>
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var generator in new[] { "npm-sbom-cyclonedx", "npm-sbom-spdx", "cyclonedx-npm-1.4", "cyclonedx-npm-1.5", "cyclonedx-npm-1.6" })
            foreach (var license in new[] { "WTFPL", "CC-BY-3.0", "CC0-1.0" })
                data.Add(generator, license);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Licence_deny_rule_fires_exactly_for_the_packages_carrying_that_licence(string generator, string denied)
    {
        var read = SbomReader.Read(Encoding.UTF8.GetBytes(npm.Sboms[generator]));
        Assert.True(read.IsUsable, string.Join("\n", read.Findings));

        var findings = new SbomChecker(TimeProvider.System).Check(read, new SbomPolicy { DeniedLicenses = [denied], RequireSchemaValidity = false });

        var expected = npm.LicenseByPackage.Where(p => string.Equals(p.Value, denied, StringComparison.OrdinalIgnoreCase)).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(expected);
        var finding = Assert.Single(findings);
        Assert.Equal(SbomCodes.LicenseDenied, finding.Code);
        var reported = finding.Evidence!["components"].Split('\n').Select(NameOf).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, reported);
    }

    [Theory]
    [InlineData("npm-sbom-cyclonedx", SbomFormat.CycloneDx, "1.5")]
    [InlineData("npm-sbom-spdx", SbomFormat.Spdx2, "SPDX-2.3")]
    [InlineData("cyclonedx-npm-1.4", SbomFormat.CycloneDx, "1.4")]
    [InlineData("cyclonedx-npm-1.5", SbomFormat.CycloneDx, "1.5")]
    [InlineData("cyclonedx-npm-1.6", SbomFormat.CycloneDx, "1.6")]
    public void Generated_sbom_is_schema_valid_and_lists_every_installed_package(string generator, SbomFormat format, string specVersion)
    {
        var read = SbomReader.Read(Encoding.UTF8.GetBytes(npm.Sboms[generator]));
        Assert.True(read.IsUsable);
        Assert.Empty(read.Findings);
        Assert.Equal(format, read.Document!.Format);
        Assert.Equal(specVersion, read.Document.SpecVersion);
        var names = read.Document.Components.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(npm.LicenseByPackage.Keys.ToHashSet(StringComparer.Ordinal), names);
        Assert.All(read.Document.Components.Where(c => npm.LicenseByPackage.ContainsKey(c.Name)), c => Assert.StartsWith("pkg:npm/", c.Purl, StringComparison.Ordinal));
    }

    [Fact]
    public void Licence_choice_is_honoured_on_real_output_denying_MIT_leaves_no_MIT_package_allowed()
    {
        // Every MIT package is reported; the WTFPL / CC-BY-3.0 / CC0-1.0 packages are not.
        var read = SbomReader.Read(Encoding.UTF8.GetBytes(npm.Sboms["cyclonedx-npm-1.6"]));
        var findings = new SbomChecker(TimeProvider.System).Check(read, new SbomPolicy { DeniedLicenses = ["MIT"] });
        var reported = Assert.Single(findings).Evidence!["components"].Split('\n').Select(NameOf).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, license) in npm.LicenseByPackage)
            Assert.Equal(license == "MIT", reported.Contains(name));
    }

    private static string NameOf(string displayName)
    {
        var at = displayName.LastIndexOf('@');
        return at > 0 ? displayName[..at] : displayName;
    }
}
