using System.Text.Json;

namespace Attest.Server.Tests.Hosting;

public sealed class PolicyReloadTests
{
    /// <summary>The revision in force, as /readyz names it in the policies check.</summary>
    private static async Task<string> RevisionAsync(Attest.Testing.ServerProcess server)
    {
        using var document = JsonDocument.Parse(await server.Client.GetStringAsync("readyz"));
        var detail = document.RootElement.GetProperty("checks").GetProperty("policies").GetProperty("detail").GetString()!;
        return System.Text.RegularExpressions.Regex.Match(detail, "revision (sha256:[0-9a-f]{64})").Groups[1].Value;
    }

    private static async Task<string> WaitForChangeAsync(Attest.Testing.ServerProcess server, string before)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var now = await RevisionAsync(server);
            if (now != before) return now;
            await Task.Delay(100);
        }
        return before;
    }

    [Fact]
    public async Task Edited_policy_file_is_reloaded_and_an_invalid_edit_keeps_the_last_good_set()
    {
        using var workspace = new ServerWorkspace();
        await using var server = await workspace.Start().WaitUntilListeningAsync();
        var first = await RevisionAsync(server);
        var file = Path.Combine(workspace.PolicyDirectory, "example.yaml");

        await File.AppendAllTextAsync(file, "\n# a comment changes the revision\n");
        var second = await WaitForChangeAsync(server, first);
        Assert.NotEqual(first, second);
        // The console logger writes on its own thread: the new revision can be served a moment before the line appears.
        var logged = DateTime.UtcNow.AddSeconds(15);
        while (!server.StandardOutput.Contains("Reloaded", StringComparison.Ordinal) && DateTime.UtcNow < logged) await Task.Delay(100);
        Assert.Contains("Reloaded", server.StandardOutput, StringComparison.Ordinal);

        // Written whole and renamed into place, as editors and ConfigMap updates do: a file created empty and filled more
        // than the settle time later (a loaded machine) is a valid empty policy file in between, a revision of its own.
        var staged = Path.Combine(workspace.PolicyDirectory, "broken.yaml.tmp");
        await File.WriteAllTextAsync(staged, "apiVersion: attest.dev/v1\nkind: Nope\n");
        File.Move(staged, Path.Combine(workspace.PolicyDirectory, "broken.yaml"));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!server.StandardOutput.Contains("were not reloaded", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Contains("were not reloaded", server.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("broken.yaml:2:7: unknown kind", server.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(second, await RevisionAsync(server));

        using var ready = await server.Client.GetAsync("readyz");
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("degraded", body.RootElement.GetProperty("status").GetString());
        var policies = body.RootElement.GetProperty("checks").GetProperty("policies");
        Assert.Contains(policies.GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith("broken.yaml:2:7: unknown kind", StringComparison.Ordinal));
    }
}
