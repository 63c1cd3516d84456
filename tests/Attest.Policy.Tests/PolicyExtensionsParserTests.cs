using System.Security.Cryptography;
using Attest.Policy.Model;
using Attest.Sbom.Vulnerabilities;
using Attest.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Attest.Policy.Tests;

/// <summary>The policy forms added for issue 22: notation authorities, CEL conditions, vulnerability gates and
/// PolicyException documents — read into the model, and every mistake reported at its file:line:column.</summary>
public sealed class PolicyExtensionsParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static (PolicySet? Set, IReadOnlyList<PolicyError> Errors) Load(string yaml)
    {
        using var directory = new TempDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(directory.Combine("release.pub"), key.ExportSubjectPublicKeyInfoPem());
        foreach (var file in new[] { "NotationTestRoot.pem", "wabbit-networks.io.crt" })
            File.Copy(RepositoryPaths.Vectors("notation", "notation-go", "verifier", "testdata", "truststore", "x509", "ca", "valid-trust-store", file), directory.Combine(file));
        Directory.CreateDirectory(directory.Combine("tsa"));
        File.Copy(RepositoryPaths.Vectors("notation", "notation-go", "verifier", "testdata", "truststore", "x509", "tsa", "test-timestamp", "globalsignRoot.cer"), directory.Combine("tsa", "globalsignRoot.cer"));
        File.WriteAllText(directory.Combine("p.yaml"), yaml);
        return PolicyDirectoryLoader.Load(directory.Path, time: new FakeTimeProvider(Now));
    }

    private static PolicySet Loads(string yaml)
    {
        var (set, errors) = Load(yaml);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return set!;
    }

    private static string Error(string yaml)
    {
        var (set, errors) = Load(yaml);
        Assert.Null(set);
        Assert.NotEmpty(errors);
        return string.Join("\n", errors);
    }

    private const string Header = "apiVersion: attest.dev/v1\nkind: ImagePolicy\nmetadata: {name: p}\nspec:\n  match: {images: [\"registry.example.com/**\"]}\n";

    [Fact]
    public void Notation_authority_is_read_with_its_trust_stores_identities_level_and_timestamping()
    {
        var set = Loads(Header + """
              signatures:
                authorities:
                  - name: notary
                    notation:
                      trustStore: {ca: [NotationTestRoot.pem], signingAuthority: [NotationTestRoot.pem]}
                      trustedIdentities: ["x509.subject: C=US, ST=WA, O=Notary", "x509.subject: C=US, S=WA, O=wabbit-networks.io"]
                      verificationLevel: permissive
                      override: {expiry: enforce}
                      timestamping: {trustStore: [tsa], verify: afterCertExpiry}
            """);
        var authority = Assert.IsType<NotationAuthority>(set.ImagePolicies[0].Authorities["notary"]);
        Assert.Equal(2, authority.TrustPolicy.TrustedIdentities.Count);
        Assert.Equal(Notation.Trust.CheckAction.Enforce, authority.TrustPolicy.Level.Expiry);
        Assert.Equal(Notation.Trust.CheckAction.Log, authority.TrustPolicy.Level.AuthenticTimestamp);
        Assert.Equal(Notation.Trust.TimestampVerification.AfterCertExpiry, authority.TrustPolicy.Timestamping);
        Assert.True(authority.TrustPolicy.TrustStore.Has(Notation.Trust.TrustStoreType.TimestampAuthority));
        Assert.True(authority.TrustPolicy.TrustStore.Has(Notation.Trust.TrustStoreType.SigningAuthority));
    }

    [Theory]
    [InlineData("trustStore: [missing.pem]\n        trustedIdentities: [\"*\"]", "p.yaml:10:23: authority 'notary' notation.trustStore: certificate file missing.pem cannot be read")]
    [InlineData("trustStore: [release.pub]\n        trustedIdentities: [\"*\"]", "release.pub is not a certificate file")]
    [InlineData("trustStore: [NotationTestRoot.pem]\n        trustedIdentities: [\"x509.subject: C=US, ST=WA, O=Notary\", \"x509.subject: C=US, ST=WA, O=Notary, OU=x\"]", "overlap")]
    [InlineData("trustStore: [NotationTestRoot.pem]\n        trustedIdentities: [\"x509.subject: CN=x\"]", "must name C, ST (or S) and O")]
    [InlineData("trustStore: [NotationTestRoot.pem]\n        trustedIdentities: [\"*\"]\n        verificationLevel: skip", "'skip' is not offered")]
    [InlineData("trustStore: [NotationTestRoot.pem]\n        trustedIdentities: [\"*\"]\n        override: {revocation: enforce}", "does not check revocation online")]
    [InlineData("trustStore: [NotationTestRoot.pem]", "needs 'trustedIdentities'")]
    public void Notation_authority_mistakes_are_reported(string body, string expected)
    {
        var message = Error(Header + "  signatures:\n    authorities:\n      - name: notary\n        notation:\n          " + body.Replace("\n        ", "\n          ", StringComparison.Ordinal) + "\n");
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Authority_with_both_key_and_notation_is_refused()
    {
        var message = Error(Header + """
              signatures:
                authorities: [{name: a, key: {file: release.pub}, notation: {trustStore: [NotationTestRoot.pem], trustedIdentities: ["*"]}}]
            """);
        Assert.Contains("needs exactly one of 'key', 'keyless' or 'notation'", message, StringComparison.Ordinal);
    }

    private static string WithCel(string expression) => Header + $$"""
          authorities: [{name: k, key: {file: release.pub} }]
          attestations:
            - name: scan
              predicateType: https://example.com/scan/v1
              authorities: [k]
              conditions:
                - {cel: {{expression}}}
        """;

    [Fact]
    public void Cel_condition_compiles_at_load()
    {
        var set = Loads(WithCel("\"predicate.summary.critical == 0 && predicate.items.all(i, i.ok)\""));
        var condition = Assert.Single(set.ImagePolicies[0].Attestations[0].Conditions);
        Assert.Equal("predicate.summary.critical == 0 && predicate.items.all(i, i.ok)", Assert.IsType<CelCondition>(condition).Program.Source);
    }

    [Theory]
    [InlineData("\"predicate.x +\"", 14, "cel: the expression ends where an operand was expected (expression 1:14)")]
    [InlineData("'size(1) == 1'", 1, "cel: found no matching overload for 'size' applied to '(int)' (expression 1:1)")]
    [InlineData("\"subject == 'a'\"", 1, "cel: undeclared reference to 'subject' (expression 1:1)")]
    public void Cel_condition_that_does_not_compile_fails_the_load_at_its_file_line_and_column(string expression, int columnInExpression, string expected)
    {
        // The position is the expression's own, inside the YAML line: after the opening quote, plus the column in the expression.
        var yaml = WithCel(expression);
        var lines = yaml.Split('\n');
        var line = Array.FindIndex(lines, l => l.Contains("cel:", StringComparison.Ordinal));
        var column = lines[line].IndexOf(expression, StringComparison.Ordinal) + 1 + columnInExpression; // +1: 1-based, then past the quote
        Assert.Contains($"p.yaml:{line + 1}:{column}: {expected}", Error(yaml), StringComparison.Ordinal);
    }

    [Fact]
    public void Cel_condition_that_is_not_a_bool_fails_the_load()
    {
        Assert.Contains("a condition must give a bool", Error(WithCel("\"1 + 1\"")), StringComparison.Ordinal);
    }

    [Fact]
    public void Cel_condition_may_not_be_mixed_with_a_path()
    {
        var message = Error(WithCel("\"true\", path: /x"));
        Assert.Contains("a cel condition stands alone", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vulnerability_gate_is_read_and_expired_allowances_are_warnings()
    {
        var set = Loads(Header + """
              authorities: [{name: scanner, key: {file: release.pub}}, {name: security, key: {file: release.pub}}]
              vulnerabilities:
                authorities: [scanner]
                maxSeverity: medium
                unknownSeverity: low
                maxScanAge: 168h
                allow:
                  - {id: CVE-2024-0001, expires: 2026-06-30, reason: "fixed in the next base image"}
                  - {id: CVE-2023-9999, expires: 2026-01-01, reason: "old"}
                vex: {authorities: [security]}
            """);
        var gate = set.ImagePolicies[0].Vulnerabilities!;
        Assert.Equal(VulnerabilityReportReader.CosignVulnPredicateType, gate.PredicateType);
        Assert.Equal(VulnerabilitySeverity.Medium, gate.Rule.MaxSeverity);
        Assert.Equal(VulnerabilitySeverity.Low, gate.Rule.UnknownSeverity);
        Assert.Equal(TimeSpan.FromDays(7), gate.Rule.MaxScanAge);
        Assert.Equal(2, gate.Rule.Allowed.Count);
        Assert.Equal(["security"], gate.Vex!.AuthorityNames);
        var warning = Assert.Single(set.Warnings);
        Assert.Contains("the allowance of CVE-2023-9999 expired", warning.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("p.yaml:14:", warning.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("maxSeverity: severe", "maxSeverity must be none, negligible, low, medium, high or critical, not 'severe'")]
    [InlineData("maxSeverity: medium\n    allow: [{id: CVE-1, reason: x}]", "an allow entry needs 'expires'")]
    [InlineData("maxSeverity: medium\n    authorities: [nobody]", "names authority 'nobody', which is not declared")]
    public void Vulnerability_gate_mistakes_are_reported(string body, string expected)
    {
        var yaml = Header + "  authorities: [{name: scanner, key: {file: release.pub}}]\n  vulnerabilities:\n    " +
            (body.Contains("authorities", StringComparison.Ordinal) ? body : "authorities: [scanner]\n    " + body) + "\n";
        Assert.Contains(expected, Error(yaml), StringComparison.Ordinal);
    }

    private static string WithException(string spec) => Header + """
          authorities: [{name: k, key: {file: release.pub}}]
          signatures: {authorities: [k]}
        ---
        apiVersion: attest.dev/v1
        kind: PolicyException
        metadata: {name: incident-4711}
        spec:

        """ + spec;

    [Fact]
    public void Policy_exception_is_read()
    {
        var set = Loads(WithException("""
              images: ["registry.example.com/payments/api"]
              namespaces: [payments]
              policies: [p]
              reasons: [signature.none]
              expires: 2026-06-20T00:00:00Z
              reason: hotfix build 4711 is unsigned until the signing service is back
              approver: alice@example.com
            """));
        var exception = Assert.Single(set.Exceptions);
        Assert.Equal("incident-4711", exception.Name);
        Assert.True(exception.Covers("registry.example.com/payments/api", "payments", "p", Now));
        Assert.False(exception.Covers("registry.example.com/payments/api", "default", "p", Now));
        Assert.False(exception.Covers("registry.example.com/payments/other", "payments", "p", Now));
        Assert.False(exception.Covers("registry.example.com/payments/api", "payments", "p", exception.Expires));
        Assert.True(exception.Waives(["signature.none"]));
        Assert.False(exception.Waives(["signature.none", "signature.untrusted"]));
        Assert.Empty(set.Warnings);
    }

    [Theory]
    [InlineData("expires: 2026-08-01", "more than 30 days from now")]
    [InlineData("expires: next week", "spec.expires must be a date")]
    [InlineData("", "spec needs 'expires'")]
    public void Policy_exception_without_a_short_expiry_is_refused(string expires, string expected)
    {
        var message = Error(WithException($"""
              images: ["registry.example.com/payments/api"]
              namespaces: [payments]
              policies: [p]
              {expires}
              reason: r
              approver: a
            """));
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("policies: [production]", "not an ImagePolicy of this directory")]
    [InlineData("policies: [p]\n  reasons: [\"Signature None\"]", "is not a reason code")]
    [InlineData("policies: [p]\n  approver: ''", "spec.approver must be a non-empty string")]
    public void Policy_exception_mistakes_are_reported(string fields, string expected)
    {
        var message = Error(WithException($"""
              images: ["registry.example.com/payments/api"]
              namespaces: [payments]
              {fields}
              expires: 2026-06-10
              reason: r
            {(fields.Contains("approver", StringComparison.Ordinal) ? "" : "  approver: a")}
            """));
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expired_policy_exception_loads_with_a_warning_and_has_no_effect()
    {
        var set = Loads(WithException("""
              images: ["registry.example.com/**"]
              namespaces: ["*"]
              policies: ["*"]
              expires: 2026-05-01
              reason: old incident
              approver: bob
            """));
        var exception = Assert.Single(set.Exceptions);
        Assert.False(exception.IsActive(Now));
        Assert.Contains("PolicyException 'incident-4711' expired at 2026-05-01T00:00:00.0000000+00:00 and has no effect", Assert.Single(set.Warnings).Message, StringComparison.Ordinal);
    }
}
