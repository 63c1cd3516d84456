using System.Security.Cryptography;
using System.Text;
using Attest.Core.Json;
using Attest.Core.Transparency;
using Attest.Sigstore.Signing;
using Attest.Sigstore.Verification;
using Microsoft.Extensions.Time.Testing;

namespace Attest.Sigstore.Tests.Signing;

public sealed class InMemoryTransparencyLogTests : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly InMemoryTransparencyLog _log;

    public InMemoryTransparencyLogTests() => _log = new InMemoryTransparencyLog(_key, "rekor.attest.test", TimeProvider.System, treeId: 42);

    public void Dispose() => _key.Dispose();

    private static byte[] Body(int i) => Encoding.UTF8.GetBytes("{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"n\":" + i + "}}");

    [Fact]
    public async Task Every_entry_has_a_proof_to_the_root_its_checkpoint_signs()
    {
        var noteKey = new EcdsaNoteSigner("rekor.attest.test", _key).VerifierKey;
        for (var i = 0; i < 33; i++)
        {
            var entry = await _log.AppendAsync(Body(i));

            Assert.Equal(i, entry.LogIndex);
            var proof = entry.InclusionProof!;
            Assert.Equal(i + 1, proof.TreeSize);
            var result = new Core.Transparency.InclusionProof(i, proof.TreeSize, proof.Hashes).Verify(MerkleHash.Leaf(Body(i)), proof.RootHash);
            Assert.True(result.IsValid, $"entry {i}: {result}");
            Assert.True(Checkpoint.TryOpen(Encoding.UTF8.GetBytes(proof.Checkpoint), "rekor.attest.test - 42", [noteKey], out var checkpoint, out var error), error?.ToString());
            Assert.Equal(proof.TreeSize, checkpoint.Size);
            Assert.Equal(proof.RootHash, checkpoint.RootHash);
        }
    }

    [Fact]
    public async Task Root_is_the_RFC_6962_hash_of_all_leaves()
    {
        byte[] last = [];
        var range = new CompactRange();
        for (var i = 0; i < 7; i++)
        {
            var entry = await _log.AppendAsync(Body(i));
            range.Append(MerkleHash.Leaf(Body(i)));
            last = entry.InclusionProof!.RootHash;
        }
        // Independent check from the definition: MTH over 7 leaves = H(MTH(0..4), MTH(4..7)).
        byte[] L(int i) => MerkleHash.Leaf(Body(i));
        var left = MerkleHash.Children(MerkleHash.Children(L(0), L(1)), MerkleHash.Children(L(2), L(3)));
        var right = MerkleHash.Children(MerkleHash.Children(L(4), L(5)), L(6));
        Assert.Equal(MerkleHash.Children(left, right), last);
        Assert.Equal(range.Root(), last);
        Assert.Equal(7, _log.Size);
    }

    [Fact]
    public async Task Signed_entry_timestamp_verifies_over_the_payload_the_verifier_rebuilds()
    {
        await _log.AppendAsync(Body(0));
        var entry = await _log.AppendAsync(Body(1));

        var expected = SignedEntryTimestampStep.CanonicalPayload(entry.CanonicalizedBody, entry.IntegratedTime, entry.LogId, entry.LogIndex);
        var payload = InMemoryTransparencyLog.SignedEntryTimestampPayload(entry.CanonicalizedBody, entry.IntegratedTime, entry.LogId, entry.LogIndex);

        Assert.Equal(expected, payload);
        Assert.Equal(payload, CanonicalJson.Canonicalize(payload));
        Assert.True(_key.VerifyData(payload, entry.SignedEntryTimestamp!, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(SHA256.HashData(_key.ExportSubjectPublicKeyInfo()), entry.LogId);
        Assert.Equal(("hashedrekord", "0.0.1"), (entry.Kind, entry.Version));
    }

    [Fact]
    public async Task Integrated_time_comes_from_the_injected_clock()
    {
        var at = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var log = new InMemoryTransparencyLog(_key, "rekor.attest.test", new FakeTimeProvider(at));

        var entry = await log.AppendAsync(Body(0));

        Assert.Equal(at.ToUnixTimeSeconds(), entry.IntegratedTime);
    }

    [Fact]
    public async Task Body_without_kind_and_apiVersion_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _log.AppendAsync("""{"spec":{}}"""u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentException>(() => _log.AppendAsync("not json"u8.ToArray()));
        Assert.Equal(0, _log.Size);
    }
}
