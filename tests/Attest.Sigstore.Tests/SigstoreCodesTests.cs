using System.Reflection;

namespace Attest.Sigstore.Tests;

public class SigstoreCodesTests
{
    private static Dictionary<string, string> Codes() =>
        typeof(SigstoreCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

    [Fact]
    public void Codes_are_unique_lowercase_and_dotted_with_a_known_prefix()
    {
        var codes = Codes();
        Assert.Equal(codes.Count, codes.Values.Distinct(StringComparer.Ordinal).Count());
        string[] prefixes = ["bundle.", "trustroot.", "tlog.", "timestamp.", "certificate.", "sct.", "signature.", "identity.", "key.", "cosign.", "policy."];
        foreach (var (name, code) in codes)
        {
            Assert.Matches("^[a-z0-9]+(\\.[a-z0-9-]+)+$", code);
            Assert.True(prefixes.Any(p => code.StartsWith(p, StringComparison.Ordinal)), $"{name} = {code} has no known prefix");
        }
    }

    [Fact]
    public void Snapshot_of_the_code_list_makes_renames_visible()
    {
        const string expected = """
            bundle.base64 bundle.certificate bundle.certificate-chain bundle.content bundle.dsse bundle.limit bundle.malformed bundle.material bundle.media-type bundle.tlog-entry bundle.too-large
            certificate.chain certificate.code-signing certificate.extensions
            cosign.claim-mismatch cosign.payload
            identity.claim-mismatch identity.issuer-mismatch identity.san-mismatch
            key.malformed key.not-allowed key.outside-validity key.required
            policy.invalid
            sct.invalid sct.malformed sct.missing
            signature.digest-mismatch signature.digest-unsupported signature.mismatch signature.payload-type signature.statement signature.subject-mismatch
            timestamp.imprint-mismatch timestamp.malformed timestamp.not-granted timestamp.outside-validity timestamp.threshold timestamp.untrusted
            tlog.body.digest-mismatch tlog.body.envelope-mismatch tlog.body.key-mismatch tlog.body.kind-mismatch tlog.body.malformed tlog.body.signature-mismatch tlog.checkpoint.malformed tlog.checkpoint.origin tlog.checkpoint.signature tlog.inclusion.invalid tlog.inclusion.missing tlog.inclusion.root-mismatch tlog.integrated-time.outside-certificate tlog.key.not-valid tlog.kind.unsupported tlog.set.invalid tlog.set.missing tlog.threshold tlog.unknown-log
            trustroot.certificate trustroot.key trustroot.malformed trustroot.media-type trustroot.validity
            """;
        var actual = string.Join("\n", Codes().Values.Order(StringComparer.Ordinal).GroupBy(c => c[..c.IndexOf('.', StringComparison.Ordinal)]).Select(g => string.Join(" ", g)));
        Assert.Equal(expected.ReplaceLineEndings("\n"), actual);
    }
}
