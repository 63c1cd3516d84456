using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Notation.Envelopes;
using Attest.Notation.Signing;
using Attest.Notation.Trust;
using Attest.Notation.Verification;
using Attest.Testing;

namespace Attest.Notation.Tests;

/// <summary>Signatures made from the specification over chains made by openssl (an independent certificate issuer):
/// admitted under a matching trust policy, refused for each way one can go wrong.</summary>
public sealed class OpensslChainTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("notation-pki");
    private PkiChain _chain = null!;

    private static readonly Digest ImageDigest = Digest.Sha256(Encoding.UTF8.GetBytes("an image manifest"));
    private static readonly ExpectedArtifact Image = new(ImageDigest, "application/vnd.oci.image.manifest.v1+json", 1234);

    public async Task InitializeAsync() => _chain = await PkiChain.CreateAsync(_directory.Combine("ca"));

    public Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    private NotationSignRequest Request(PkiChain chain, Digest? digest = null, DateTimeOffset? expiry = null) => new()
    {
        Payload = NotationSigner.Payload(Image.MediaType!, digest ?? ImageDigest, Image.Size!.Value),
        CertificateChain = chain.Certificates,
        Key = chain.Leaf.Key,
        SigningTime = DateTimeOffset.UtcNow.AddMinutes(-1),
        Expiry = expiry,
        SigningAgent = "attest-tests/1.0",
    };

    private static NotationTrustPolicy Trusting(PkiChain chain, VerificationLevel? level = null, params TrustedIdentity[] identities)
    {
        var store = new TrustStore();
        store.Add(TrustStoreType.CertificateAuthority, chain.Root.Certificate);
        return new NotationTrustPolicy(store, identities.Length == 0 ? NotationVectors.AnyIdentity : identities, level ?? VerificationLevel.Strict);
    }

    private static NotationResult Verify(string mediaType, byte[] envelope, NotationTrustPolicy policy, ExpectedArtifact? expected = null) =>
        NotationVerifier.Verify(mediaType, envelope, expected ?? Image, policy, DateTimeOffset.UtcNow);

    public static TheoryData<string> Formats => new() { NotationMediaTypes.Jws, NotationMediaTypes.Cose };

    private static byte[] Sign(string mediaType, NotationSignRequest request) =>
        mediaType == NotationMediaTypes.Jws ? NotationSigner.SignJws(request) : NotationSigner.SignCose(request);

    [Theory]
    [MemberData(nameof(Formats))]
    public void Signature_by_a_chain_to_the_trusted_root_verifies(string mediaType)
    {
        var result = Verify(mediaType, Sign(mediaType, Request(_chain)), Trusting(_chain, null, NotationVectors.Identity("x509.subject: C=US, ST=WA, O=Attest Test, CN=release signer")));
        Assert.True(result.Verified, result.Failure?.ToString());
        Assert.Equal(ImageDigest, result.Target!.Digest);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Signature_by_another_root_is_untrusted(string mediaType)
    {
        var other = await PkiChain.CreateAsync(_directory.Combine("other"), new PkiOptions { RootSubject = "/C=US/ST=WA/O=Attest Test/CN=Attest Test Root" });
        var result = Verify(mediaType, Sign(mediaType, Request(other)), Trusting(_chain));
        Assert.Equal(NotationCodes.ChainUntrusted, result.Failure!.Code);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Signature_by_an_expired_certificate_is_refused(string mediaType)
    {
        var expired = await PkiChain.CreateAsync(_directory.Combine("expired"), new PkiOptions
        {
            LeafNotBefore = DateTimeOffset.UtcNow.AddDays(-30), LeafNotAfter = DateTimeOffset.UtcNow.AddDays(-1),
        });
        var request = Request(expired) with { SigningTime = DateTimeOffset.UtcNow.AddDays(-10) };
        var result = Verify(mediaType, Sign(mediaType, request), Trusting(expired));
        Assert.Equal(NotationCodes.CertificateExpired, result.Failure!.Code);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Expired_certificate_with_a_trusted_timestamp_from_its_validity_verifies(string mediaType)
    {
        // Sign while valid (the TSA stamps now; the leaf expires "now" in the verifier's future).
        var tsa = await PkiChain.IssueTsaAsync(_directory.Combine("ca"), _chain.Root);
        var request = Request(_chain) with
        {
            Timestamper = signature => PkiChain.TimestampAsync(_directory.Path, tsa, _chain.Root, signature).GetAwaiter().GetResult(),
        };
        var envelope = Sign(mediaType, request);
        var policy = Trusting(_chain);
        policy.TrustStore.Add(TrustStoreType.TimestampAuthority, _chain.Root.Certificate);
        var later = _chain.Leaf.Certificate.NotAfter.AddDays(30);

        var result = NotationVerifier.Verify(mediaType, envelope, Image, policy, later);
        Assert.True(result.Verified, result.Failure?.ToString());

        // The same envelope with its countersignature stripped has nothing to show it was signed in time.
        var withoutTimestamp = NotationVerifier.Verify(mediaType, Sign(mediaType, Request(_chain)), Image, policy, later);
        Assert.Equal(NotationCodes.TimestampInvalid, withoutTimestamp.Failure!.Code);
    }

    [Fact]
    public void Jws_with_a_tampered_payload_is_refused()
    {
        var envelope = JsonNode.Parse(NotationSigner.SignJws(Request(_chain)))!;
        var other = NotationSigner.Payload(Image.MediaType!, Digest.Sha256("another manifest"u8), Image.Size!.Value);
        envelope["payload"] = JwsEnvelope.ToBase64Url(other);
        var result = Verify(NotationMediaTypes.Jws, Encoding.UTF8.GetBytes(envelope.ToJsonString()), Trusting(_chain));
        Assert.Equal(NotationCodes.SignatureInvalid, result.Failure!.Code);
    }

    [Fact]
    public void Cose_with_a_tampered_payload_is_refused()
    {
        var bytes = NotationSigner.SignCose(Request(_chain));
        var hex = Convert.ToHexString(ImageDigest.Value);
        var index = Encoding.ASCII.GetString(bytes).IndexOf(ImageDigest.Hex, StringComparison.Ordinal);
        Assert.True(index > 0, hex);
        bytes[index] = (byte)(bytes[index] == (byte)'a' ? 'b' : 'a');
        var result = Verify(NotationMediaTypes.Cose, bytes, Trusting(_chain), Image with { Digest = Digest.Parse("sha256:" + Encoding.ASCII.GetString(bytes, index, 64)) });
        Assert.Equal(NotationCodes.SignatureInvalid, result.Failure!.Code);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Signature_for_another_digest_is_refused(string mediaType)
    {
        var envelope = Sign(mediaType, Request(_chain, Digest.Sha256("another manifest"u8)));
        var result = Verify(mediaType, envelope, Trusting(_chain));
        Assert.Equal(NotationCodes.PayloadMismatch, result.Failure!.Code);
        Assert.Contains(ImageDigest.ToString(), result.Failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Signature_naming_another_media_type_or_size_is_refused(string mediaType)
    {
        var envelope = Sign(mediaType, Request(_chain));
        Assert.Equal(NotationCodes.PayloadMismatch, Verify(mediaType, envelope, Trusting(_chain), Image with { Size = 1235 }).Failure!.Code);
        Assert.Equal(NotationCodes.PayloadMismatch, Verify(mediaType, envelope, Trusting(_chain), Image with { MediaType = "application/vnd.oci.image.index.v1+json" }).Failure!.Code);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Signature_past_its_expiry_fails_strict_and_is_logged_by_permissive(string mediaType)
    {
        var envelope = Sign(mediaType, Request(_chain, expiry: DateTimeOffset.UtcNow.AddSeconds(-5)));
        Assert.Equal(NotationCodes.SignatureExpired, Verify(mediaType, envelope, Trusting(_chain)).Failure!.Code);
        var permissive = Verify(mediaType, envelope, Trusting(_chain, VerificationLevel.Permissive));
        Assert.True(permissive.Verified);
        Assert.Equal(NotationCodes.SignatureExpired, Assert.Single(permissive.Logged).Code);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Unknown_critical_attribute_fails_at_every_level(string mediaType)
    {
        var request = Request(_chain) with { ExtendedAttributes = [new("com.example.mustUnderstand", "yes", true), new("com.example.note", "fine", false)] };
        var envelope = Sign(mediaType, request);
        foreach (var level in new[] { VerificationLevel.Strict, VerificationLevel.Audit })
        {
            var result = Verify(mediaType, envelope, Trusting(_chain, level));
            Assert.Equal(NotationCodes.CriticalUnknown, result.Failure!.Code);
            Assert.Contains("com.example.mustUnderstand", result.Failure.Message, StringComparison.Ordinal);
        }
        // Non-critical extended attributes are allowed.
        Assert.True(Verify(mediaType, Sign(mediaType, Request(_chain) with { ExtendedAttributes = [new("com.example.note", "fine", false)] }), Trusting(_chain)).Verified);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Chain_out_of_order_or_with_a_loop_is_refused(string mediaType)
    {
        var swapped = Request(_chain) with { CertificateChain = [_chain.Leaf.Certificate, _chain.Root.Certificate, _chain.Intermediate!.Certificate] };
        var result = Verify(mediaType, Sign(mediaType, swapped), Trusting(_chain));
        Assert.Equal(NotationCodes.ChainInvalid, result.Failure!.Code);

        var loop = Request(_chain) with { CertificateChain = [_chain.Leaf.Certificate, _chain.Intermediate.Certificate, _chain.Root.Certificate, _chain.Intermediate.Certificate] };
        result = Verify(mediaType, Sign(mediaType, loop), Trusting(_chain));
        Assert.Equal(NotationCodes.ChainInvalid, result.Failure!.Code);
        Assert.Contains("loops", result.Failure.Message, StringComparison.Ordinal);

        var noRoot = Request(_chain) with { CertificateChain = [_chain.Leaf.Certificate, _chain.Intermediate.Certificate] };
        result = Verify(mediaType, Sign(mediaType, noRoot), Trusting(_chain));
        Assert.Equal(NotationCodes.ChainInvalid, result.Failure!.Code);
    }

    [Theory]
    [InlineData("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=codeSigning", "must be critical")]
    [InlineData("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=codeSigning", "must not")]
    [InlineData("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth", "1.3.6.1.5.5.7.3.1")]
    [InlineData("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning", "is a CA")]
    public async Task Leaf_breaking_a_certificate_requirement_is_refused(string extensions, string reason)
    {
        var chain = await PkiChain.CreateAsync(_directory.Combine("bad-" + Guid.NewGuid().ToString("N")), new PkiOptions { LeafExtensions = extensions, Intermediate = false });
        var result = Verify(NotationMediaTypes.Jws, NotationSigner.SignJws(Request(chain)), Trusting(chain));
        Assert.Equal(NotationCodes.ChainInvalid, result.Failure!.Code);
        Assert.Contains(reason, result.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rsa_chain_signs_with_the_algorithm_its_key_size_selects()
    {
        var rsa = await PkiChain.CreateAsync(_directory.Combine("rsa"), new PkiOptions { KeyType = "rsa:3072", Intermediate = false });
        var jws = NotationSigner.SignJws(Request(rsa));
        Assert.True(JwsEnvelope.TryParse(jws, out var envelope, out _));
        Assert.Equal(NotationAlgorithm.RsaPssSha384, envelope.Algorithm);
        Assert.True(Verify(NotationMediaTypes.Jws, jws, Trusting(rsa)).Verified);
        Assert.True(Verify(NotationMediaTypes.Cose, NotationSigner.SignCose(Request(rsa)), Trusting(rsa)).Verified);
    }

    [Fact]
    public void Jws_whose_alg_differs_from_the_signing_key_is_refused()
    {
        // Re-sign the same headers with alg ES384 using the P-256 key: the algorithm must follow the key.
        var envelope = JsonNode.Parse(NotationSigner.SignJws(Request(_chain)))!;
        var header = JsonNode.Parse(Convert.FromBase64String(Pad(envelope["protected"]!.GetValue<string>())))!;
        header["alg"] = "ES384";
        var protectedText = JwsEnvelope.ToBase64Url(Encoding.UTF8.GetBytes(header.ToJsonString()));
        var signature = ((ECDsa)_chain.Leaf.Key).SignData(Encoding.ASCII.GetBytes(protectedText + "." + envelope["payload"]!.GetValue<string>()), HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        envelope["protected"] = protectedText;
        envelope["signature"] = JwsEnvelope.ToBase64Url(signature);

        var result = Verify(NotationMediaTypes.Jws, Encoding.UTF8.GetBytes(envelope.ToJsonString()), Trusting(_chain));
        Assert.Equal(NotationCodes.SignatureInvalid, result.Failure!.Code);
        Assert.Contains("ES384", result.Failure.Message, StringComparison.Ordinal);
    }

    private static string Pad(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text + new string('=', (4 - text.Length % 4) % 4);
    }
}
