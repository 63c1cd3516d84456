using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.Core.Crypto;
using Attest.Core.InToto;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Signing;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;
using Attest.Testing;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Sigstore.Tests.Signing;

/// <summary>Bundles built by <see cref="BundleBuilder"/> against the in-memory log verify with <see cref="BundleVerifier"/>, and only as built.</summary>
public sealed class BundleBuilderTests : IDisposable
{
    private readonly TestSigstore _sigstore = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly Digest Image = Digest.Sha256("image manifest"u8);

    public void Dispose()
    {
        _key.Dispose();
        _sigstore.Dispose();
    }

    private PublicKey Key => PublicKey.TryParseSubjectPublicKeyInfo(_key.ExportSubjectPublicKeyInfo(), out var key, out _) ? key : throw new InvalidOperationException();

    private VerificationResult Verify(byte[] bundle, Artifact artifact, TrustedRoot? root = null, PublicKey? key = null) =>
        new BundleVerifier(root ?? _sigstore.TrustedRoot, time: _sigstore.Time).Verify(bundle, artifact, ArtifactPolicy.ForKey(key ?? Key));

    private static void AssertVerified(VerificationResult result) => Assert.True(result.Verified, result.Failure?.ToString());

    [Fact]
    public void SignImage_bundle_verifies_for_the_image_digest_with_a_log_timestamp()
    {
        var bundle = _sigstore.SignImage(Image, _key);

        var result = Verify(bundle, Artifact.FromDigest(Image));

        AssertVerified(result);
        var timestamp = Assert.Single(result.Timestamps);
        Assert.Equal(TimestampSource.TransparencyLog, timestamp.Source);
        Assert.True(Bundle.TryParse(bundle, out var parsed, out _));
        Assert.Equal(3, parsed.MinorVersion);
        Assert.Equal(BundleBuilder.MediaType, parsed.MediaType);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(_key.ExportSubjectPublicKeyInfo())), parsed.PublicKeyHint);
        Assert.Equal(("dsse", "0.0.1"), (parsed.TlogEntries[0].Kind, parsed.TlogEntries[0].Version));
        Assert.True(Statement.TryParse(parsed.DsseEnvelope!.Payload, out var statement, out _));
        Assert.Equal(StatementWriter.CosignSignPredicateType, statement.PredicateType);
        Assert.True(statement.HasSubjectDigest("sha256", Image.Hex));
    }

    [Fact]
    public void Trusted_root_written_to_a_file_verifies_the_bundles_of_its_log()
    {
        using var directory = new TempDirectory();
        var path = directory.Combine("trusted_root.json");
        _sigstore.WriteTrustedRoot(path);
        var bundle = _sigstore.SignImage(Image, _key);

        var root = TrustedRoot.Parse(File.ReadAllBytes(path));

        AssertVerified(Verify(bundle, Artifact.FromDigest(Image), root: root));
        Assert.Equal(_sigstore.Log.LogId, Assert.Single(root.TransparencyLogs).LogId);
    }

    [Fact]
    public void SignImageDsse_carries_the_predicate_and_verifies()
    {
        var bundle = _sigstore.SignImageDsse(Image, "https://slsa.dev/provenance/v1", """{"buildDefinition":{"buildType":"https://attest.test/build"}}""", _key);

        AssertVerified(Verify(bundle, Artifact.FromDigest(Image)));
        Assert.True(Bundle.TryParse(bundle, out var parsed, out _));
        Assert.True(Statement.TryParse(parsed.DsseEnvelope!.Payload, out var statement, out _));
        Assert.Equal("https://slsa.dev/provenance/v1", statement.PredicateType);
        Assert.Equal("https://attest.test/build", statement.Predicate!.Value.GetProperty("buildDefinition").GetProperty("buildType").GetString());
    }

    [Fact]
    public void Message_signature_over_a_digest_verifies_by_digest_and_by_bytes()
    {
        var artifact = "release tarball"u8.ToArray();
        var bundle = _sigstore.SignDigest(Digest.Sha256(artifact), _key);

        AssertVerified(Verify(bundle, Artifact.FromDigest(Digest.Sha256(artifact))));
        AssertVerified(Verify(bundle, Artifact.FromBytes(artifact)));
        Assert.True(Bundle.TryParse(bundle, out var parsed, out _));
        Assert.Equal(("hashedrekord", "0.0.1"), (parsed.TlogEntries[0].Kind, parsed.TlogEntries[0].Version));
        Assert.Equal(SHA256.HashData(artifact), parsed.MessageSignature!.Digest);
    }

    [Fact]
    public void Message_signature_is_rejected_for_another_artifact()
    {
        var bundle = _sigstore.SignDigest(Digest.Sha256("release tarball"u8), _key);

        var result = Verify(bundle, Artifact.FromBytes("another tarball"u8.ToArray()));

        Assert.Equal(SigstoreCodes.SignatureDigestMismatch, result.Failure?.Code);
    }

    [Fact]
    public async Task Ed25519_signer_builds_dsse_bundles_that_verify_and_refuses_message_signatures()
    {
        var signer = BundleSigner.ForEd25519(Ed25519.GenerateSeed());
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(signer.SubjectPublicKeyInfo, out var key, out var error), error);
        Assert.Equal(KeyAlgorithm.Ed25519, key.Algorithm);
        var artifact = "artifact"u8.ToArray();

        var dsse = await _sigstore.Builder.SignStatementAsync(signer, StatementWriter.Write([("a", Digest.Sha256(artifact))], "https://attest.test/p"));

        AssertVerified(Verify(dsse, Artifact.FromDigest(Digest.Sha256(artifact)), key: key));
        // Rekor v1 hashedrekord cannot check pure Ed25519 (it needs the message), so no such entry is ever logged.
        await Assert.ThrowsAsync<NotSupportedException>(() => _sigstore.Builder.SignArtifactAsync(signer, artifact));
        Assert.Equal(1, _sigstore.Log.Size); // only the DSSE entry
    }

    [Fact]
    public async Task SignArtifact_bundle_verifies_by_bytes_and_by_digest()
    {
        var artifact = "artifact"u8.ToArray();

        var bundle = await _sigstore.Builder.SignArtifactAsync(BundleSigner.ForEcdsa(_key, hint: "release-key"), artifact);

        AssertVerified(Verify(bundle, Artifact.FromBytes(artifact)));
        AssertVerified(Verify(bundle, Artifact.FromDigest(Digest.Sha256(artifact))));
        Assert.True(Bundle.TryParse(bundle, out var parsed, out _));
        Assert.Equal("release-key", parsed.PublicKeyHint);
    }

    [Fact]
    public void Signers_refuse_keys_whose_signatures_would_not_be_SHA_256_P_256()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        Assert.Throws<ArgumentException>(() => BundleSigner.ForEcdsa(p384));
        Assert.Throws<ArgumentException>(() => BundleSigner.ForEd25519(new byte[31]));
        Assert.Throws<NotSupportedException>(() => BundleSigner.ForEcdsa(_key).SignDigest(Digest.FromBytes("sha512", new byte[64])));
    }

    [Fact]
    public async Task SignStatement_refuses_a_payload_that_is_not_an_in_toto_statement()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _sigstore.Builder.SignStatementAsync(BundleSigner.ForEcdsa(_key), "{}"u8.ToArray()));
        Assert.Equal(0, _sigstore.Log.Size);
    }

    [Fact]
    public async Task Payload_larger_than_verifiers_accept_is_refused_before_logging()
    {
        var builder = new BundleBuilder(_sigstore.Log, SigstoreLimits.Default with { MaxDssePayloadBytes = 16 });

        await Assert.ThrowsAsync<ArgumentException>(() => builder.SignDsseAsync(BundleSigner.ForEcdsa(_key), "text/plain", new byte[17]));
        Assert.Equal(0, _sigstore.Log.Size);
        Assert.True(Bundle.TryParse(await builder.SignDsseAsync(BundleSigner.ForEcdsa(_key), "text/plain", new byte[16]), out _, out var finding), finding?.ToString());
    }

    [Fact]
    public void Statement_about_another_digest_is_rejected_for_the_image()
    {
        var bundle = _sigstore.SignImage(Digest.Sha256("other image"u8), _key);

        var result = Verify(bundle, Artifact.FromDigest(Image));

        Assert.Equal(SigstoreCodes.SignatureSubjectMismatch, result.Failure?.Code);
    }

    [Fact]
    public void Bundle_is_rejected_by_a_trusted_root_that_does_not_list_its_log()
    {
        var bundle = _sigstore.SignImage(Image, _key);
        using var other = new TestSigstore();

        var result = Verify(bundle, Artifact.FromDigest(Image), root: other.TrustedRoot);

        Assert.Equal(SigstoreCodes.TlogUnknownLog, result.Failure?.Code);
    }

    [Fact]
    public void Bundle_is_rejected_for_a_key_other_than_the_signer()
    {
        var bundle = _sigstore.SignImage(Image, _key);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(otherKey.ExportSubjectPublicKeyInfo(), out var other, out _));

        var result = Verify(bundle, Artifact.FromDigest(Image), key: other);

        Assert.Equal(SigstoreCodes.TlogBodyKeyMismatch, result.Failure?.Code);
    }

    [Fact]
    public void Bundle_is_rejected_when_the_log_key_was_not_yet_valid_at_integration()
    {
        var bundle = _sigstore.SignImage(Image, _key);
        var root = new TrustedRootBuilder()
            .AddTransparencyLog(_sigstore.Log.BaseUrl, _sigstore.Log.PublicKeyInfo, _sigstore.Time.GetUtcNow().AddHours(1))
            .Build();

        var result = Verify(bundle, Artifact.FromDigest(Image), root: root);

        Assert.Equal(SigstoreCodes.TlogKeyNotValid, result.Failure?.Code);
    }

    [Fact]
    public void Bundle_json_is_accepted_by_the_strict_bundle_reader_and_has_no_unknown_members()
    {
        var bundle = _sigstore.SignImage(Image, _key);
        var node = JsonNode.Parse(bundle)!;
        node["verificationMaterial"]!["unknown"] = 1;

        Assert.True(Bundle.TryParse(bundle, out _, out var finding), finding?.ToString());
        Assert.False(Bundle.TryParse(Encoding.UTF8.GetBytes(node.ToJsonString()), out _, out _));
    }

    /// <summary>Each row: the field, how to damage one byte of it, and the reason codes a verifier may give.</summary>
    public static TheoryData<string> Fields() => new(MutatedFields.Keys);

    private static readonly Dictionary<string, (Func<JsonNode, JsonNode> Select, Func<byte[], int, byte[]?> Damage, string[] Codes)> MutatedFields = new()
    {
        ["dsse signature"] = (b => b["dsseEnvelope"]!["signatures"]![0]!["sig"]!, Flip, [SigstoreCodes.TlogBodySignatureMismatch]),
        ["dsse payload"] = (b => b["dsseEnvelope"]!["payload"]!, Flip, [SigstoreCodes.TlogBodyEnvelopeMismatch]),
        ["canonicalized body"] = (b => Entry(b)["canonicalizedBody"]!, Flip,
            [SigstoreCodes.TlogBodyMalformed, SigstoreCodes.TlogBodySignatureMismatch, SigstoreCodes.TlogBodyKeyMismatch, SigstoreCodes.TlogBodyEnvelopeMismatch, SigstoreCodes.TlogBodyKindMismatch, SigstoreCodes.TlogKindUnsupported, SigstoreCodes.TlogSetInvalid]),
        ["signed entry timestamp"] = (b => Entry(b)["inclusionPromise"]!["signedEntryTimestamp"]!, Flip, [SigstoreCodes.TlogSetInvalid]),
        ["inclusion proof hash"] = (b => Entry(b)["inclusionProof"]!["hashes"]![0]!, Flip, [SigstoreCodes.TlogInclusionInvalid]),
        ["inclusion proof root"] = (b => Entry(b)["inclusionProof"]!["rootHash"]!, Flip, [SigstoreCodes.TlogInclusionRootMismatch]),
        ["checkpoint signature"] = (b => Entry(b)["inclusionProof"]!["checkpoint"]!["envelope"]!, FlipCheckpointSignature, [SigstoreCodes.TlogCheckpointSignature]),
        ["checkpoint root"] = (b => Entry(b)["inclusionProof"]!["checkpoint"]!["envelope"]!, FlipCheckpointRoot, [SigstoreCodes.TlogCheckpointSignature]),
    };

    private static JsonNode Entry(JsonNode bundle) => bundle["verificationMaterial"]!["tlogEntries"]![0]!;

    private static byte[]? Flip(byte[] bytes, int position)
    {
        if (position >= bytes.Length) return null;
        var copy = (byte[])bytes.Clone();
        copy[position] ^= 0x01;
        return copy;
    }

    /// <summary>Flips one byte of the decoded signature (key hint included) on the checkpoint's signature line.</summary>
    private static byte[]? FlipCheckpointSignature(byte[] note, int position)
    {
        var text = Encoding.UTF8.GetString(note);
        var lines = text.TrimEnd('\n').Split('\n');
        var last = lines[^1];
        var space = last.LastIndexOf(' ');
        var blob = Convert.FromBase64String(last[(space + 1)..]);
        if (position >= blob.Length) return null;
        blob[position] ^= 0x01;
        lines[^1] = last[..(space + 1)] + Convert.ToBase64String(blob);
        return Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
    }

    /// <summary>Flips one byte of the root hash the checkpoint text commits to (the text stays well-formed).</summary>
    private static byte[]? FlipCheckpointRoot(byte[] note, int position)
    {
        var lines = Encoding.UTF8.GetString(note).Split('\n');
        var root = Convert.FromBase64String(lines[2]);
        if (position >= root.Length) return null;
        root[position] ^= 0x01;
        lines[2] = Convert.ToBase64String(root);
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public void Flipping_any_byte_of_a_signed_field_is_rejected_with_its_reason_code(string field)
    {
        // A few earlier entries so that the inclusion proof has hashes.
        for (var i = 0; i < 5; i++) _sigstore.SignDigest(Digest.Sha256([(byte)i]), _key);
        var bundle = _sigstore.SignImage(Image, _key);
        AssertVerified(Verify(bundle, Artifact.FromDigest(Image)));
        var (select, damage, codes) = MutatedFields[field];
        var isText = field.StartsWith("checkpoint", StringComparison.Ordinal);
        var original = JsonNode.Parse(bundle)!;
        var value = select(original).GetValue<string>();
        var bytes = isText ? Encoding.UTF8.GetBytes(value) : Convert.FromBase64String(value);

        var tried = 0;
        for (var position = 0; ; position++)
        {
            var damaged = damage(bytes, position);
            if (damaged is null) break;
            var node = JsonNode.Parse(bundle)!;
            var target = select(node);
            target.ReplaceWith(isText ? Encoding.UTF8.GetString(damaged) : Convert.ToBase64String(damaged));

            var result = Verify(Encoding.UTF8.GetBytes(node.ToJsonString()), Artifact.FromDigest(Image));

            Assert.False(result.Verified, $"{field}: flipping byte {position} was accepted");
            Assert.Contains(result.Failure!.Code, codes);
            tried++;
        }
        Assert.True(tried > 0, $"{field}: nothing was damaged");
    }
}
