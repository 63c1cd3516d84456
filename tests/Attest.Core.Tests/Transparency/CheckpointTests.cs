using System.Text;
using System.Text.Json;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Testing;

namespace Attest.Core.Tests.Transparency;

public class CheckpointTests
{
    private static readonly byte[] Root = MerkleHash.Leaf("root"u8);

    [Fact]
    public void Checkpoint_text_round_trips_with_extension_lines()
    {
        var checkpoint = new Checkpoint("attest.example/ledger", 42, Root, ["Timestamp: 1"]);
        var text = checkpoint.ToNoteText();
        Assert.Equal($"attest.example/ledger\n42\n{Convert.ToBase64String(Root)}\nTimestamp: 1\n", text);
        Assert.True(Checkpoint.TryParse(text, out var parsed, out _));
        Assert.Equal(checkpoint, parsed);
    }

    public static TheoryData<string, string> MalformedBodies => new()
    {
        { "leading zero in size", "o\n042\n" + Convert.ToBase64String(Root) + "\n" },
        { "signed size", "o\n+42\n" + Convert.ToBase64String(Root) + "\n" },
        { "negative size", "o\n-1\n" + Convert.ToBase64String(Root) + "\n" },
        { "size beyond 63 bits", "o\n99999999999999999999\n" + Convert.ToBase64String(Root) + "\n" },
        { "empty origin", "\n42\n" + Convert.ToBase64String(Root) + "\n" },
        { "root of 31 bytes", "o\n42\n" + Convert.ToBase64String(Root[..31]) + "\n" },
        { "root without padding", "o\n42\n" + Convert.ToBase64String(Root).TrimEnd('=') + "\n" },
        { "missing root", "o\n42\n" },
        { "empty extension line", "o\n42\n" + Convert.ToBase64String(Root) + "\n\n" },
        { "no final newline", "o\n42\n" + Convert.ToBase64String(Root) },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public void Malformed_checkpoint_bodies_are_rejected(string description, string text)
    {
        Assert.False(Checkpoint.TryParse(text, out _, out var error), description);
        Assert.Equal(TransparencyCodes.CheckpointMalformed, error.Code);
    }

    [Fact]
    public void Open_rejects_a_checkpoint_for_another_origin()
    {
        var signer = new Ed25519NoteSigner("log-a", Ed25519.GenerateSeed());
        var note = new Checkpoint("log-a", 1, Root).Sign(signer).ToUtf8();
        Assert.False(Checkpoint.TryOpen(note, "log-b", [signer.VerifierKey], out _, out var error));
        Assert.Equal(TransparencyCodes.CheckpointOriginMismatch, error.Code);
        Assert.True(Checkpoint.TryOpen(note, "log-a", [signer.VerifierKey], out var opened, out _));
        Assert.Equal(1, opened.Size);
    }

    [Fact]
    public void Open_rejects_a_forged_checkpoint_signed_by_a_key_with_the_log_name()
    {
        var log = new Ed25519NoteSigner("log", Ed25519.GenerateSeed());
        var forger = new Ed25519NoteSigner("log", Ed25519.GenerateSeed());
        var forged = new Checkpoint("log", 100, Root).Sign(forger).ToUtf8();
        Assert.False(Checkpoint.TryOpen(forged, "log", [log.VerifierKey], out _, out var error));
        Assert.Equal(TransparencyCodes.NoteUnverified, error.Code);
    }

    [Fact]
    public void Flipping_any_byte_of_a_signed_checkpoint_makes_it_fail()
    {
        var signer = new Ed25519NoteSigner("log", Ed25519.GenerateSeed());
        var note = new Checkpoint("log", 12345, Root).Sign(signer).ToUtf8();
        Assert.True(Checkpoint.TryOpen(note, "log", [signer.VerifierKey], out _, out _));
        for (var i = 0; i < note.Length; i++)
        {
            var tampered = (byte[])note.Clone();
            tampered[i] ^= 0x01;
            Assert.False(Checkpoint.TryOpen(tampered, "log", [signer.VerifierKey], out _, out _), $"byte {i} flipped was accepted");
        }
    }

    [Fact]
    public void Real_rekor_checkpoint_signed_with_ecdsa_verifies_and_matches_the_inclusion_proof_root()
    {
        using var root = JsonDocument.Parse(File.ReadAllBytes(RepositoryPaths.Vectors("tlog", "trusted_root_pgi.json")));
        var spki = Convert.FromBase64String(root.RootElement.GetProperty("tlogs")[0].GetProperty("publicKey").GetProperty("rawBytes").GetString()!);
        var key = NoteVerifierKey.ForEcdsa("rekor.sigstore.dev", spki);
        // Rekor's log id is SHA-256 of the same SPKI; the note key id is its first four bytes.
        var logId = Convert.FromBase64String(root.RootElement.GetProperty("tlogs")[0].GetProperty("logId").GetProperty("keyId").GetString()!);
        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(logId), key.KeyHash);

        using var bundle = JsonDocument.Parse(File.ReadAllBytes(RepositoryPaths.Vectors("tlog", "oci-attestation.sigstore.json")));
        var proof = bundle.RootElement.GetProperty("verificationMaterial").GetProperty("tlogEntries")[0].GetProperty("inclusionProof");
        var envelope = proof.GetProperty("checkpoint").GetProperty("envelope").GetString()!;
        Assert.True(Checkpoint.TryOpen(Encoding.UTF8.GetBytes(envelope), "rekor.sigstore.dev - 1193050959916656506", [key], out var checkpoint, out var error), error?.ToString());
        Assert.Equal(53604735, checkpoint.Size);
        Assert.Equal(Convert.FromBase64String(proof.GetProperty("rootHash").GetString()!), checkpoint.RootHash);

        var tampered = envelope.Replace("53604735", "53604736", StringComparison.Ordinal);
        Assert.False(Checkpoint.TryOpen(Encoding.UTF8.GetBytes(tampered), "rekor.sigstore.dev - 1193050959916656506", [key], out _, out error));
        Assert.Equal(TransparencyCodes.NoteSignatureInvalid, error.Code);
    }
}
