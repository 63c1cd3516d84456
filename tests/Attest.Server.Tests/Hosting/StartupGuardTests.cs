using System.Text.Json;
using System.Text.RegularExpressions;
using Attest.Testing;

namespace Attest.Server.Tests.Hosting;

/// <summary>
/// What used to pass silently at start-up now stops it with one line: a misspelt setting (the server would have run on
/// the default), and a second server on a data directory in use (two writers of one ledger and one set of keys). And a
/// running server logs its own events, not the framework's Information chatter.
/// </summary>
public sealed partial class StartupGuardTests
{
    [Theory]
    [InlineData("--Attest:DataDirectroy=elsewhere", "unknown setting Attest:DataDirectroy (did you mean Attest:DataDirectory?)")]
    [InlineData("--Attest:Registries:Insecur=localhost:5000", "unknown setting Attest:Registries:Insecur (did you mean Attest:Registries:Insecure?)")]
    [InlineData("--Attest:Keyless:Issuers:0:Isuer=https://issuer.example", "unknown setting Attest:Keyless:Issuers:0:Isuer (did you mean Attest:Keyless:Issuers:0:Issuer?)")]
    [InlineData("--Attest:Frobnicate=1", "unknown setting Attest:Frobnicate;")]
    public async Task Unknown_setting_stops_startup_naming_it_and_the_nearest_valid_one(string argument, string expected)
    {
        using var workspace = new ServerWorkspace();
        var error = await StartupTests.StartupErrorAsync(workspace.Start(argument));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(workspace.DataDirectory)); // stopped before anything was created
    }

    [Fact]
    public async Task Settings_in_an_environment_variable_and_appsettings_are_checked_too()
    {
        using var workspace = new ServerWorkspace();
        await File.WriteAllTextAsync(workspace.Combine("appsettings.json"), """{ "Attest": { "Ledger": { "Orign": "x" } } }""");
        var error = await StartupTests.StartupErrorAsync(ServerProcess.Start(workspace.Path, null, new Dictionary<string, string> { ["ATTEST_Attest__Auth__TokenLifetme"] = "00:10:00" }));
        Assert.Contains("unknown setting Attest:Auth:TokenLifetme (did you mean Attest:Auth:TokenLifetime?)", error, StringComparison.Ordinal);
        Assert.Contains("unknown setting Attest:Ledger:Orign (did you mean Attest:Ledger:Origin?)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_setting_the_readme_documents_is_a_known_setting()
    {
        // The configuration table names each setting in backquotes; the server must accept every one of them.
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "README.md"));
        var settings = DocumentedSetting().Matches(readme).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(settings.Count > 30, $"found only {settings.Count} documented settings");
        // A list of objects is documented by its name and set by item: probe one item's field.
        var arguments = settings.Select(s => s == "Attest:Keyless:Issuers" ? $"--{s}:0:Issuer=probe" : $"--{s}=probe").ToArray();
        using var workspace = new ServerWorkspace();
        var error = await StartupTests.StartupErrorAsync(workspace.Start(arguments));
        Assert.DoesNotContain("unknown setting", error, StringComparison.Ordinal); // other errors: the probe values are nonsense
    }

    [Fact]
    public async Task Second_server_on_a_data_directory_in_use_is_refused_naming_the_first()
    {
        using var workspace = new ServerWorkspace();
        var first = await workspace.Start().WaitUntilListeningAsync();
        try
        {
            var error = await StartupTests.StartupErrorAsync(workspace.Start());
            Assert.Contains($"data directory {workspace.DataDirectory} is in use by another Attest server (process {first.ProcessId} on host", error, StringComparison.Ordinal);
            Assert.Contains("give this one its own Attest:DataDirectory", error, StringComparison.Ordinal);
            Assert.False(first.HasExited);
        }
        finally
        {
            // The lock goes with the process: once the first server stops, the directory is free again.
            await first.DisposeAsync();
        }
        await using var second = await workspace.Start().WaitUntilListeningAsync();
        using var ready = await second.Client.GetAsync("readyz");
        Assert.True(ready.IsSuccessStatusCode);
    }

    [Fact]
    public async Task Framework_information_chatter_is_not_logged_but_attests_own_events_are()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var token = await server.TokenForScopesAsync(workspace.DataDirectory, "verify");
        for (var i = 0; i < 20; i++)
        {
            using var _ = await server.Client.GetAsync("healthz");
            using var __ = await server.SendAsync(HttpMethod.Get, "v1/keys", token);
            using var ___ = await server.SendAsync(HttpMethod.Get, "v1/nothing", token);
        }
        await Task.Delay(500);
        var lines = server.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var chatter = lines.Where(l => l.GetProperty("Category").GetString()!.StartsWith("Microsoft.", StringComparison.Ordinal) &&
                                       l.GetProperty("Category").GetString() != "Microsoft.Hosting.Lifetime" &&
                                       l.GetProperty("LogLevel").GetString() is "Information" or "Debug" or "Trace").ToList();
        Assert.True(chatter.Count == 0, $"framework chatter: {string.Join("\n", chatter)}");
        Assert.Contains(lines, l => l.GetProperty("Category").GetString()!.StartsWith("Attest.", StringComparison.Ordinal) && l.GetProperty("LogLevel").GetString() == "Information");
        Assert.True(lines.Count < 30, $"{lines.Count} log lines for 60 requests:\n{server.StandardOutput}");
    }

    [GeneratedRegex(@"^\| `(Attest:[A-Za-z:]+)`", RegexOptions.Multiline)]
    private static partial Regex DocumentedSetting();
}
