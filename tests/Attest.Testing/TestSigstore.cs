using System.Security.Cryptography;
using System.Text.Json;
using Attest.Core;
using Attest.Sigstore.Signing;
using Attest.Sigstore.TrustRoot;

namespace Attest.Testing;

/// <summary>
/// An in-process fake Sigstore for tests: an ephemeral Rekor-style log key, an in-memory transparency log and the
/// trusted root that lists it. Signs fresh bundles offline; every instance is independent. Not thread-safe for
/// disposal, otherwise safe to share within a test.
/// </summary>
public sealed class TestSigstore : IDisposable
{
    public const string LogHostname = "rekor.attest.test";

    private readonly ECDsa _logKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestSigstore(TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        Log = new InMemoryTransparencyLog(_logKey, LogHostname, Time, treeId: RandomNumberGenerator.GetInt32(1, int.MaxValue));
        Builder = new BundleBuilder(Log);
        TrustedRootJson = new TrustedRootBuilder()
            .AddTransparencyLog(Log.BaseUrl, Log.PublicKeyInfo, Time.GetUtcNow().AddHours(-1))
            .ToJson();
        TrustedRoot = TrustedRoot.Parse(TrustedRootJson);
    }

    public TimeProvider Time { get; }

    public InMemoryTransparencyLog Log { get; }

    public BundleBuilder Builder { get; }

    /// <summary>trusted_root.json listing <see cref="Log"/>.</summary>
    public byte[] TrustedRootJson { get; }

    public TrustedRoot TrustedRoot { get; }

    /// <summary>A DSSE bundle over an in-toto Statement v1 whose single subject is the image digest.</summary>
    public byte[] SignImageDsse(Digest imageDigest, string predicateType, string predicateJson, ECDsa key)
    {
        using var predicate = JsonDocument.Parse(predicateJson);
        return SignImageDsse(imageDigest, predicateType, predicate.RootElement, key);
    }

    /// <inheritdoc cref="SignImageDsse(Digest, string, string, ECDsa)"/>
    public byte[] SignImageDsse(Digest imageDigest, string predicateType, JsonElement predicate, ECDsa key)
    {
        var statement = StatementWriter.Write([(imageDigest.ToString(), imageDigest)], predicateType, predicate);
        // The in-memory log completes synchronously.
        return Builder.SignStatementAsync(BundleSigner.ForEcdsa(key), statement).GetAwaiter().GetResult();
    }

    /// <summary>A cosign-style image signature: a DSSE statement with predicate type <c>https://sigstore.dev/cosign/sign/v1</c> about the image digest.</summary>
    public byte[] SignImage(Digest imageDigest, ECDsa key) =>
        SignImageDsse(imageDigest, StatementWriter.CosignSignPredicateType, "{}", key);

    /// <summary>A message-signature bundle over a SHA-256 digest (hashedrekord).</summary>
    public byte[] SignDigest(Digest digest, ECDsa key) =>
        Builder.SignDigestAsync(BundleSigner.ForEcdsa(key), digest).GetAwaiter().GetResult();

    public void WriteTrustedRoot(string path) => File.WriteAllBytes(path, TrustedRootJson);

    public void Dispose() => _logKey.Dispose();
}
