using Attest.Core;
using Attest.Core.Crypto;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;
using Attest.Testing;

namespace Attest.Sigstore.Tests;

/// <summary>One sigstore-conformance case from <c>tests/vectors/sigstore/conformance</c>, read as run-offline.sh reads it.</summary>
public sealed record ConformanceCase(string Name, string Directory)
{
    public const string DefaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    public const string DefaultIssuer = "https://token.actions.githubusercontent.com";

    public bool ShouldPass => !Name.EndsWith("_fail", StringComparison.Ordinal);

    public byte[] BundleBytes => File.ReadAllBytes(Path.Combine(Directory, "bundle.sigstore.json"));

    public byte[] ArtifactBytes => File.ReadAllBytes(File.Exists(Path.Combine(Directory, "artifact"))
        ? Path.Combine(Directory, "artifact")
        : SigstoreVectors.Conformance("a.txt"));

    /// <summary>The case's trusted root, or the embedded public-good root; null when the case's root is (deliberately) invalid.</summary>
    public TrustedRoot? LoadTrustedRoot(out Finding? finding)
    {
        var path = Path.Combine(Directory, "trusted_root.json");
        finding = null;
        if (!File.Exists(path)) return TrustedRoot.PublicGood;
        return TrustedRoot.TryParse(File.ReadAllBytes(path), out var root, out finding) ? root : null;
    }

    /// <summary>The policy the conformance harness passes: the key of key.pub, or the identity (files or defaults). Null when key.pub is unreadable.</summary>
    public ArtifactPolicy? Policy()
    {
        var keyPath = Path.Combine(Directory, "key.pub");
        if (File.Exists(keyPath))
            return PublicKey.TryParse(File.ReadAllBytes(keyPath), out var key, out _) ? ArtifactPolicy.ForKey(key) : null;
        return ArtifactPolicy.ForIdentity(ReadTrimmed("identity") ?? DefaultIdentity, ReadTrimmed("issuer") ?? DefaultIssuer);
    }

    private string? ReadTrimmed(string file)
    {
        var path = Path.Combine(Directory, file);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    public override string ToString() => Name;
}

public static class SigstoreVectors
{
    public static string Root(params string[] parts) => RepositoryPaths.Vectors(["sigstore", .. parts]);

    public static string Conformance(params string[] parts) => Root(["conformance", .. parts]);

    public static IEnumerable<ConformanceCase> ConformanceCases() =>
        System.IO.Directory.GetDirectories(Conformance())
            .OrderBy(d => d, StringComparer.Ordinal)
            .Select(d => new ConformanceCase(Path.GetFileName(d), d));

    public static ConformanceCase Case(string name) => new(name, Conformance(name));

    public static VerificationResult Verify(ConformanceCase @case, bool digestMode, VerifierOptions? options = null)
    {
        var root = @case.LoadTrustedRoot(out var rootFinding);
        if (root is null) return VerificationResult.Fail(rootFinding!);
        var policy = @case.Policy();
        if (policy is null) return VerificationResult.Fail(new Finding(SigstoreCodes.KeyMalformed, "key.pub is unreadable"));
        var artifactBytes = @case.ArtifactBytes;
        var artifact = digestMode ? Artifact.FromDigest(Digest.Sha256(artifactBytes)) : Artifact.FromBytes(artifactBytes);
        return new BundleVerifier(root, options).Verify(@case.BundleBytes, artifact, policy);
    }
}
