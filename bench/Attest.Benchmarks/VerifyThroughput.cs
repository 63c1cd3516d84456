using System.Diagnostics;
using System.Text.Json;
using Attest.Sigstore.TrustRoot;
using Attest.Sigstore.Verification;

namespace Attest.Benchmarks;

/// <summary>
/// The same measurement as the sigstore-js peer's bench-verify.cjs, on the same manifest: every trusted root parsed
/// once (as a service loads it at start-up), each bundle parsed and its artifact hashed on every verification, one
/// thread, for a given number of seconds. Prints one line in the peer's format:
/// "&lt;n&gt; verifications in &lt;s&gt; s: &lt;rate&gt; bundles/s (1 core)".
/// Run: <c>dotnet Attest.Benchmarks.dll verify-throughput MANIFEST.json [SECONDS]</c>.
/// </summary>
internal static class VerifyThroughput
{
    private sealed record Item(byte[] Bundle, byte[] Artifact, ArtifactPolicy Policy, BundleVerifier Verifier);

    public static int Run(string manifestPath, double seconds)
    {
        var manifestDir = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        var verifiers = new Dictionary<string, BundleVerifier>(StringComparer.Ordinal);
        var items = new List<Item>();
        foreach (var entry in manifest.RootElement.EnumerateArray())
        {
            string Resolve(string name) => Path.GetFullPath(Path.Combine(manifestDir, entry.GetProperty(name).GetString()!));
            var rootPath = Resolve("trustedRoot");
            if (!verifiers.TryGetValue(rootPath, out var verifier))
                verifiers[rootPath] = verifier = new BundleVerifier(TrustedRoot.Parse(File.ReadAllBytes(rootPath)));
            items.Add(new Item(
                File.ReadAllBytes(Resolve("bundle")),
                File.ReadAllBytes(Resolve("artifact")),
                ArtifactPolicy.ForIdentity(entry.GetProperty("identity").GetString()!, entry.GetProperty("issuer").GetString()!),
                verifier));
        }
        // Warm-up, and proof that every item verifies (as the peer does).
        foreach (var item in items)
        {
            var result = item.Verifier.Verify(item.Bundle, Artifact.FromBytes(item.Artifact), item.Policy);
            if (!result.Verified) throw new InvalidOperationException($"a manifest item does not verify: {result.Failure}");
        }
        // Warm-up until tiered compilation has settled (no method compiled for two seconds, at least 3 s, at most 20 s), so that
        // the clock measures the steady state a long-running verifier is in; on a busy machine that takes a while.
        var warmup = Stopwatch.StartNew();
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quietSince = TimeSpan.Zero;
        while (warmup.Elapsed.TotalSeconds < 20)
        {
            foreach (var item in items) item.Verifier.Verify(item.Bundle, Artifact.FromBytes(item.Artifact), item.Policy);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quietSince = warmup.Elapsed;
            }
            else if (warmup.Elapsed - quietSince > TimeSpan.FromSeconds(2) && warmup.Elapsed.TotalSeconds > 3)
            {
                break;
            }
        }
        if (Environment.GetEnvironmentVariable("ATTEST_BENCH_VERBOSE") == "1")
            Console.WriteLine(FormattableString.Invariant($"warm-up: {warmup.Elapsed.TotalSeconds:F1} s, {compiled} methods compiled"));
        long n = 0;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var verbose = Environment.GetEnvironmentVariable("ATTEST_BENCH_VERBOSE") == "1";
        var (windowStart, windowCount) = (TimeSpan.Zero, 0L);
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            foreach (var item in items)
            {
                if (!item.Verifier.Verify(item.Bundle, Artifact.FromBytes(item.Artifact), item.Policy).Verified)
                    throw new InvalidOperationException("a manifest item stopped verifying");
                n++;
            }
            // Verbose: the rate of every 5-second window, to see whether the run was still warming up.
            if (verbose && clock.Elapsed - windowStart >= TimeSpan.FromSeconds(5))
            {
                var span = clock.Elapsed - windowStart;
                Console.WriteLine(FormattableString.Invariant($"  window at {clock.Elapsed.TotalSeconds:F0} s: {(n - windowCount) / span.TotalSeconds:F1} bundles/s, {System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled"));
                (windowStart, windowCount) = (clock.Elapsed, n);
            }
        }
        var s = clock.Elapsed.TotalSeconds;
        var perBundle = (GC.GetAllocatedBytesForCurrentThread() - allocated) / Math.Max(n, 1);
        Console.WriteLine(FormattableString.Invariant($"{n} verifications in {s:F2} s: {n / s:F1} bundles/s (1 core)"));
        if (verbose)
            Console.WriteLine(FormattableString.Invariant($"allocated: {perBundle} bytes per bundle"));
        return 0;
    }
}
