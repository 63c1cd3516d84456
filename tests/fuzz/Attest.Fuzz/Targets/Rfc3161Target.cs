using System.Text;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Fuzz.Targets;

/// <summary>
/// An RFC 3161 TimeStampResp as the verifier's timestamp step reads it: the input, base64-encoded, replaces the
/// timestamp of a real Rekor v2 bundle (a TSA-timestamped vector), and <see cref="TimestampAuthorityStep"/> runs
/// against that vector's trusted root. A refused token is a finding with a reason code (TIMESTAMP_*).
/// </summary>
internal static class Rfc3161Target
{
    private static readonly TrustedRoot Root = TrustedRoot.Parse(Fixtures.Bytes("tsa-trusted_root.json"));
    private static readonly string Template = Fixtures.Text("tsa-bundle.sigstore.json");
    private static readonly string Placeholder = TimestampIn(Template);
    private static readonly TimestampAuthorityStep Step = new();

    public static void Run(byte[] input)
    {
        // An empty or oversized timestamp is refused by the bundle parser (its own target), never reaching this step.
        if (input.Length == 0 || input.Length > Sigstore.SigstoreLimits.Default.MaxTimestampBytes) return;
        var json = Encoding.UTF8.GetBytes(Template.Replace(Placeholder, Convert.ToBase64String(input), StringComparison.Ordinal));
        if (!Bundle.TryParse(json, out var bundle, out var finding))
            throw new InvalidOperationException($"the timestamp template no longer parses: {finding}");
        Step.Verify(new VerificationContext(bundle, SigstoreFixtures.Artifact, SigstoreFixtures.AnyIdentity, Root, VerifierOptions.Default, Sigstore.SigstoreLimits.Default, SigstoreFixtures.Time));
    }

    private static string TimestampIn(string bundle)
    {
        const string key = "\"signedTimestamp\": \"";
        var start = bundle.IndexOf(key, StringComparison.Ordinal);
        if (start < 0) throw new InvalidOperationException("the timestamp template has no signedTimestamp");
        start += key.Length;
        return bundle[start..bundle.IndexOf('"', start)];
    }
}
