using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Attest.Core.Transparency;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;
using InclusionProof = Attest.Sigstore.Bundles.InclusionProof;
using TransparencyLogEntry = Attest.Sigstore.Bundles.TransparencyLogEntry;

namespace Attest.Sigstore.Tests.Verification;

/// <summary>
/// Inclusion proofs whose checkpoint is signed by an RSA Rekor v1 log key (PKCS#1 v1.5 SHA-256, hint SHA-256(SPKI)[:4]
/// as Rekor v1 writes it, or the trusted root's checkpointKeyId in rekor-tiles' signed-note form). The log, its
/// trusted root and the one-leaf tree are built here.
/// </summary>
public sealed class RsaCheckpointTests : IDisposable
{
    private const string Host = "rekor.rsa.test";
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly byte[] _body = Encoding.UTF8.GetBytes("{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{}}");

    public void Dispose() => _rsa.Dispose();

    private TrustedRoot Root(byte[]? checkpointKeyId = null)
    {
        var spki = _rsa.ExportSubjectPublicKeyInfo();
        var checkpointKey = checkpointKeyId is null ? "" : $",\"checkpointKeyId\":{{\"keyId\":\"{Convert.ToBase64String(checkpointKeyId)}\"}}";
        var json = $$$"""
            {"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1",
             "tlogs":[{"baseUrl":"https://{{{Host}}}","hashAlgorithm":"SHA2_256",
                       "publicKey":{"rawBytes":"{{{Convert.ToBase64String(spki)}}}","keyDetails":"PKIX_RSA_PKCS1V15_2048_SHA256","validFor":{"start":"2020-01-01T00:00:00Z"} },
                       "logId":{"keyId":"{{{Convert.ToBase64String(SHA256.HashData(spki))}}}"}{{{checkpointKey}}} }],
             "certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}
            """;
        return TrustedRoot.Parse(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>A one-leaf tree: the root is the leaf hash, the audit path is empty.</summary>
    private string Checkpoint(uint keyHash, Func<byte[], byte[]>? alterSignature = null, string name = Host)
    {
        var text = $"{name} - 1193050959916656506\n1\n{Convert.ToBase64String(MerkleHash.Leaf(_body))}\n";
        var signature = _rsa.SignData(Encoding.UTF8.GetBytes(text), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        signature = alterSignature?.Invoke(signature) ?? signature;
        var blob = new byte[4 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, keyHash);
        signature.CopyTo(blob, 4);
        return $"{text}\n— {name} {Convert.ToBase64String(blob)}\n";
    }

    private Core.Finding? Verify(TrustedRoot root, string checkpoint)
    {
        var log = root.TransparencyLogs[0];
        var entry = new TransparencyLogEntry(0, log.LogId, "hashedrekord", "0.0.1", 1700000000, null,
            new InclusionProof(0, MerkleHash.Leaf(_body), 1, [], checkpoint), _body);
        var bundle = new Bundle
        {
            MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json",
            MinorVersion = 3,
            ParsedCertificates = [],
            PublicKeyHint = null,
            HasPublicKey = true,
            TlogEntries = [entry],
            Rfc3161Timestamps = [],
            MessageSignature = new MessageSignature(null, null, [1]),
            DsseEnvelope = null,
            CanonicalDsseEnvelope = null,
        };
        var context = new VerificationContext(bundle, Artifact.FromBytes([]), new ArtifactPolicy(), root, VerifierOptions.Default, SigstoreLimits.Default, TimeProvider.System);
        context.Entries.Add((entry, log, null!));
        return new InclusionProofStep().Verify(context);
    }

    private uint SpkiHint => BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(_rsa.ExportSubjectPublicKeyInfo()));

    [Fact]
    public void A_rekor_v1_checkpoint_signed_by_an_rsa_log_key_verifies()
    {
        Assert.True(Root().TransparencyLogs[0].Key!.Algorithm == Core.Crypto.KeyAlgorithm.Rsa);
        Assert.Null(Verify(Root(), Checkpoint(SpkiHint)));
    }

    [Fact]
    public void A_tampered_rsa_checkpoint_signature_is_rejected()
    {
        var finding = Verify(Root(), Checkpoint(SpkiHint, s => { s[10] ^= 0x20; return s; }));
        Assert.Equal(SigstoreCodes.TlogCheckpointSignature, finding?.Code);
    }

    [Fact]
    public void A_checkpoint_signed_by_another_rsa_key_is_rejected()
    {
        using var other = RSA.Create(2048);
        var root = Root();
        var text = $"{Host} - 1193050959916656506\n1\n{Convert.ToBase64String(MerkleHash.Leaf(_body))}\n";
        var blob = new byte[4 + 256];
        BinaryPrimitives.WriteUInt32BigEndian(blob, SpkiHint);
        other.SignData(Encoding.UTF8.GetBytes(text), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CopyTo(blob, 4);
        Assert.Equal(SigstoreCodes.TlogCheckpointSignature, Verify(root, $"{text}\n— {Host} {Convert.ToBase64String(blob)}\n")?.Code);
    }

    [Fact]
    public void The_trusted_roots_signed_note_key_id_is_honoured()
    {
        var key = Root().TransparencyLogs[0].Key!;
        var noteKey = NoteVerifierKey.ForRsa(Host, key, signedNoteKeyId: true);
        var id = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(id, noteKey.KeyHash);
        var root = Root(id);
        Assert.Null(Verify(root, Checkpoint(noteKey.KeyHash)));
        // Under that root, a signature with the Rekor v1 hint names no trusted key.
        Assert.Equal(SigstoreCodes.TlogCheckpointSignature, Verify(root, Checkpoint(SpkiHint))?.Code);
    }

    [Fact]
    public void Log_names_chosen_by_bundles_do_not_accumulate()
    {
        // Rekor v1 checkpoints name their log in the origin line, which the bundle supplies: each name gets a note key,
        // and only the first few are kept, so a stream of bundles with new names cannot grow memory without end.
        var root = Root();
        for (var i = 0; i < 40; i++) Assert.Null(Verify(root, Checkpoint(SpkiHint, name: $"log{i}.example")));
        Assert.InRange(InclusionProofStep.KnownNoteKeyNames(root.TransparencyLogs[0]), 1, 4);
        // Names past the limit still verify, and still fail when their signature is wrong.
        Assert.Equal(SigstoreCodes.TlogCheckpointSignature, Verify(root, Checkpoint(SpkiHint, s => { s[3] ^= 1; return s; }, "log99.example"))?.Code);
    }
}
