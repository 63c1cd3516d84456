using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Attest.Cel;
using Attest.Policy.Model;
using Attest.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Attest.Policy.Tests;

/// <summary>The examples policies/README.md gives for Notary authorities, CEL conditions, vulnerability gates and
/// PolicyException load, and the CEL examples decide as the README says.</summary>
public sealed partial class DocumentationExamplesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static string Example(string heading)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Policies, "README.md"));
        var section = readme[readme.IndexOf(heading, StringComparison.Ordinal)..];
        return YamlBlock().Match(section).Groups[1].Value;
    }

    private static PolicySet Load(string yaml, Action<TempDirectory>? prepare = null)
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(directory.Combine("keys"));
        foreach (var name in new[] { "release", "scanner", "security" })
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            File.WriteAllText(directory.Combine("keys", name + ".pub"), key.ExportSubjectPublicKeyInfoPem());
        }
        prepare?.Invoke(directory);
        File.WriteAllText(directory.Combine("example.yaml"), yaml);
        var (set, errors) = PolicyDirectoryLoader.Load(directory.Path, time: new FakeTimeProvider(Now));
        Assert.True(errors.Count == 0, string.Join(" | ", errors));
        return set!;
    }

    [Fact]
    public void Notation_example_loads()
    {
        var set = Load(Example("### Notary Project signatures"), directory =>
        {
            Directory.CreateDirectory(directory.Combine("truststore"));
            var store = RepositoryPaths.Vectors("notation", "notation-go", "verifier", "testdata", "truststore", "x509");
            File.Copy(Path.Combine(store, "ca", "valid-trust-store", "wabbit-networks.io.crt"), directory.Combine("truststore", "wabbit-root.pem"));
            File.Copy(Path.Combine(store, "tsa", "test-timestamp", "globalsignRoot.cer"), directory.Combine("truststore", "tsa-root.pem"));
        });
        var authority = Assert.IsType<NotationAuthority>(Assert.Single(set.ImagePolicies).Authorities["wabbit-networks"]);
        Assert.Equal(Notation.Trust.CheckAction.Log, authority.TrustPolicy.Level.Expiry);
    }

    [Fact]
    public void Cel_example_loads_and_its_conditions_decide()
    {
        var policy = Assert.Single(Load(Example("### CEL conditions")).ImagePolicies);
        var materials = Assert.IsType<CelCondition>(policy.Attestations[0].Conditions[0]).Program;
        var age = Assert.IsType<CelCondition>(policy.Attestations[0].Conditions[1]).Program;
        var critical = Assert.IsType<CelCondition>(policy.Attestations[1].Conditions[0]).Program;

        Assert.True(materials.Evaluate(Variables("""{"materials": [{"uri": "git+https://github.com/example/app"}]}""")).IsTrue);
        Assert.False(materials.Evaluate(Variables("""{"materials": [{"uri": "git+https://github.com/example/app"}, {"uri": "git+https://gitlab.com/x/y"}]}""")).IsTrue);
        Assert.True(age.Evaluate(Variables("""{"metadata": {"buildFinishedOn": "2026-11-20T00:00:00Z"}}""")).IsTrue);
        Assert.False(age.Evaluate(Variables("""{"metadata": {"buildFinishedOn": "2026-09-01T00:00:00Z"}}""")).IsTrue);
        var trivy = File.ReadAllText(RepositoryPaths.Vectors("vulnerabilities", "trivy-alpine-310.json"));
        Assert.True(critical.Evaluate(Variables("{\"scanner\": {\"result\": " + trivy + "}}")).IsTrue);
        Assert.False(critical.Evaluate(Variables("{\"scanner\": {\"result\": " + trivy.Replace("\"MEDIUM\"", "\"CRITICAL\"", StringComparison.Ordinal) + "}}")).IsTrue);
    }

    [Fact]
    public void Vulnerability_gate_example_loads()
    {
        var gate = Assert.Single(Load(Example("### Vulnerability gates")).ImagePolicies).Vulnerabilities!;
        Assert.Equal(Sbom.Vulnerabilities.VulnerabilitySeverity.Medium, gate.Rule.MaxSeverity);
        Assert.Single(gate.Rule.Allowed);
        Assert.Equal("https://openvex.dev/ns", gate.Vex!.PredicateType);
    }

    [Fact]
    public void PolicyException_example_loads_beside_the_policy_it_names()
    {
        var production = """
            apiVersion: attest.dev/v1
            kind: ImagePolicy
            metadata: {name: production}
            spec:
              match: {images: ["registry.example.com/prod/**"]}
              signatures: {authorities: [{name: k, key: {file: keys/release.pub}}]}
            ---

            """;
        var exception = Assert.Single(Load(production + Example("## PolicyException")).Exceptions);
        Assert.Equal("alice@example.com", exception.Approver);
        Assert.True(exception.Covers("registry.example.com/prod/payments-api", "payments", "production", Now));
    }

    private static Dictionary<string, object> Variables(string predicate) => new()
    {
        ["predicate"] = CelJson.FromElement(JsonDocument.Parse(predicate).RootElement),
        ["predicateType"] = "https://slsa.dev/provenance/v1",
        ["digest"] = "sha256:" + new string('a', 64),
        ["now"] = Now,
    };

    [GeneratedRegex(@"```yaml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();
}
