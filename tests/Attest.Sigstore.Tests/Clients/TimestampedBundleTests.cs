using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Attest.Core;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Keyless;
using Attest.Sigstore.Rekor;
using Attest.Sigstore.Signing;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;
using Attest.Testing;

namespace Attest.Sigstore.Tests.Clients;

/// <summary>What a keyless client builds: bundles with an RFC 3161 timestamp over the signature, logged through the
/// proposal a Rekor v1 server takes (for DSSE, the envelope itself).</summary>
public sealed class TimestampedBundleTests : IDisposable
{
    private const string Identity = "https://github.com/acme/payments/.github/workflows/release.yml@refs/heads/main";
    private const string OidcIssuer = "https://token.actions.githubusercontent.com";
    private static readonly Digest Image = Digest.Sha256("image manifest"u8);
    private readonly TestSigstore _sigstore = new();
    private readonly ECDsa _tsaRootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _tsaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _tsaRoot;
    private readonly X509Certificate2 _tsaLeaf;
    private readonly TimestampAuthority _tsa;

    public TimestampedBundleTests()
    {
        var from = _sigstore.Time.GetUtcNow().AddHours(-1);
        _tsaRoot = AuthorityCertificates.CreateRoot(_tsaRootKey, "CN=tsa root", from, from.AddDays(1));
        _tsaLeaf = AuthorityCertificates.CreateTimestamping(_tsaRoot, _tsaRootKey, _tsaKey, "CN=tsa", from, from.AddDays(1));
        _tsa = new TimestampAuthority([_tsaLeaf, _tsaRoot], _tsaKey, _sigstore.Time);
    }

    public void Dispose()
    {
        _sigstore.Dispose();
        _tsaRoot.Dispose();
        _tsaLeaf.Dispose();
        _tsaRootKey.Dispose();
        _tsaKey.Dispose();
    }

    private TrustedRoot Root(bool withTsa)
    {
        var from = _sigstore.Time.GetUtcNow().AddHours(-1);
        var builder = new TrustedRootBuilder()
            .AddTransparencyLog(_sigstore.Log.BaseUrl, _sigstore.Log.PublicKeyInfo, from)
            .AddCertificateAuthority(TestSigstore.FulcioUrl, [_sigstore.FulcioRoot], from)
            .AddCertificateTransparencyLog(TestSigstore.CtLogUrl, _sigstore.CtLog.PublicKeyInfo, from);
        if (withTsa) builder.AddTimestampAuthority("https://tsa.attest.test", [_tsaLeaf, _tsaRoot], from);
        return builder.Build();
    }

    private async Task<(byte[] Bundle, RecordingLog Log)> SignKeylessAsync(bool dsse)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = _sigstore.IssueSigningCertificate(key, Identity, OidcIssuer);
        var log = new RecordingLog(_sigstore.Log);
        var builder = new BundleBuilder(log, timestamper: new LocalTimestamper(_tsa));
        var signer = BundleSigner.ForCertificate(key, certificate);
        var bundle = dsse
            ? await builder.SignStatementAsync(signer, StatementWriter.Write([("registry.attest.test/app", Image)], StatementWriter.CosignSignPredicateType))
            : await builder.SignDigestAsync(signer, Image);
        return (bundle, log);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Keyless_bundle_carries_a_timestamp_over_its_signature_that_the_verifier_counts(bool dsse)
    {
        var (bundle, _) = await SignKeylessAsync(dsse);

        var result = new BundleVerifier(Root(withTsa: true), time: _sigstore.Time).Verify(bundle, Artifact.FromDigest(Image), ArtifactPolicy.ForIdentity(Identity, OidcIssuer));

        Assert.True(result.Verified, result.Failure?.ToString());
        Assert.Contains(result.Timestamps, t => t.Source == TimestampSource.TimestampAuthority);
        Assert.Contains(result.Timestamps, t => t.Source == TimestampSource.TransparencyLog);
        Assert.True(Bundle.TryParse(bundle, out var parsed, out _));
        Assert.Single(parsed.Rfc3161Timestamps);
    }

    [Fact]
    public async Task Timestamp_of_an_authority_the_trusted_root_does_not_list_fails_verification()
    {
        var (bundle, _) = await SignKeylessAsync(dsse: true);

        var result = new BundleVerifier(Root(withTsa: false), time: _sigstore.Time).Verify(bundle, Artifact.FromDigest(Image), ArtifactPolicy.ForIdentity(Identity, OidcIssuer));

        Assert.False(result.Verified);
    }

    [Theory]
    [InlineData(true, "dsse")]
    [InlineData(false, "hashedrekord")]
    public async Task Proposal_given_to_the_log_is_one_a_Rekor_server_accepts_and_stores_as_the_bundles_body(bool dsse, string kind)
    {
        var (bundle, log) = await SignKeylessAsync(dsse);

        Assert.True(ProposedEntry.TryRead(log.Proposal, out var entry, out var error), error);
        Assert.Equal(kind, entry.Kind);
        Assert.Equal(log.Body, entry.CanonicalBody);
        Assert.True(Bundle.TryParse(bundle, out var parsed, out _));
        Assert.Equal(entry.CanonicalBody, parsed.TlogEntries[0].CanonicalizedBody);
    }

    /// <summary>The TSA in-process, asked as a client asks it over HTTP (a DER timestamp query).</summary>
    private sealed class LocalTimestamper(TimestampAuthority tsa) : ISignatureTimestamper
    {
        public Task<byte[]> TimestampAsync(ReadOnlyMemory<byte> signature, CancellationToken cancellationToken = default)
        {
            var query = Rfc3161TimestampRequest.CreateFromHash(SHA256.HashData(signature.Span), HashAlgorithmName.SHA256, requestSignerCertificates: true);
            var result = tsa.Respond(query.Encode());
            Assert.True(result.Granted, result.FailureReason);
            return Task.FromResult(result.Response);
        }
    }

    /// <summary>Keeps what the builder proposed, and appends the body to the in-memory log.</summary>
    private sealed class RecordingLog(InMemoryTransparencyLog log) : ITransparencyLog
    {
        public byte[] Body { get; private set; } = [];

        public byte[] Proposal { get; private set; } = [];

        public Task<TransparencyLogEntry> AppendAsync(ReadOnlyMemory<byte> canonicalizedBody, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the builder must give the log its proposal");

        public Task<TransparencyLogEntry> AppendAsync(ReadOnlyMemory<byte> canonicalizedBody, ReadOnlyMemory<byte> proposedEntry, CancellationToken cancellationToken = default)
        {
            Body = canonicalizedBody.ToArray();
            Proposal = proposedEntry.ToArray();
            return log.AppendAsync(canonicalizedBody, cancellationToken);
        }
    }
}
