using System.Diagnostics;
using System.Globalization;
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

    /// <summary>
    /// Runs <paramref name="clients"/> signing loops: for <paramref name="warmupSeconds"/> unmeasured (both processes'
    /// JIT settles, connections open), then <paramref name="seconds"/> measured. With <paramref name="serverPid"/> the
    /// server's own CPU time over the measured window is reported per signature (read from /proc), apart from the load
    /// client's, which shares the cores.
    /// </summary>
    public static int Run(string url, string tokenFile, int clients, double seconds, double warmupSeconds = 0, int? serverPid = null)
    {
        var token = File.ReadAllText(tokenFile).Trim();
        var subject = Encoding.UTF8.GetBytes("repo:bench/app:ref:refs/heads/main");
        var latencies = new[] { new List<double>(), new List<double>(), new List<double>() };
        long completed = 0, failed = 0;
        var clock = Stopwatch.StartNew();
        var measureFrom = TimeSpan.FromSeconds(warmupSeconds);
        var measureTo = measureFrom + TimeSpan.FromSeconds(seconds);
        TimeSpan clientCpuAtStart = default;
        double serverCpuAtStart = 0;
        using var window = new Timer(_ =>
        {
            clientCpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
            serverCpuAtStart = ServerCpuSeconds(serverPid);
        }, null, measureFrom, Timeout.InfiniteTimeSpan);
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            var mine = new[] { new List<double>(), new List<double>(), new List<double>() };
            while (clock.Elapsed < measureTo)
            {
                try
                {
                    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                    var t0 = Stopwatch.GetTimestamp();
                    var measured = clock.Elapsed >= measureFrom;
                    using var cert = await PostAsync(http, "api/v2/signingCert", json =>
                    {
                        json.WriteStartObject();
                        json.WriteStartObject("credentials");
                        json.WriteString("oidcIdentityToken", token);
                        json.WriteEndObject();
                        json.WriteStartObject("publicKeyRequest");
                        json.WriteStartObject("publicKey");
                        json.WriteString("algorithm", "ECDSA");
                        json.WriteString("content", key.ExportSubjectPublicKeyInfoPem());
                        json.WriteEndObject();
                        json.WriteBase64String("proofOfPossession", key.SignData(subject, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
                        json.WriteEndObject();
                        json.WriteEndObject();
                    }).ConfigureAwait(false);
                    cert.EnsureSuccessStatusCode();
                    using var certBody = JsonDocument.Parse(await cert.Content.ReadAsStreamAsync().ConfigureAwait(false));
                    var leafPem = certBody.RootElement.GetProperty("signedCertificateEmbeddedSct").GetProperty("chain").GetProperty("certificates")[0].GetString()!;
                    var t1 = Stopwatch.GetTimestamp();

                    var digest = RandomNumberGenerator.GetBytes(32);
                    var signature = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
                    using var entry = await PostAsync(http, "api/v1/log/entries", json =>
                    {
                        json.WriteStartObject();
                        json.WriteString("apiVersion", "0.0.1");
                        json.WriteString("kind", "hashedrekord");
                        json.WriteStartObject("spec");
                        json.WriteStartObject("data");
                        json.WriteStartObject("hash");
                        json.WriteString("algorithm", "sha256");
                        json.WriteString("value", Convert.ToHexStringLower(digest));
                        json.WriteEndObject();
                        json.WriteEndObject();
                        json.WriteStartObject("signature");
                        json.WriteBase64String("content", signature);
                        json.WriteStartObject("publicKey");
                        json.WriteBase64String("content", Encoding.UTF8.GetBytes(leafPem));
                        json.WriteEndObject();
                        json.WriteEndObject();
                        json.WriteEndObject();
                        json.WriteEndObject();
                    }).ConfigureAwait(false);
                    entry.EnsureSuccessStatusCode();
                    using var entryBody = JsonDocument.Parse(await entry.Content.ReadAsStreamAsync().ConfigureAwait(false));
                    var logged = entryBody.RootElement.EnumerateObject().First().Value;
                    if (logged.GetProperty("verification").GetProperty("inclusionProof").GetProperty("checkpoint").GetString() is null) throw new JsonException("no checkpoint");
                    var t2 = Stopwatch.GetTimestamp();

                    using var timestamp = await PostAsync(http, "api/v1/timestamp", json =>
                    {
                        json.WriteStartObject();
                        json.WriteBase64String("artifactHash", SHA256.HashData(signature));
                        json.WriteString("hashAlgorithm", "sha256");
                        json.WriteEndObject();
                    }).ConfigureAwait(false);
                    timestamp.EnsureSuccessStatusCode();
                    if ((await timestamp.Content.ReadAsByteArrayAsync().ConfigureAwait(false)).Length == 0) throw new JsonException("empty timestamp");
                    var t3 = Stopwatch.GetTimestamp();

                    // Counted when the whole signature falls inside the measured window.
                    if (!measured || clock.Elapsed > measureTo) continue;
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
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpuAtStart;
        var serverCpu = ServerCpuSeconds(serverPid) - serverCpuAtStart;
        var elapsed = (clock.Elapsed - measureFrom).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{completed} complete keyless signatures in {elapsed:F1} s with {clients} clients: {completed / elapsed:F0}/s ({failed} failed)"));
        var perSignature = Math.Max(1, completed);
        if (serverPid is not null)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  server CPU {serverCpu * 1000 / perSignature:F2} ms per complete signature"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  load client CPU {clientCpu.TotalMilliseconds / perSignature:F2} ms per complete signature"));
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

    /// <summary>POSTs the JSON <paramref name="write"/> produces (written directly: no serializer metadata per call).</summary>
    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer)) write(json);
        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return http.PostAsync(path, content);
    }

    /// <summary>User + system CPU seconds of a process (Linux /proc), 0 without one.</summary>
    private static double ServerCpuSeconds(int? pid)
    {
        if (pid is null) return 0;
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // After "(comm)": state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
