using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Attest.Core.Transparency;
using Attest.Testing;

namespace Attest.Server.Tests.Audit;

/// <summary>
/// The auditors' page in headless Chromium (Debian's <c>chromium</c>, driven by <c>playwright-core</c> from npm with
/// <c>executablePath</c>; tests/Attest.Server.Tests/browser/audit-page.mjs): it lists the seeded entries, charts the
/// decisions, verifies an entry's inclusion proof against the signed checkpoint with WebCrypto, and reports the step
/// that fails when the proof, the checkpoint signature or the checkpoint root is tampered with in transit, or when
/// the auditor pins a key that did not sign the ledger. playwright-core is installed once (npm ci, from the
/// lockfile) into <c>$HOME/.cache/attest-npm/audit-page</c>, outside the repository.
/// </summary>
public sealed class AuditPageBrowserTests(SeededLedgerServer seeded) : IClassFixture<SeededLedgerServer>
{
    private const int VerifyIndex = 6;

    [Fact]
    public async Task Page_lists_charts_verifies_and_reports_tampering_in_headless_chromium()
    {
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var wrongKey = NoteVerifierKey.ForEcdsa(SeededLedgerServer.Origin, stranger.ExportSubjectPublicKeyInfo()).ToString();
        var token = await AuditAccess.TokenAsync(seeded.Server);
        using var screenshots = new TempDirectory("audit-page");
        var screenshot = screenshots.Combine("audit-1280x800.png");
        var result = await RunAsync(new Dictionary<string, string>
        {
            ["AUDIT_SCREENSHOT"] = screenshot,
            ["AUDIT_URL"] = seeded.Server.BaseUri.ToString(),
            ["AUDIT_TOKEN"] = token,
            ["VERIFY_INDEX"] = VerifyIndex.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SEARCH_DIGEST"] = SeededLedgerServer.SignedDigest,
            ["LEDGER_KEY"] = seeded.VerifierKey.ToString(),
            ["WRONG_KEY"] = wrongKey,
        });
        var r = result.RootElement;

        Assert.Equal(200, r.GetProperty("status").GetInt32());
        Assert.Contains("script-src 'self'", r.GetProperty("csp").GetString(), StringComparison.Ordinal);
        Assert.Empty(r.GetProperty("consoleErrors").EnumerateArray()); // no CSP violation, no script error

        // Listed: the whole seeded ledger fits the first page (50 rows), newest first.
        Assert.Equal(Enumerable.Range(0, (int)seeded.Size).Reverse(), r.GetProperty("listed").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal(seeded.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), r.GetProperty("checkpointSize").GetString());
        Assert.Equal(seeded.VerifierKey.ToString(), r.GetProperty("shownKey").GetString());

        // Charted: the seeded decisions per day and per hour, by verdict.
        Assert.Equal(ExpectedBars(TimeSpan.FromDays(1)), Bars(r.GetProperty("chartPerDay")));
        Assert.Equal(ExpectedBars(TimeSpan.FromHours(1)), Bars(r.GetProperty("chartPerHour")));

        Assert.Equal("verified", r.GetProperty("verified").GetString());
        Assert.StartsWith("FAILED: inclusion proof: the recomputed root", r.GetProperty("tamperedProof").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("FAILED: checkpoint signature: the signature by key", r.GetProperty("tamperedSignature").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("FAILED: checkpoint signature:", r.GetProperty("tamperedCheckpointRoot").GetString(), StringComparison.Ordinal);
        Assert.Equal("verified", r.GetProperty("verifiedAgain").GetString());
        Assert.StartsWith("pending: no signed checkpoint covers this entry yet", r.GetProperty("pending").GetString(), StringComparison.Ordinal);

        Assert.StartsWith("pinned key ", r.GetProperty("wrongPinState").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("FAILED: checkpoint signature: no signature by key", r.GetProperty("wrongPin").GetString(), StringComparison.Ordinal);
        Assert.Equal("verified", r.GetProperty("rightPin").GetString());

        Assert.Equal([11], r.GetProperty("searchDigest").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal([8, 7, 3], r.GetProperty("searchImageDeny").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal([8, 7, 3], r.GetProperty("searchRepositoryDeny").EnumerateArray().Select(i => i.GetInt32()));

        // At 1280x800 the page needs no horizontal scrolling: the table stays in its card and every Verify control is
        // in the window; each denial's reason and its cause are in the table; the screenshot is of that window.
        var layout = r.GetProperty("layout");
        Assert.Equal(1280, layout.GetProperty("viewportWidth").GetInt32());
        Assert.True(layout.GetProperty("scrollWidth").GetInt32() <= 1280, $"the page scrolls horizontally: {layout}");
        Assert.True(layout.GetProperty("tableRight").GetDouble() <= layout.GetProperty("cardRight").GetDouble(), $"the table overflows its card: {layout}");
        Assert.Equal(seeded.Size, (long)layout.GetProperty("buttons").GetInt32());
        Assert.Equal(layout.GetProperty("buttons").GetInt32(), layout.GetProperty("buttonsInside").GetInt32());
        var denials = r.GetProperty("denyReasons").EnumerateArray().ToList();
        Assert.Equal(3, denials.Count);
        Assert.All(denials, d => Assert.Equal([SeededLedgerServer.DenyReason, SeededLedgerServer.DenyCause], d.EnumerateArray().Select(c => c.GetString())));
        Assert.Equal((1280, 800), PngSize(screenshot));

        // After signing in, every API call carried the token as a bearer token.
        Assert.Equal(["Bearer " + token], r.GetProperty("tokenHeaders").EnumerateArray().Select(h => h.GetString()));
        Assert.Equal("signed in (token accepted)", r.GetProperty("signInState").GetString());
        Assert.Contains("Not signed in (401)", r.GetProperty("message401").GetString(), StringComparison.Ordinal);
        Assert.Contains("Not signed in (403)", r.GetProperty("message403").GetString(), StringComparison.Ordinal);
        Assert.Equal("not signed in", r.GetProperty("signedOutState").GetString());
        Assert.Equal("not signed in", r.GetProperty("state401").GetString());
        Assert.Equal("not signed in: the token was refused", r.GetProperty("state403").GetString());
        // The issue's case: after a bad token the header said "token set" while the banner said "not signed in".
        Assert.Equal("not signed in: the token was refused", r.GetProperty("badTokenState").GetString());
        Assert.Contains("the server refused the token", r.GetProperty("badTokenMessage").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Width and height from a PNG's IHDR chunk.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        var header = new byte[24];
        using (var file = File.OpenRead(path)) file.ReadExactly(header);
        Assert.Equal("\u0089PNG", System.Text.Encoding.Latin1.GetString(header, 0, 4));
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(20)));
    }

    /// <summary>"bucket verdict count" for the seeded decisions, as the page should draw them.</summary>
    private static List<string> ExpectedBars(TimeSpan bucket) =>
    [
        .. SeededLedgerServer.Decisions
            .GroupBy(d => (Start: new DateTimeOffset(d.At.UtcTicks - d.At.UtcTicks % bucket.Ticks, TimeSpan.Zero), d.Verdict))
            .OrderBy(g => g.Key.Start).ThenBy(g => Array.IndexOf(["allow", "warn", "deny"], g.Key.Verdict))
            .Select(g => $"{g.Key.Start:yyyy-MM-ddTHH:mm:ss.fffZ} {g.Key.Verdict} {g.Count()}"),
    ];

    private static List<string> Bars(JsonElement bars) =>
        [.. bars.EnumerateArray().Select(b => $"{b.GetProperty("bucket").GetString()} {b.GetProperty("verdict").GetString()} {b.GetProperty("count").GetInt32()}")];

    /// <summary>Runs a playwright-core script of tests/Attest.Server.Tests/browser in headless Chromium; its JSON output.</summary>
    internal static async Task<JsonDocument> RunAsync(Dictionary<string, string> environment, string scriptName = "audit-page.mjs")
    {
        var chromium = Prerequisites.Executable("chromium", "chromium");
        var script = BrowserTooling.Install(scriptName);
        var start = new ProcessStartInfo("node", [script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        start.Environment["CHROMIUM"] = chromium;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{scriptName} did not finish in 3 minutes: {await stderr}");
        }
        Assert.True(process.ExitCode == 0, $"{scriptName} failed ({process.ExitCode}): {await stderr}\n{await stdout}");
        return JsonDocument.Parse(await stdout);
    }
}

/// <summary>playwright-core from the lockfile beside the script, installed once per version into the user's cache
/// (the same way the SBOM tests install their npm tools); the browser is always Debian's chromium.</summary>
internal static class BrowserTooling
{
    private static readonly Lazy<string> Installed = new(InstallOnce, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The path of <paramref name="script"/> (a file of tests/Attest.Server.Tests/browser) inside the installed
    /// tool directory.</summary>
    public static string Install(string script)
    {
        var target = Path.Combine(Installed.Value, script);
        File.Copy(Path.Combine(RepositoryPaths.Root, "tests", "Attest.Server.Tests", "browser", script), target, overwrite: true);
        return target;
    }

    private static string InstallOnce()
    {
        var source = Path.Combine(RepositoryPaths.Root, "tests", "Attest.Server.Tests", "browser");
        var lockFile = File.ReadAllBytes(Path.Combine(source, "package-lock.json"));
        var version = Convert.ToHexString(SHA256.HashData(lockFile))[..12].ToLowerInvariant();
        var tools = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "attest-npm", "audit-page-" + version);
        Directory.CreateDirectory(tools);
        if (!File.Exists(Path.Combine(tools, "node_modules", "playwright-core", "package.json")))
        {
            File.Copy(Path.Combine(source, "package.json"), Path.Combine(tools, "package.json"), overwrite: true);
            File.Copy(Path.Combine(source, "package-lock.json"), Path.Combine(tools, "package-lock.json"), overwrite: true);
            var npm = new ProcessStartInfo("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            {
                WorkingDirectory = tools,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            npm.Environment["npm_config_update_notifier"] = "false";
            Process process;
            try
            {
                process = Process.Start(npm)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new RigPrerequisiteException($"npm is not installed ({e.Message}): run ./test.sh, which installs the Debian package 'npm'");
            }
            using (process)
            {
                var error = process.StandardError.ReadToEndAsync();
                process.StandardOutput.ReadToEnd();
                if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
                {
                    process.Kill(entireProcessTree: true);
                    throw new InvalidOperationException("npm ci (playwright-core) did not finish in 5 minutes");
                }
                if (process.ExitCode != 0)
                    throw new InvalidOperationException($"npm ci (playwright-core) failed with exit code {process.ExitCode}; is the npm registry reachable? {error.Result}");
            }
        }
        return tools;
    }
}
