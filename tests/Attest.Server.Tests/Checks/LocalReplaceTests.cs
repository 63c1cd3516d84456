using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.GoModules;
using Attest.Testing;

namespace Attest.Server.Tests.Checks;

/// <summary>A go.mod uploaded to <c>POST /v1/gosum/verify</c> names directories of the machine that built the module;
/// the server never reads its own filesystem for them: a named pipe there cannot block an evaluation slot, and the
/// answer is the same whether the path exists, holds files or cannot be read (no existence or content oracle).</summary>
[Collection(CheckCollection.Name)]
public sealed class LocalReplaceTests(CheckServerFixture fixture)
{
    [Fact]
    public async Task Local_replace_is_reported_without_reading_the_servers_filesystem()
    {
        using var directory = new TempDirectory("attest-replace-target");
        var withPipe = Path.Combine(directory.Path, "with-pipe");
        Directory.CreateDirectory(withPipe);
        await File.WriteAllTextAsync(Path.Combine(withPipe, "go.mod"), "module example.com/x\n");
        MakeFifo(Path.Combine(withPipe, "pipe.go"));
        var withFiles = Path.Combine(directory.Path, "with-files");
        Directory.CreateDirectory(withFiles);
        await File.WriteAllTextAsync(Path.Combine(withFiles, "go.mod"), "module example.com/x\n");
        await File.WriteAllTextAsync(Path.Combine(withFiles, "x.go"), "package x\n");
        var unreadable = Path.Combine(directory.Path, "unreadable");
        Directory.CreateDirectory(unreadable, UnixFileMode.None);

        var answers = new List<string>();
        foreach (var target in new[] { withPipe, withFiles, Path.Combine(directory.Path, "missing"), unreadable, "/etc" })
        {
            var goMod = $"module example.com/app\n\ngo 1.17\n\nreplace example.com/x => {target}\n";
            var form = new MultipartFormDataContent()
                .AddFile("go.mod", Encoding.UTF8.GetBytes(goMod))
                .Add("subjectDigest", "sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
            var clock = Stopwatch.StartNew();
            var (status, body) = await fixture.PostAsync("v1/gosum/verify", form);
            Assert.True(status == 200, $"{target}: {status} {body.RootElement}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{target}: took {clock.Elapsed}");
            var finding = Assert.Single(body.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == GoSumCodes.ReplaceLocal);
            var message = finding.GetProperty("message").GetString()!;
            Assert.DoesNotContain("h1:", message, StringComparison.Ordinal);
            Assert.Contains("was not read", message, StringComparison.Ordinal);
            answers.Add(message.Replace(target, "<dir>", StringComparison.Ordinal));
        }
        // The same sentence for a pipe, files, nothing, a directory the server may not read, and a system directory.
        Assert.Single(answers.Distinct());

        // The evaluation slots are free: an ordinary check still answers.
        var (okStatus, ok) = await fixture.PostAsync("v1/gosum/verify", GoSumVerifyTests.Form("sha256:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), GoSumVerifyTests.ModuleZip()));
        Assert.True(okStatus == 200, ok.RootElement.ToString());
        Assert.Equal("passed", ok.RootElement.GetProperty("verdict").GetString());
    }

    internal static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
