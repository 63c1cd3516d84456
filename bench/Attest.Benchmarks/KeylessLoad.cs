using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.Benchmarks;

/// <summary>
/// Complete keyless signatures through Attest's HTTP API, as a Sigstore client makes them: a fresh P-256 key, a
/// certificate from <c>POST /api/v2/signingCert</c> (token + proof of possession), a signature over a fresh artifact
/// digest logged with <c>POST /api/v1/log/entries</c> (hashedrekord; the answer carries the SET and inclusion proof),
/// and an RFC 3161 timestamp of the signature from <c>POST /api/v1/timestamp</c>. N concurrent clients, each one
/// connection, for a fixed time; prints complete signatures per second and p50/p99 per endpoint.
/// "keyless-issuer DIR" writes a test OIDC issuer's jwks.json and a one-hour GitHub-workflow token into DIR.
/// </summary>
internal static class KeylessLoad
{
    public const string Issuer = "https://bench.attest.test";

    public static int WriteIssuer(string directory)
    {
        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = key.ExportParameters(false);
        var jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["kid"] = "bench", ["use"] = "sig", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!) };
        File.WriteAllText(Path.Combine(directory, "jwks.json"), new JsonObject { ["keys"] = new JsonArray(jwk) }.ToJsonString());
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["aud"] = "sigstore", ["iat"] = now, ["exp"] = now + 3600, ["sub"] = "repo:bench/app:ref:refs/heads/main",
            ["job_workflow_ref"] = "bench/app/.github/workflows/release.yml@refs/heads/main", ["repository"] = "bench/app", ["ref"] = "refs/heads/main",
        };
        var input = $"{B64(Encoding.UTF8.GetBytes("{\"alg\":\"ES256\",\"kid\":\"bench\",\"typ\":\"JWT\"}"))}.{B64(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        File.WriteAllText(Path.Combine(directory, "token"), $"{input}.{B64(signature)}");
        return 0;
    }

    public static int Run(string url, string tokenFile, int clients, double seconds)
    {
        var token = File.ReadAllText(tokenFile).Trim();
        var subject = "repo:bench/app:ref:refs/heads/main";
        var latencies = new[] { new List<double>(), new List<double>(), new List<double>() };
        long completed = 0, failed = 0;
        var stop = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            var mine = new[] { new List<double>(), new List<double>(), new List<double>() };
            while (stop.Elapsed < deadline)
            {
                try
                {
                    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                    var t0 = Stopwatch.GetTimestamp();
                    using var cert = await http.PostAsJsonAsync("api/v2/signingCert", new
                    {
                        credentials = new { oidcIdentityToken = token },
                        publicKeyRequest = new
                        {
                            publicKey = new { algorithm = "ECDSA", content = key.ExportSubjectPublicKeyInfoPem() },
                            proofOfPossession = Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(subject), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
                        },
                    }).ConfigureAwait(false);
                    cert.EnsureSuccessStatusCode();
                    using var certBody = JsonDocument.Parse(await cert.Content.ReadAsStreamAsync().ConfigureAwait(false));
                    var leafPem = certBody.RootElement.GetProperty("signedCertificateEmbeddedSct").GetProperty("chain").GetProperty("certificates")[0].GetString()!;
                    var t1 = Stopwatch.GetTimestamp();

                    var digest = RandomNumberGenerator.GetBytes(32);
                    var signature = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
                    using var entry = await http.PostAsJsonAsync("api/v1/log/entries", new
                    {
                        apiVersion = "0.0.1",
                        kind = "hashedrekord",
                        spec = new
                        {
                            data = new { hash = new { algorithm = "sha256", value = Convert.ToHexStringLower(digest) } },
                            signature = new { content = Convert.ToBase64String(signature), publicKey = new { content = Convert.ToBase64String(Encoding.UTF8.GetBytes(leafPem)) } },
                        },
                    }).ConfigureAwait(false);
                    entry.EnsureSuccessStatusCode();
                    using var entryBody = JsonDocument.Parse(await entry.Content.ReadAsStreamAsync().ConfigureAwait(false));
                    var logged = entryBody.RootElement.EnumerateObject().First().Value;
                    if (logged.GetProperty("verification").GetProperty("inclusionProof").GetProperty("checkpoint").GetString() is null) throw new JsonException("no checkpoint");
                    var t2 = Stopwatch.GetTimestamp();

                    using var timestamp = await http.PostAsJsonAsync("api/v1/timestamp", new { artifactHash = Convert.ToBase64String(SHA256.HashData(signature)), hashAlgorithm = "sha256" }).ConfigureAwait(false);
                    timestamp.EnsureSuccessStatusCode();
                    if ((await timestamp.Content.ReadAsByteArrayAsync().ConfigureAwait(false)).Length == 0) throw new JsonException("empty timestamp");
                    var t3 = Stopwatch.GetTimestamp();

                    mine[0].Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    mine[1].Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                    mine[2].Add(Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds);
                    Interlocked.Increment(ref completed);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or KeyNotFoundException or JsonException)
                {
                    if (Interlocked.Increment(ref failed) == 1) Console.Error.WriteLine($"first failure: {e.Message}");
                }
            }
            lock (latencies)
                for (var i = 0; i < 3; i++) latencies[i].AddRange(mine[i]);
        })).ToArray();
        Task.WaitAll(workers);
        var elapsed = stop.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{completed} complete keyless signatures in {elapsed:F1} s with {clients} clients: {completed / elapsed:F0}/s ({failed} failed)"));
        var names = new[] { "POST /api/v2/signingCert", "POST /api/v1/log/entries", "POST /api/v1/timestamp" };
        for (var i = 0; i < 3; i++)
        {
            var sorted = latencies[i].Order().ToArray();
            if (sorted.Length == 0) continue;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {names[i],-26} p50 {sorted[sorted.Length / 2],6:F1} ms   p99 {sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))],6:F1} ms"));
        }
        return failed == 0 ? 0 : 1;
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
