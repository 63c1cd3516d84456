using BenchmarkDotNet.Attributes;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Benchmarks;

/// <summary>
/// Keyless bundle verification as the sigstore-js peer's bench-verify.cjs measures it: the three conformance happy
/// paths (v0.1, v0.2, v0.3) against the public-good root, trusted root parsed once, each bundle parsed and its artifact
/// hashed per verification, one thread. Ops/s of <see cref="VerifyHappyPaths"/> × 3 = bundles/s; compare with
/// <c>peer/peer-node peer/bench-verify.cjs results/bench-manifest-conformance-happy-paths.json 5</c> in the same session.
/// <c>bench/verify-vs-sigstore-js.sh</c> does that comparison in one run (with <see cref="VerifyThroughput"/>).
/// </summary>
[SimpleJob(warmupCount: 3, iterationCount: 8)]
[MemoryDiagnoser]
public class BundleVerificationBenchmarks
{
    private const string Identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string Issuer = "https://token.actions.githubusercontent.com";

    private BundleVerifier _verifier = null!;
    private byte[][] _bundles = [];
    private byte[] _artifact = [];
    private readonly ArtifactPolicy _policy = ArtifactPolicy.ForIdentity(Identity, Issuer);

    [GlobalSetup]
    public void Setup()
    {
        var vectors = FindVectors();
        _verifier = new BundleVerifier(TrustedRoot.PublicGood);
        _bundles = new[] { "happy-path-v0.1", "happy-path-v0.2", "happy-path-v0.3" }
            .Select(c => File.ReadAllBytes(Path.Combine(vectors, "conformance", c, "bundle.sigstore.json"))).ToArray();
        _artifact = File.ReadAllBytes(Path.Combine(vectors, "conformance", "a.txt"));
        foreach (var bundle in _bundles)
        {
            var result = _verifier.Verify(bundle, Artifact.FromBytes(_artifact), _policy);
            if (!result.Verified) throw new InvalidOperationException($"benchmark bundle does not verify: {result.Failure}");
        }
    }

    /// <summary>Three bundles per operation.</summary>
    [Benchmark]
    public int VerifyHappyPaths()
    {
        var verified = 0;
        foreach (var bundle in _bundles)
            if (_verifier.Verify(bundle, Artifact.FromBytes(_artifact), _policy).Verified) verified++;
        return verified;
    }

    private static string FindVectors()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "vectors", "sigstore");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/vectors/sigstore not found above " + AppContext.BaseDirectory);
    }
}
