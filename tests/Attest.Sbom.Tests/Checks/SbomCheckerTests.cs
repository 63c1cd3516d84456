using System.Text;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;
using Microsoft.Extensions.Time.Testing;

namespace Attest.Sbom.Tests.Checks;

public sealed class SbomCheckerTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private const string ImageHex = "6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

    private static SbomReadResult Bom(string components, string metadata = """{"timestamp":"2026-05-31T12:00:00Z","authors":[{"name":"CI"}]}""", string dependencies = "[]") =>
        SbomReader.Read(Encoding.UTF8.GetBytes($$"""{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{{metadata}},"components":[{{components}}],"dependencies":{{dependencies}}}"""));

    private static string Lib(string name, string version, string? purl = null, string? license = null, string? expression = null, string? supplier = "Acme")
    {
        var c = new JsonObject { ["type"] = "library", ["name"] = name, ["version"] = version, ["bom-ref"] = name };
        if (purl is not null) c["purl"] = purl;
        if (supplier is not null) c["supplier"] = new JsonObject { ["name"] = supplier };
        if (license is not null) c["licenses"] = new JsonArray(new JsonObject { ["license"] = new JsonObject { ["id"] = license } });
        if (expression is not null) c["licenses"] = new JsonArray(new JsonObject { ["expression"] = expression });
        return c.ToJsonString();
    }

    private static IReadOnlyList<Finding> Check(SbomReadResult read, SbomPolicy policy, Digest? subject = null) =>
        new SbomChecker(new FakeTimeProvider(Now)).Check(read, policy, subject);

    [Fact]
    public void Denied_licence_names_every_component_bound_by_it_and_spares_dual_licensed_ones()
    {
        var read = Bom(string.Join(",", Lib("a", "1", license: "GPL-3.0-only"), Lib("b", "1", expression: "MIT OR GPL-3.0-only"), Lib("c", "1", expression: "MIT AND GPL-3.0-only"), Lib("d", "1", license: "MIT")));
        var findings = Check(read, new SbomPolicy { DeniedLicenses = ["GPL-3.0-only"] });
        Assert.All(findings, f => Assert.Equal(SbomCodes.LicenseDenied, f.Code));
        var components = findings.SelectMany(f => f.Evidence!["components"].Split('\n')).Order(StringComparer.Ordinal);
        Assert.Equal(["a@1", "c@1"], components);
    }

    [Fact]
    public void Allow_list_reports_licences_outside_it_and_components_without_a_licence()
    {
        var read = Bom(string.Join(",", Lib("a", "1", license: "MIT"), Lib("b", "1", license: "BSD-3-Clause"), Lib("c", "1"), Lib("d", "1", expression: "BSD-3-Clause OR MIT")));
        var findings = Check(read, new SbomPolicy { AllowedLicenses = ["MIT"] });
        Assert.All(findings, f => Assert.Equal(SbomCodes.LicenseNotAllowed, f.Code));
        Assert.Equal(["b@1", "c@1"], findings.SelectMany(f => f.Evidence!["components"].Split('\n')).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Concluded_licence_takes_precedence_over_declared()
    {
        var component = """{"type":"library","name":"a","version":"1","licenses":[{"license":{"id":"GPL-3.0-only","acknowledgement":"declared"}},{"license":{"id":"MIT","acknowledgement":"concluded"}}]}""";
        Assert.Empty(Check(Bom(component), new SbomPolicy { DeniedLicenses = ["GPL-3.0-only"] }));
        Assert.Single(Check(Bom(component), new SbomPolicy { DeniedLicenses = ["MIT"] }));
    }

    [Fact]
    public void Unparseable_expression_is_reported_when_licences_are_checked()
    {
        var read = Bom(Lib("a", "1", expression: "MIT and Apache-2.0"));
        var finding = Assert.Single(Check(read, new SbomPolicy { DeniedLicenses = ["GPL-3.0-only"] }));
        Assert.Equal(SbomCodes.LicenseUnparseable, finding.Code);
        Assert.Empty(Check(read, new SbomPolicy()));
    }

    [Theory]
    [InlineData("golang rule below the fixed version", "pkg:golang/github.com/evil/mod@<1.2.3", "pkg:golang/github.com/evil/mod@v1.2.2", true)]
    [InlineData("golang rule at the fixed version", "pkg:golang/github.com/evil/mod@<1.2.3", "pkg:golang/github.com/evil/mod@v1.2.3", false)]
    [InlineData("golang pseudo-version before the fix", "pkg:golang/github.com/evil/mod@<v1.2.3", "pkg:golang/github.com/evil/mod@v1.2.3-0.20240101000000-abcdefabcdef", true)]
    [InlineData("+incompatible major", "pkg:golang/github.com/evil/mod@<2.1.0", "pkg:golang/github.com/evil/mod@v2.0.0+incompatible", true)]
    [InlineData("other module with the same name", "pkg:golang/github.com/evil/mod@<1.2.3", "pkg:golang/github.com/good/mod@v1.0.0", false)]
    [InlineData("rule without version denies all versions", "pkg:npm/left-pad", "pkg:npm/left-pad@1.3.0", true)]
    [InlineData("vers range", "pkg:npm/left-pad@vers:npm/>=1.0.0|<1.3.1", "pkg:npm/left-pad@1.3.0", true)]
    [InlineData("other type", "pkg:npm/left-pad", "pkg:pypi/left-pad@1.3.0", false)]
    [InlineData("pypi names are normalised ('_' is '-', case-insensitive)", "pkg:pypi/django-allauth@<1", "pkg:pypi/Django_Allauth@0.1", true)]
    [InlineData("percent-encoded name in the component purl", "pkg:npm/%40scope/pkg@<2", "pkg:npm/%40scope/pk%67@1.0.0", true)]
    [InlineData("github names are case-insensitive", "pkg:github/package-url/purl-spec", "pkg:github/Package-URL/Purl-Spec@244fd47e", true)]
    [InlineData("purl qualifiers do not matter", "pkg:maven/org.example/lib@<2", "pkg:maven/org.example/lib@1.5?type=jar", true)]
    public void Denied_component_rules_match_by_package_and_version_range(string description, string rule, string purl, bool denied)
    {
        var read = Bom(Lib("x", "1", purl: purl));
        var findings = Check(read, new SbomPolicy { DeniedComponents = [rule] });
        Assert.True(denied == findings.Any(f => f.Code == SbomCodes.ComponentDenied), description);
        if (denied) Assert.Equal(rule, Assert.Single(findings).Evidence!["rule"]);
    }

    [Fact]
    public void Subject_binding_of_a_bare_cyclonedx_bom_uses_metadata_component_hash_or_oci_purl()
    {
        var byHash = Bom("", $$$"""{"timestamp":"2026-05-31T12:00:00Z","component":{"type":"container","name":"app","hashes":[{"alg":"SHA-256","content":"{{{ImageHex}}}"}]}}""");
        Assert.Empty(Check(byHash, new SbomPolicy(), Digest.Parse("sha256:" + ImageHex)));
        var byPurl = Bom("", $$$"""{"timestamp":"2026-05-31T12:00:00Z","component":{"type":"container","name":"app","purl":"pkg:oci/app@sha256%3A{{{ImageHex}}}"}}""");
        Assert.Empty(Check(byPurl, new SbomPolicy(), Digest.Parse("sha256:" + ImageHex)));
        var finding = Assert.Single(Check(byPurl, new SbomPolicy(), Digest.Parse("sha256:" + new string('1', 64))));
        Assert.Equal(SbomCodes.SubjectMismatch, finding.Code);
        Assert.Equal("sha256:" + ImageHex, finding.Evidence!["found"]);
        Assert.Equal(SbomCodes.SubjectMismatch, Assert.Single(Check(Bom(""), new SbomPolicy(), Digest.Parse("sha256:" + ImageHex))).Code);
    }

    [Theory]
    [InlineData("one day old, 30 days allowed", "2026-05-31T12:00:00Z", 30, null)]
    [InlineData("31 days old, 30 days allowed", "2026-05-01T11:00:00Z", 30, SbomCodes.AgeExceeded)]
    [InlineData("one hour in the future", "2026-06-01T13:00:00Z", 30, SbomCodes.AgeInFuture)]
    [InlineData("within clock skew", "2026-06-01T12:04:00Z", 30, null)]
    public void Maximum_age_uses_the_injected_clock(string description, string created, int days, string? code)
    {
        var read = Bom("", $$"""{"timestamp":"{{created}}"}""");
        var findings = Check(read, new SbomPolicy { MaxAge = TimeSpan.FromDays(days) });
        if (code is null) Assert.True(findings.Count == 0, description);
        else Assert.Equal(code, Assert.Single(findings).Code);
    }

    [Fact]
    public void Maximum_age_without_a_timestamp_is_reported()
    {
        var findings = Check(Bom("", "{}"), new SbomPolicy { MaxAge = TimeSpan.FromDays(1) });
        Assert.Equal(SbomCodes.AgeUnknown, Assert.Single(findings).Code);
    }

    [Fact]
    public void Component_count_and_byte_limits_of_the_policy_are_enforced()
    {
        var read = Bom(string.Join(",", Lib("a", "1"), Lib("b", "1"), Lib("c", "1")));
        Assert.Equal(SbomCodes.LimitsComponents, Assert.Single(Check(read, new SbomPolicy { MaxComponents = 2 })).Code);
        Assert.Empty(Check(read, new SbomPolicy { MaxComponents = 3 }));
        Assert.Equal(SbomCodes.LimitsBytes, Assert.Single(Check(read, new SbomPolicy { MaxBytes = 100 })).Code);
    }

    [Fact]
    public void Cyclonedx_ntia_reports_each_missing_element_with_the_offending_components()
    {
        var read = Bom(string.Join(",", Lib("a", "1", purl: "pkg:npm/a@1"), Lib("b", "1", supplier: null), """{"type":"library","name":"c","supplier":{"name":"NOASSERTION"}}"""),
            metadata: "{}", dependencies: "[]");
        var findings = SbomChecker.CheckNtia(read.Document!).ToDictionary(f => f.Code);
        Assert.Equal(["b@1", "c"], findings[SbomCodes.NtiaSupplier].Evidence!["components"].Split('\n'));
        Assert.Equal("c", findings[SbomCodes.NtiaVersion].Evidence!["components"]);
        Assert.Equal("c", findings[SbomCodes.NtiaIdentifier].Evidence!["components"]);
        Assert.Contains(SbomCodes.NtiaDependency, findings.Keys);
        Assert.Contains(SbomCodes.NtiaAuthor, findings.Keys);
        Assert.Contains(SbomCodes.NtiaTimestamp, findings.Keys);
        Assert.DoesNotContain(SbomCodes.NtiaName, findings.Keys);
    }

    [Fact]
    public void Schema_violations_fail_the_check_unless_switched_off()
    {
        var read = Bom("""{"type":"nonsense","name":"a"}""");
        Assert.Equal(SbomCodes.SchemaViolation, Assert.Single(Check(read, new SbomPolicy())).Code);
        Assert.Empty(Check(read, new SbomPolicy { RequireSchemaValidity = false }));
    }

    [Fact]
    public void Invalid_policy_is_a_caller_error_listing_every_problem()
    {
        var policy = new SbomPolicy { DeniedComponents = ["npm/left-pad", "pkg:npm/x@>=1,"], MaxAge = TimeSpan.Zero };
        Assert.Equal(3, policy.Validate().Count);
        Assert.Throws<ArgumentException>(() => Check(Bom(""), policy));
    }

    [Fact]
    public void Long_lists_name_the_first_components_and_count_the_rest()
    {
        var read = Bom(string.Join(",", Enumerable.Range(0, 30).Select(i => Lib($"c{i}", "1", license: "GPL-3.0-only"))));
        var finding = Assert.Single(Check(read, new SbomPolicy { DeniedLicenses = ["GPL-3.0-only"] }));
        Assert.Equal("30", finding.Evidence!["count"]);
        Assert.Contains("and 10 more", finding.Message, StringComparison.Ordinal);
    }
}
