using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Attest.Core.Crypto;
using Attest.Core.Transparency;

namespace Attest.Core.Tests.Transparency;

/// <summary>
/// Checkpoints signed by RSA log keys, as older Rekor v1 deployments produce them: RSA PKCS#1 v1.5 over SHA-256 of the
/// note text, key hint SHA-256(SPKI)[:4] (rekor pkg/util/signed_note.go). The vector is built here with a fresh key.
/// </summary>
public class RsaNoteKeyTests
{
    private const string Text = "rekor.rsa.test - 2605736670972794746\n7\nrMj3G9LfM9C6Xt0qpV3pIbQMiE4w7iZy8RkAPpMl4Ng=\nTimestamp: 1689177396617352539\n";

    private static (RSA Rsa, PublicKey Key) NewKey(int bits = 2048)
    {
        var rsa = RSA.Create(bits);
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(rsa.ExportSubjectPublicKeyInfo(), out var key, out var error), error);
        return (rsa, key);
    }

    private static string Sign(RSA rsa, string name, uint keyHash, string text, RSASignaturePadding? padding = null)
    {
        var signature = rsa.SignData(Encoding.UTF8.GetBytes(text), HashAlgorithmName.SHA256, padding ?? RSASignaturePadding.Pkcs1);
        var blob = new byte[4 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, keyHash);
        signature.CopyTo(blob, 4);
        return $"{text}\n— {name} {Convert.ToBase64String(blob)}\n";
    }

    [Fact]
    public void A_checkpoint_signed_by_an_rsa_log_key_verifies()
    {
        var (rsa, key) = NewKey();
        using (rsa)
        {
            var verifier = NoteVerifierKey.ForRsa("rekor.rsa.test", key);
            Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo())), verifier.KeyHash);
            var note = SignedNote.Parse(Sign(rsa, "rekor.rsa.test", verifier.KeyHash, Text));
            var verification = note.Verify([verifier]);
            Assert.True(verification.IsValid, verification.Result.ToString());
            Assert.True(Checkpoint.TryParse(note.Text, out var checkpoint, out _));
            Assert.Equal(7, checkpoint.Size);
        }
    }

    [Fact]
    public void The_signed_note_key_id_form_verifies_too()
    {
        var (rsa, key) = NewKey(3072);
        using (rsa)
        {
            var verifier = NoteVerifierKey.ForRsa("rekor.rsa.test", key, signedNoteKeyId: true);
            var spki = rsa.ExportSubjectPublicKeyInfo();
            byte[] idInput = [.. "rekor.rsa.test\n"u8, 0xFF, .. "PKIX-RSA-PKCS#1v1.5"u8, .. spki];
            Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(idInput)), verifier.KeyHash);
            Assert.True(SignedNote.Parse(Sign(rsa, "rekor.rsa.test", verifier.KeyHash, Text)).Verify([verifier]).IsValid);
        }
    }

    [Fact]
    public void A_flipped_bit_in_text_or_signature_is_rejected()
    {
        var (rsa, key) = NewKey();
        using (rsa)
        {
            var verifier = NoteVerifierKey.ForRsa("rekor.rsa.test", key);
            var signed = Sign(rsa, "rekor.rsa.test", verifier.KeyHash, Text);
            var otherText = signed.Replace("\n7\n", "\n8\n", StringComparison.Ordinal);
            Assert.Equal(TransparencyCodes.NoteSignatureInvalid, SignedNote.Parse(otherText).Verify([verifier]).Result.Failure!.Code);

            var line = signed[(signed.LastIndexOf(' ') + 1)..^1];
            var blob = Convert.FromBase64String(line);
            blob[^1] ^= 1;
            var otherSignature = signed.Replace(line, Convert.ToBase64String(blob), StringComparison.Ordinal);
            Assert.Equal(TransparencyCodes.NoteSignatureInvalid, SignedNote.Parse(otherSignature).Verify([verifier]).Result.Failure!.Code);
        }
    }

    [Fact]
    public void Pss_signatures_and_other_keys_are_not_accepted()
    {
        var (rsa, key) = NewKey();
        var (other, otherKey) = NewKey();
        using (rsa)
        using (other)
        {
            var verifier = NoteVerifierKey.ForRsa("rekor.rsa.test", key);
            // Same key id, PSS padding: not the scheme Rekor's RSA verifier uses.
            Assert.False(SignedNote.Parse(Sign(rsa, "rekor.rsa.test", verifier.KeyHash, Text, RSASignaturePadding.Pss)).Verify([verifier]).IsValid);
            // Another key's signature under this key's id.
            Assert.False(SignedNote.Parse(Sign(other, "rekor.rsa.test", verifier.KeyHash, Text)).Verify([verifier]).IsValid);
            // Another key's own id: an unknown signer, so nothing verifies.
            var otherVerifier = NoteVerifierKey.ForRsa("rekor.rsa.test", otherKey);
            Assert.Equal(TransparencyCodes.NoteUnverified, SignedNote.Parse(Sign(other, "rekor.rsa.test", otherVerifier.KeyHash, Text)).Verify([verifier]).Result.Failure!.Code);
        }
    }

    [Fact]
    public void Only_rsa_keys_make_rsa_note_keys()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.True(PublicKey.TryParseSubjectPublicKeyInfo(ec.ExportSubjectPublicKeyInfo(), out var ecKey, out _));
        Assert.Throws<ArgumentException>(() => NoteVerifierKey.ForRsa("rekor.rsa.test", ecKey));
        var (rsa, key) = NewKey();
        using (rsa) Assert.Throws<ArgumentException>(() => NoteVerifierKey.ForRsa("bad name", key));
    }
}
