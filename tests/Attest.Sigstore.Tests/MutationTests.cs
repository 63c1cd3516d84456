using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Sigstore.Tests;

/// <summary>
/// Tampering tests over every positive conformance vector: a changed byte in the signature, the log entry body, the
/// inclusion proof, the checkpoint, the SET or the certificate must be rejected; random damage to the JSON must never
/// crash, hang, or be accepted unless the bundle still says exactly the same thing.
/// </summary>
public class MutationTests
{
    public static TheoryData<string> PositiveCases()
    {
        var data = new TheoryData<string>();
        foreach (var @case in SigstoreVectors.ConformanceCases().Where(c => c.ShouldPass)) data.Add(@case.Name);
        return data;
    }

    private delegate JsonNode? FieldSelector(JsonNode bundle);

    /// <summary>Base64 fields whose decoded bytes are security-relevant, by name.</summary>
    private static readonly (string Name, FieldSelector Select)[] Base64Fields =
    [
        ("signature", b => b["messageSignature"]?["signature"] ?? b["dsseEnvelope"]?["signatures"]?[0]?["sig"]),
        ("message digest", b => b["messageSignature"]?["messageDigest"]?["digest"]),
        ("dsse payload", b => b["dsseEnvelope"]?["payload"]),
        ("canonicalized body", b => b["verificationMaterial"]?["tlogEntries"]?[0]?["canonicalizedBody"]),
        ("inclusion proof root", b => b["verificationMaterial"]?["tlogEntries"]?[0]?["inclusionProof"]?["rootHash"]),
        ("inclusion proof hash", b => b["verificationMaterial"]?["tlogEntries"]?[0]?["inclusionProof"]?["hashes"] is JsonArray { Count: > 0 } hashes ? hashes[0] : null),
        ("signed entry timestamp", b => b["verificationMaterial"]?["tlogEntries"]?[0]?["inclusionPromise"]?["signedEntryTimestamp"]),
        ("log id", b => b["verificationMaterial"]?["tlogEntries"]?[0]?["logId"]?["keyId"]),
        ("certificate", b => b["verificationMaterial"]?["certificate"]?["rawBytes"] ?? b["verificationMaterial"]?["x509CertificateChain"]?["certificates"]?[0]?["rawBytes"]),
    ];

    private static IEnumerable<int> Positions(int length, Random random)
    {
        if (length <= 96) return Enumerable.Range(0, length);
        var spaced = Enumerable.Range(0, 48).Select(i => (int)((long)i * (length - 1) / 47));
        var sampled = Enumerable.Range(0, 24).Select(_ => random.Next(length));
        return spaced.Concat(sampled).Distinct();
    }

    [Theory]
    [MemberData(nameof(PositiveCases))]
    public void Flipping_any_byte_of_signature_body_proof_SET_or_certificate_is_rejected(string name)
    {
        var @case = SigstoreVectors.Case(name);
        var root = @case.LoadTrustedRoot(out _)!;
        var policy = @case.Policy()!;
        var artifact = Artifact.FromBytes(@case.ArtifactBytes);
        var verifier = new BundleVerifier(root);
        var original = JsonNode.Parse(@case.BundleBytes)!;
        Assert.True(verifier.Verify(Encoding.UTF8.GetBytes(original.ToJsonString()), artifact, policy).Verified, "the unmodified vector must verify");
        var random = new Random(name.GetHashCode(StringComparison.Ordinal));
        var tried = 0;
        foreach (var (field, select) in Base64Fields)
        {
            if (select(original) is not JsonValue value) continue;
            var bytes = Convert.FromBase64String(value.GetValue<string>());
            foreach (var position in Positions(bytes.Length, random))
            {
                var mutated = original.DeepClone();
                var tampered = (byte[])bytes.Clone();
                tampered[position] ^= (byte)random.Next(1, 256);
                select(mutated)!.ReplaceWith(Convert.ToBase64String(tampered));
                var result = verifier.Verify(Encoding.UTF8.GetBytes(mutated.ToJsonString()), artifact, policy);
                Assert.False(result.Verified, $"{name}: {field} byte {position} changed and the bundle still verified");
                tried++;
            }
        }
        Assert.True(tried > 100, $"only {tried} mutations were applicable");
    }

    [Theory]
    [MemberData(nameof(PositiveCases))]
    public void Changing_any_character_of_the_checkpoint_text_or_signature_is_rejected(string name)
    {
        var @case = SigstoreVectors.Case(name);
        var original = JsonNode.Parse(@case.BundleBytes)!;
        if (original["verificationMaterial"]?["tlogEntries"]?[0]?["inclusionProof"]?["checkpoint"]?["envelope"] is not JsonValue envelope) return;
        var verifier = new BundleVerifier(@case.LoadTrustedRoot(out _)!);
        var policy = @case.Policy()!;
        var artifact = Artifact.FromBytes(@case.ArtifactBytes);
        var note = envelope.GetValue<string>();
        var split = note.IndexOf("\n\n", StringComparison.Ordinal);
        var random = new Random(17);

        // Every character of the signed text (origin, size, root hash, extension lines).
        for (var i = 0; i < split; i++)
        {
            var c = note[i] == '\n' ? ' ' : (char)(note[i] ^ 0x01);
            var changed = note[..i] + c + note[(i + 1)..];
            var mutated = original.DeepClone();
            mutated["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["checkpoint"]!["envelope"] = changed;
            Assert.False(verifier.Verify(Encoding.UTF8.GetBytes(mutated.ToJsonString()), artifact, policy).Verified, $"{name}: checkpoint text character {i} changed and the bundle still verified");
        }

        // Every byte of the log's own signature (key hint and signature), decoded and re-encoded.
        var lines = note[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var rootFile = @case.LoadTrustedRoot(out _)!;
        for (var l = 0; l < lines.Length; l++)
        {
            var parts = lines[l].Split(' ');
            var blob = Convert.FromBase64String(parts[2]);
            for (var p = 0; p < blob.Length; p++)
            {
                var tampered = (byte[])blob.Clone();
                tampered[p] ^= (byte)random.Next(1, 256);
                var newLines = (string[])lines.Clone();
                newLines[l] = $"{parts[0]} {parts[1]} {Convert.ToBase64String(tampered)}";
                var changed = note[..(split + 2)] + string.Join("\n", newLines) + "\n";
                var mutated = original.DeepClone();
                mutated["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["checkpoint"]!["envelope"] = changed;
                var result = verifier.Verify(Encoding.UTF8.GetBytes(mutated.ToJsonString()), artifact, policy);
                // Witness cosignature lines are not the log's signature; changing them must not matter.
                var isLogLine = rootFile.TransparencyLogs.Any(t => blob.AsSpan(0, 4).SequenceEqual(t.CheckpointKeyHint) && (parts[1] == t.Origin || !name.StartsWith("rekor2", StringComparison.Ordinal)));
                if (isLogLine)
                    Assert.False(result.Verified, $"{name}: byte {p} of the log's checkpoint signature changed and the bundle still verified");
            }
        }
    }

    [Fact]
    public void Thousands_of_random_JSON_mutations_never_crash_hang_or_change_what_is_accepted()
    {
        var cases = SigstoreVectors.ConformanceCases().Where(c => c.ShouldPass).ToList();
        var random = new Random(20261121);
        var accepted = 0;
        var stopwatch = new Stopwatch();
        var prepared = cases.Select(c => (Case: c, Verifier: new BundleVerifier(c.LoadTrustedRoot(out _)!), Policy: c.Policy()!, Artifact: Artifact.FromBytes(c.ArtifactBytes),
            Bytes: c.BundleBytes, Fingerprint: Fingerprint(c.BundleBytes))).ToList();
        for (var i = 0; i < 3000; i++)
        {
            var (c, verifier, policy, artifact, bytes, fingerprint) = prepared[random.Next(prepared.Count)];
            var mutated = Mutate(bytes, random);
            stopwatch.Restart();
            var result = verifier.Verify(mutated, artifact, policy);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"{c.Name}: one verification took {stopwatch.Elapsed}");
            if (!result.Verified)
            {
                Assert.False(string.IsNullOrWhiteSpace(result.Failure!.Code));
                continue;
            }
            accepted++;
            Assert.True(fingerprint.SequenceEqual(Fingerprint(mutated)), $"{c.Name}: mutation {i} changed the bundle's content and was accepted: {Describe(bytes, mutated)}");
        }
        Assert.True(accepted < 3000);
    }

    /// <summary>The signed note text and the log's own signature lines; witness cosignature lines are not the log's word and are ignored by verification.</summary>
    private static string LogPartOfCheckpoint(string note)
    {
        var split = note.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) return note;
        var origin = note[..note.IndexOf('\n', StringComparison.Ordinal)];
        var dash = origin.IndexOf(" - ", StringComparison.Ordinal);
        var name = dash < 0 ? origin : origin[..dash];
        var lines = note[(split + 2)..].Split('\n').Where(l => l.StartsWith($"\u2014 {name} ", StringComparison.Ordinal));
        return note[..(split + 2)] + string.Join("\n", lines);
    }

    private static string Describe(byte[] original, byte[] mutated)
    {
        var at = 0;
        while (at < Math.Min(original.Length, mutated.Length) && original[at] == mutated[at]) at++;
        var from = Math.Max(0, at - 40);
        return $"at {at}: '{Encoding.UTF8.GetString(original.AsSpan(from, Math.Min(80, original.Length - from)))}' -> '{Encoding.UTF8.GetString(mutated.AsSpan(from, Math.Min(80, mutated.Length - from)))}'";
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = original.ToList();
        switch (random.Next(4))
        {
            case 0: // change one byte
                var at = random.Next(bytes.Count);
                bytes[at] = (byte)(bytes[at] ^ random.Next(1, 256));
                break;
            case 1: // truncate
                bytes = bytes.Take(random.Next(bytes.Count)).ToList();
                break;
            case 2: // insert a structural character
                bytes.Insert(random.Next(bytes.Count), (byte)"{}[]\",:0-e\\ "[random.Next(12)]);
                break;
            default: // delete a run
                var start = random.Next(bytes.Count);
                bytes.RemoveRange(start, Math.Min(random.Next(1, 16), bytes.Count - start));
                break;
        }
        return [.. bytes];
    }

    /// <summary>What a bundle asserts, without unauthenticated or presentational parts (media type spelling, key hints, DSSE keyids, timestamps).</summary>
    private static byte[] Fingerprint(byte[] json)
    {
        if (!Bundle.TryParse(json, out var bundle, out _)) return [];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(ReadOnlySpan<byte> part)
        {
            Span<byte> length = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, part.Length);
            hash.AppendData(length);
            hash.AppendData(part);
        }
        foreach (var certificate in bundle.Certificates) Add(certificate.RawData);
        foreach (var entry in bundle.TlogEntries)
        {
            Add(Encoding.UTF8.GetBytes($"{entry.LogIndex}/{entry.Kind}/{entry.Version}/{entry.IntegratedTime}"));
            Add(entry.LogId);
            Add(entry.CanonicalizedBody);
            Add(entry.SignedEntryTimestamp ?? []);
            if (entry.InclusionProof is { } proof)
            {
                Add(Encoding.UTF8.GetBytes($"{proof.LogIndex}/{proof.TreeSize}/{LogPartOfCheckpoint(proof.Checkpoint)}"));
                Add(proof.RootHash);
                foreach (var h in proof.Hashes) Add(h);
            }
        }
        Add(bundle.SignatureBytes);
        Add(bundle.MessageSignature?.Digest ?? []);
        Add(Encoding.UTF8.GetBytes(bundle.MessageSignature is { } message ? message.DigestAlgorithm ?? "" : bundle.DsseEnvelope!.PayloadType));
        Add(bundle.DsseEnvelope?.Payload ?? []);
        Add(Encoding.UTF8.GetBytes(bundle.HasPublicKey ? "key" : "certificate"));
        return hash.GetHashAndReset();
    }
}
