using System.Buffers.Binary;
using System.Text;
using Attest.Core.Crypto;
using Attest.Core.Transparency;
using Attest.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Attest.Core.Tests.Transparency;

public class CosignatureTests
{
    private const string CheckpointText = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    // A deployed witness's cosignature (type 0x04) verifier key, from transparency-dev/formats note/note_cosigv1_test.go
    // (BSD-3-Clause): its key id is SHA-256(name || 0x0A || 0x04 || key)[:4].
    private const string RemoraWitnessKey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1679315147);

    private static Ed25519CosignatureSigner Witness(string name = "witness.example/w1") =>
        new(name, Ed25519.GenerateSeed(), new FakeTimeProvider(Now));

    [Fact]
    public void Deployed_witness_verifier_key_parses_with_its_cosignature_key_id()
    {
        Assert.True(NoteVerifierKey.TryParse(RemoraWitnessKey, out var key, out var error), error?.Message);
        Assert.True(key.IsCosignatureKey);
        Assert.Equal(CosignatureV1.Ed25519Type, key.SignatureType);
        Assert.Equal(0xda77ade7u, key.KeyHash);
        Assert.Equal(RemoraWitnessKey, key.ToString());
        // The same bytes under the plain Ed25519 type have another key id.
        var plain = "remora.n621.de+da77ade7+A" + RemoraWitnessKey.Split('+')[2][1..];
        Assert.False(NoteVerifierKey.TryParse(plain, out _, out _));
    }

    [Fact]
    public void Cosignature_carries_its_timestamp_and_verifies_with_the_witness_key()
    {
        var witness = Witness();
        var note = SignedNote.Sign(CheckpointText, witness);
        var signature = note.Signatures.Single();
        Assert.Equal(CosignatureV1.SignatureSize, signature.Signature.Length);
        Assert.Equal(Now, CosignatureV1.Timestamp(signature.Signature));
        Assert.True(note.Verify([witness.VerifierKey]).IsValid);
        Assert.StartsWith("witness.example/w1+", witness.VerifierKey.ToString(), StringComparison.Ordinal);
        Assert.True(NoteVerifierKey.TryParse(witness.VerifierKey.ToString(), out var parsed, out _));
        Assert.True(note.Verify([parsed]).IsValid);
    }

    [Fact]
    public void Cosignature_over_a_changed_timestamp_or_text_does_not_verify()
    {
        var witness = Witness();
        var signature = SignedNote.Sign(CheckpointText, witness).Signatures.Single().Signature;
        var text = Encoding.UTF8.GetBytes(CheckpointText);
        var key = witness.VerifierKey;
        Assert.True(key.Verify(text, signature));
        var laterTime = (byte[])signature.Clone();
        BinaryPrimitives.WriteUInt64BigEndian(laterTime, (ulong)Now.ToUnixTimeSeconds() + 1);
        Assert.False(key.Verify(text, laterTime));
        Assert.False(key.Verify(Encoding.UTF8.GetBytes(CheckpointText.Replace("20852163", "20852164", StringComparison.Ordinal)), signature));
        Assert.False(key.Verify(text, signature[..^1]));
    }

    [Fact]
    public void Timestamp_at_or_above_two_to_the_63_is_refused()
    {
        var seed = Ed25519.GenerateSeed();
        var publicKey = Ed25519.PublicKeyFromSeed(seed);
        const ulong tooLate = 1UL << 63;
        var signature = new byte[CosignatureV1.SignatureSize];
        BinaryPrimitives.WriteUInt64BigEndian(signature, tooLate);
        Ed25519.Sign(seed, CosignatureV1.Message(tooLate, Encoding.UTF8.GetBytes(CheckpointText))).CopyTo(signature, 8);
        Assert.False(CosignatureV1.Verify(publicKey, Encoding.UTF8.GetBytes(CheckpointText), signature));
    }

    [Fact]
    public void Plain_note_key_and_cosignature_key_of_one_seed_do_not_verify_each_other()
    {
        var seed = Ed25519.GenerateSeed();
        var plain = new Ed25519NoteSigner("witness.example/w1", seed);
        var cosigner = new Ed25519CosignatureSigner("witness.example/w1", seed, new FakeTimeProvider(Now));
        Assert.NotEqual(plain.KeyHash, cosigner.KeyHash);
        Assert.False(SignedNote.Sign(CheckpointText, plain).Verify([cosigner.VerifierKey]).IsValid);
        Assert.False(SignedNote.Sign(CheckpointText, cosigner).Verify([plain.VerifierKey]).IsValid);
    }

    [Fact]
    public void Cosigner_from_a_go_signer_key_is_that_key_under_the_cosignature_type()
    {
        var plain = new Ed25519NoteSigner("witness.example/w2", Ed25519.GenerateSeed());
        var cosigner = Ed25519CosignatureSigner.FromPrivateKeyString(plain.ToPrivateKeyString(), new FakeTimeProvider(Now));
        Assert.Equal(plain.VerifierKey.PublicKey.ToArray(), cosigner.VerifierKey.PublicKey.ToArray());
        Assert.Equal(NoteVerifierKey.ForEd25519Cosignature("witness.example/w2", plain.VerifierKey.PublicKey).ToString(), cosigner.VerifierKey.ToString());
    }

    [Fact]
    public async Task Openssl_verifies_an_Attest_cosignature_and_Attest_verifies_an_openssl_one()
    {
        using var directory = new TempDirectory("cosig");
        // OpenSSL's own Ed25519 key and signature over the cosignature message (an independent signer).
        await RigProcess.RunAsync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", directory.Combine("key.pem")]);
        await RigProcess.RunAsync("openssl", ["pkey", "-in", directory.Combine("key.pem"), "-pubout", "-outform", "DER", "-out", directory.Combine("pub.der")]);
        var publicKey = (await File.ReadAllBytesAsync(directory.Combine("pub.der")))[^32..];
        const ulong timestamp = 1727964367;
        await File.WriteAllBytesAsync(directory.Combine("message"), CosignatureV1.Message(timestamp, Encoding.UTF8.GetBytes(CheckpointText)));
        await RigProcess.RunAsync("openssl", ["pkeyutl", "-sign", "-rawin", "-inkey", directory.Combine("key.pem"),
            "-in", directory.Combine("message"), "-out", directory.Combine("sig")]);
        var signature = new byte[CosignatureV1.SignatureSize];
        BinaryPrimitives.WriteUInt64BigEndian(signature, timestamp);
        (await File.ReadAllBytesAsync(directory.Combine("sig"))).CopyTo(signature, 8);
        var key = NoteVerifierKey.ForEd25519Cosignature("witness.example/openssl", publicKey);
        Assert.True(key.Verify(Encoding.UTF8.GetBytes(CheckpointText), signature));

        // And OpenSSL checks what Attest's cosigner signed, over the message the specification defines.
        var witness = Witness();
        var ours = SignedNote.Sign(CheckpointText, witness).Signatures.Single().Signature;
        var ourTime = BinaryPrimitives.ReadUInt64BigEndian(ours);
        await File.WriteAllBytesAsync(directory.Combine("our-message"), Encoding.UTF8.GetBytes($"cosignature/v1\ntime {ourTime}\n{CheckpointText}"));
        await File.WriteAllBytesAsync(directory.Combine("our-sig"), ours[8..]);
        await File.WriteAllBytesAsync(directory.Combine("our-pub.der"), [.. Convert.FromHexString("302a300506032b6570032100"), .. witness.VerifierKey.PublicKey]);
        var (code, output) = await RigProcess.RunAsync("openssl", ["pkeyutl", "-verify", "-rawin", "-pubin", "-keyform", "DER",
            "-inkey", directory.Combine("our-pub.der"), "-in", directory.Combine("our-message"), "-sigfile", directory.Combine("our-sig")], check: false);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void Quorum_counts_distinct_named_witnesses_and_ignores_unknown_ones()
    {
        var log = new Ed25519NoteSigner("example.com/behind-the-sofa", Ed25519.GenerateSeed());
        var (w1, w2, stranger) = (Witness("w1.example"), Witness("w2.example"), Witness("w3.example"));
        var quorum = new CosignatureQuorum([w1.VerifierKey, w2.VerifierKey], 2);
        Assert.Empty(quorum.Validate());
        var note = SignedNote.Parse(SignedNote.Sign(CheckpointText, log, w1, stranger, w1).ToString());
        var count = quorum.Count(note);
        Assert.Equal(["w1.example"], count.CosignedBy.Select(k => k.Name));
        Assert.False(quorum.IsMetBy(note));
        Assert.True(quorum.IsMetBy(SignedNote.Sign(CheckpointText, log, w1, w2)));
    }

    [Fact]
    public void Quorum_does_not_count_a_forged_cosignature_and_names_it()
    {
        var (w1, w2) = (Witness("w1.example"), Witness("w2.example"));
        var forged = new Ed25519CosignatureSigner("w2.example", Ed25519.GenerateSeed(), new FakeTimeProvider(Now));
        var note = SignedNote.Sign(CheckpointText, w1, forged);
        // Same name, other key: a different key id, so it is simply unknown.
        Assert.Equal(1, new CosignatureQuorum([w1.VerifierKey, w2.VerifierKey], 1).Count(note).Count);
        // Right key id, wrong signature bytes: counted as invalid.
        var good = SignedNote.Sign(CheckpointText, w2).Signatures.Single();
        var bad = good with { Signature = [.. good.Signature[..^1], (byte)(good.Signature[^1] ^ 1)] };
        var tampered = SignedNote.Parse(CheckpointText + "\n" + Line(SignedNote.Sign(CheckpointText, w1).Signatures.Single()) + Line(bad));
        var count = new CosignatureQuorum([w1.VerifierKey, w2.VerifierKey], 2).Count(tampered);
        Assert.Equal(1, count.Count);
        Assert.Equal([$"w2.example+{w2.KeyHash:x8}"], count.Invalid);
    }

    [Fact]
    public void Quorum_refuses_non_cosignature_keys_and_impossible_counts()
    {
        var plain = new Ed25519NoteSigner("w1.example", Ed25519.GenerateSeed()).VerifierKey;
        Assert.NotEmpty(new CosignatureQuorum([plain], 1).Validate());
        Assert.NotEmpty(new CosignatureQuorum([Witness().VerifierKey], 2).Validate());
    }

    private static string Line(NoteSignature signature)
    {
        var blob = new byte[4 + signature.Signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, signature.KeyHash);
        signature.Signature.CopyTo(blob, 4);
        return $"— {signature.KeyName} {Convert.ToBase64String(blob)}\n";
    }
}
