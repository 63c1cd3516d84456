using System.Security.Cryptography;
using System.Text;
using Attest.Core.Crypto;
using Attest.Core.Transparency;

namespace Attest.Core.Tests.Transparency;

public class SignedNoteTests
{
    private static NoteVerifierKey Peter => NoteVerifierKey.Parse(NoteVectors.PeterKey);

    private static NoteVerifierKey Enoch => NoteVerifierKey.Parse(NoteVectors.EnochKey);

    private static string TwoSignatureNote => NoteVectors.PeterText + "\n" + NoteVectors.PeterSignatureLine + NoteVectors.EnochSignatureLine;

    [Fact]
    public void Go_test_note_verifies_with_both_keys()
    {
        var note = SignedNote.Parse(TwoSignatureNote);
        var verification = note.Verify([Peter, Enoch]);
        Assert.True(verification.IsValid, verification.Result.ToString());
        Assert.Equal(["PeterNeumann", "EnochRoot"], verification.VerifiedBy.Select(k => k.Name));
        Assert.Equal(NoteVectors.PeterText, note.Text);
        Assert.Equal(TwoSignatureNote, note.ToString());
    }

    [Fact]
    public void Signatures_from_unknown_keys_are_ignored()
    {
        var verification = SignedNote.Parse(TwoSignatureNote).Verify([Peter]);
        Assert.True(verification.IsValid);
        Assert.Equal(["PeterNeumann"], verification.VerifiedBy.Select(k => k.Name));
    }

    [Fact]
    public void Note_with_no_trusted_signer_is_unverified()
    {
        var someoneElse = new Ed25519NoteSigner("PeterNeumann", Ed25519.GenerateSeed()).VerifierKey; // same name, other id
        var result = SignedNote.Parse(TwoSignatureNote).Verify([someoneElse]);
        Assert.Equal(TransparencyCodes.NoteUnverified, result.Result.Failure!.Code);
        Assert.Empty(result.VerifiedBy);
    }

    [Fact]
    public void Bad_signature_from_a_trusted_key_rejects_the_whole_note()
    {
        var note = SignedNote.Parse(NoteVectors.PeterText.Replace("cryptography", "Cryptography", StringComparison.Ordinal) + "\n" +
                                    NoteVectors.PeterSignatureLine + NoteVectors.EnochSignatureLine);
        var result = note.Verify([Peter, Enoch]);
        Assert.Equal(TransparencyCodes.NoteSignatureInvalid, result.Result.Failure!.Code);
        Assert.Equal("PeterNeumann+c74f20a3", result.Result.Failure.Evidence!["key"]);
    }

    [Fact]
    public void Signing_with_the_go_private_key_reproduces_the_go_signature_line()
    {
        var signer = Ed25519NoteSigner.FromPrivateKeyString(NoteVectors.PeterSigner);
        Assert.Equal(NoteVectors.PeterKey, signer.VerifierKey.ToString());
        var note = SignedNote.Sign(NoteVectors.PeterText, signer);
        Assert.Equal(NoteVectors.PeterText + "\n" + NoteVectors.PeterSignatureLine, note.ToString());
    }

    [Fact]
    public void Go_test_sumdb_signer_matches_its_verifier_key()
    {
        var signer = Ed25519NoteSigner.FromPrivateKeyString(NoteVectors.TestSumDbSigner);
        Assert.Equal(NoteVectors.TestSumDbKey, signer.VerifierKey.ToString());
    }

    [Fact]
    public void Real_sum_golang_org_tree_heads_verify_and_parse_as_checkpoints()
    {
        var key = NoteVerifierKey.Parse(NoteVectors.SumDbKey);
        var heads = NoteVectors.SumDbTreeHeads();
        Assert.Equal(2, heads.Count);
        long[] sizes = [7494163, 7797325];
        for (var i = 0; i < heads.Count; i++)
        {
            Assert.True(Checkpoint.TryOpen(Encoding.UTF8.GetBytes(heads[i]), "go.sum database tree", [key], out var checkpoint, out var error), error?.ToString());
            Assert.Equal(sizes[i], checkpoint.Size);
        }
    }

    [Fact]
    public void C2SP_spec_example_verifies()
    {
        // c2sp.org/signed-note worked example (key and note as published with the specification).
        var key = NoteVerifierKey.Parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
        var note = SignedNote.Parse("This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n");
        Assert.True(note.Verify([key]).IsValid);
    }

    [Fact]
    public void Listed_negative_verifier_keys_are_rejected()
    {
        Assert.Equal(2, NoteVectors.NegativeVkeys.Count);
        foreach (var vkey in NoteVectors.NegativeVkeys) Assert.False(NoteVerifierKey.TryParse(vkey, out _, out _), vkey);
    }

    [Fact]
    public void Every_substring_and_every_single_character_increment_of_a_verifier_key_is_rejected()
    {
        foreach (var vkey in new[] { NoteVectors.PeterKey, NoteVectors.SumDbKey })
        {
            Assert.True(NoteVerifierKey.TryParse(vkey, out _, out _));
            for (var start = 0; start < vkey.Length; start++)
                for (var end = start + 1; end <= vkey.Length; end++)
                    if (end - start < vkey.Length)
                        Assert.False(NoteVerifierKey.TryParse(vkey[start..end], out _, out _), vkey[start..end]);
            for (var i = 0; i < vkey.Length; i++)
            {
                var changed = vkey[..i] + (char)(vkey[i] + 1) + vkey[(i + 1)..];
                Assert.False(NoteVerifierKey.TryParse(changed, out _, out _), changed);
            }
        }
    }

    public static TheoryData<string, string> MalformedNotes => new()
    {
        { "text only", "If you think cryptography is the answer to your problem,\n" },
        { "text and blank line, no signature", "hello\n\n" },
        { "missing final newline after signature", "hello\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=" },
        { "leading control byte", "\u0001hello\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n" },
        { "carriage return", "hello\r\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n" },
        { "signer name with a space", "hello\n\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n" },
        { "junk line after signatures", "hello\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\njunk\n" },
        { "hyphen instead of em dash", "hello\n\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n" },
        { "signature shorter than a key id", "hello\n\n— PeterNeumann AAAA\n" },
        { "signature not canonical base64", "hello\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n" },
        { "name with plus", "hello\n\n— Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n" },
    };

    [Theory]
    [MemberData(nameof(MalformedNotes))]
    public void Malformed_notes_are_rejected(string description, string note)
    {
        Assert.False(SignedNote.TryParse(Encoding.UTF8.GetBytes(note), out _, out var error), description);
        Assert.Equal(TransparencyCodes.NoteMalformed, error.Code);
    }

    [Fact]
    public void Invalid_UTF8_is_rejected()
    {
        byte[] note = [0xff, .. Encoding.UTF8.GetBytes("hello\n\n" + NoteVectors.PeterSignatureLine)];
        Assert.False(SignedNote.TryParse(note, out _, out var error));
        Assert.Equal(TransparencyCodes.NoteMalformed, error.Code);
    }

    [Fact]
    public void Sixteen_signatures_are_accepted_and_more_than_the_limit_are_not()
    {
        var signers = Enumerable.Range(0, 16).Select(i => (NoteSigner)new Ed25519NoteSigner($"witness{i}", Ed25519.GenerateSeed())).ToArray();
        var note = SignedNote.Sign("checkpoint\n", signers);
        Assert.True(SignedNote.Parse(note.ToString()).Verify([signers[15].VerifierKey]).IsValid);

        var line = NoteVectors.PeterSignatureLine;
        var tooMany = "hello\n\n" + string.Concat(Enumerable.Repeat(line, TransparencyLimits.MaxNoteSignatures + 1));
        Assert.False(SignedNote.TryParse(Encoding.UTF8.GetBytes(tooMany), out _, out var error));
        Assert.Equal(TransparencyCodes.NoteTooManySignatures, error.Code);
    }

    [Fact]
    public void Oversized_note_is_rejected_before_parsing()
    {
        var big = new byte[TransparencyLimits.MaxNoteBytes + 1];
        Assert.False(SignedNote.TryParse(big, out _, out var error));
        Assert.Equal(TransparencyCodes.NoteTooLarge, error.Code);
    }

    [Fact]
    public void Flipping_any_byte_of_a_signed_note_makes_it_fail()
    {
        var original = Encoding.UTF8.GetBytes(NoteVectors.PeterText + "\n" + NoteVectors.PeterSignatureLine);
        Assert.True(SignedNote.TryParse(original, out var ok, out _) && ok.Verify([Peter]).IsValid);
        for (var i = 0; i < original.Length; i++)
        {
            var tampered = (byte[])original.Clone();
            tampered[i] ^= 0x01;
            var accepted = SignedNote.TryParse(tampered, out var note, out _) && note.Verify([Peter]).IsValid;
            Assert.False(accepted, $"byte {i} flipped was accepted");
        }
    }

    [Fact]
    public void Ecdsa_p256_notes_round_trip_and_reject_tampering()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = new EcdsaNoteSigner("attest.example/ledger", key);
        var vkey = NoteVerifierKey.Parse(signer.VerifierKey.ToString());
        Assert.Equal(NoteVerifierKey.EcdsaType, vkey.SignatureType);
        Assert.Equal(BitConverter.ToUInt32(SHA256.HashData(key.ExportSubjectPublicKeyInfo()).AsSpan(0, 4).ToArray().Reverse().ToArray()), vkey.KeyHash);

        var note = SignedNote.Parse(SignedNote.Sign("attest.example/ledger\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", signer).ToString());
        Assert.True(note.Verify([vkey]).IsValid);
        var forged = SignedNote.Parse(note.ToString().Replace("\n5\n", "\n6\n", StringComparison.Ordinal));
        Assert.Equal(TransparencyCodes.NoteSignatureInvalid, forged.Verify([vkey]).Result.Failure!.Code);
    }

    [Fact]
    public void Ecdsa_keys_on_other_curves_are_not_supported()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var spki = p384.ExportSubjectPublicKeyInfo();
        var hash = Convert.ToHexStringLower(SHA256.HashData(spki).AsSpan(0, 4));
        var vkey = $"x+{hash}+{Convert.ToBase64String([0x02, .. spki])}";
        Assert.False(NoteVerifierKey.TryParse(vkey, out _, out var error));
        Assert.Equal(TransparencyCodes.NoteKeyUnsupported, error.Code);
    }

    [Fact]
    public void Verifier_key_whose_id_does_not_match_is_rejected_with_both_ids()
    {
        var good = NoteVectors.PeterKey;
        var wrongId = good.Replace("c74f20a3", "c74f20a4", StringComparison.Ordinal);
        Assert.False(NoteVerifierKey.TryParse(wrongId, out _, out var error));
        Assert.Equal(TransparencyCodes.NoteKeyHashMismatch, error.Code);
        Assert.Equal("c74f20a3", error.Evidence!["expected"]);
    }
}
