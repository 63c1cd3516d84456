using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Attest.Testing;
using YamlDotNet.RepresentationModel;

namespace Attest.Server.Tests.Deploy;

/// <summary>
/// deploy/Dockerfile, without a Docker engine (none runs here): the file is parsed and checked for what a container
/// platform needs (a numeric non-root user matching the chart's, sources that exist, the entry point the publish
/// output has, no native library installed that the code no longer loads), and the image's layout is built with
/// <c>dotnet publish</c> and started as the image's ENTRYPOINT and ENV would start it.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string DockerfilePath = Path.Combine(RepositoryPaths.Root, "deploy", "Dockerfile");

    private sealed record Instruction(string Keyword, string Arguments, int Line);

    /// <summary>Instructions with continuation lines joined and comments dropped.</summary>
    private static List<Instruction> Parse(string text)
    {
        var instructions = new List<Instruction>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.TrimStart().StartsWith('#') || string.IsNullOrWhiteSpace(line)) continue;
            var start = i + 1;
            while (line.EndsWith('\\') && i + 1 < lines.Length) line = line[..^1] + " " + lines[++i].Trim();
            var match = InstructionRegex().Match(line);
            Assert.True(match.Success, $"Dockerfile line {start} is not an instruction: {line}");
            instructions.Add(new Instruction(match.Groups[1].Value.ToUpperInvariant(), match.Groups[2].Value.Trim(), start));
        }
        return instructions;
    }

    [GeneratedRegex(@"^\s*([A-Za-z]+)\s+(.*)$")]
    private static partial Regex InstructionRegex();

    private static List<Instruction> Instructions => Parse(File.ReadAllText(DockerfilePath));

    private static List<Instruction> FinalStage
    {
        get
        {
            var all = Instructions;
            return [.. all.Skip(all.FindLastIndex(x => x.Keyword == "FROM"))];
        }
    }

    [Fact]
    public void Dockerfile_knows_only_valid_instructions_and_builds_in_two_stages_on_the_targeted_dotnet()
    {
        string[] known = ["FROM", "RUN", "COPY", "WORKDIR", "ENV", "USER", "EXPOSE", "ENTRYPOINT", "ARG", "LABEL", "HEALTHCHECK", "CMD"];
        Assert.All(Instructions, i => Assert.Contains(i.Keyword, known));
        var froms = Instructions.Where(i => i.Keyword == "FROM").ToList();
        Assert.Equal(2, froms.Count);
        var framework = Regex.Match(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "Directory.Build.props")), "<TargetFramework>net(\\d+)\\.(\\d+)</TargetFramework>");
        Assert.Equal($"mcr.microsoft.com/dotnet/sdk:{framework.Groups[1].Value}.{framework.Groups[2].Value} AS build", froms[0].Arguments);
        Assert.Equal($"mcr.microsoft.com/dotnet/aspnet:{framework.Groups[1].Value}.{framework.Groups[2].Value}", froms[1].Arguments);
        // The final stage takes only the publish output from the build stage.
        Assert.Contains(FinalStage, i => i.Keyword == "COPY" && i.Arguments.StartsWith("--from=build /out/", StringComparison.Ordinal));
    }

    [Fact]
    public void Image_runs_as_a_numeric_non_root_user_the_chart_and_manifests_name()
    {
        var user = Assert.Single(FinalStage, i => i.Keyword == "USER").Arguments;
        var match = Regex.Match(user, "^(\\d+)(?::(\\d+))?$");
        Assert.True(match.Success, $"USER must be numeric (uid[:gid]) for runAsNonRoot, is '{user}'");
        Assert.NotEqual("0", match.Groups[1].Value);
        var values = new YamlStream();
        values.Load(new StringReader(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "deploy", "helm", "attest", "values.yaml"))));
        Assert.Equal(match.Groups[1].Value, DeploymentRules.Text(values.Documents[0].RootNode, "securityContext", "runAsUser"));
        Assert.Equal(match.Groups[2].Value, DeploymentRules.Text(values.Documents[0].RootNode, "securityContext", "runAsGroup"));
        // The directory the server writes to is the user's, made before the USER line.
        var data = Assert.Single(FinalStage, i => i.Keyword == "ENV").Arguments;
        Assert.Contains("Attest__DataDirectory=/var/lib/attest", data, StringComparison.Ordinal);
        Assert.Contains(FinalStage, i => i.Keyword == "RUN" && i.Arguments.Contains($"chown {user} /var/lib/attest", StringComparison.Ordinal));
    }

    [Fact]
    public void Copied_sources_exist_and_the_build_context_leaves_out_build_output()
    {
        foreach (var copy in Instructions.Where(i => i.Keyword == "COPY" && !i.Arguments.StartsWith("--from", StringComparison.Ordinal)))
        {
            var source = copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            Assert.True(source == "." || Directory.Exists(Path.Combine(RepositoryPaths.Root, source)) || File.Exists(Path.Combine(RepositoryPaths.Root, source)),
                $"Dockerfile line {copy.Line} copies {source}, which the repository does not have");
        }
        var ignored = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore"));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
    }

    [Fact]
    public void Native_libraries_installed_are_the_ones_the_code_loads()
    {
        // The image installs libsodium exactly when some source file still loads it (the libraries may replace it).
        var loadsSodium = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .Any(text => Regex.IsMatch(text, "\\[(DllImport|LibraryImport)\\(") && Regex.IsMatch(text, "\"(lib)?sodium[^\"]*\""));
        var installsSodium = FinalStage.Any(i => i.Keyword == "RUN" && i.Arguments.Contains("libsodium", StringComparison.Ordinal));
        Assert.Equal(loadsSodium, installsSodium);
        Assert.All(FinalStage.Where(i => i.Keyword == "RUN" && i.Arguments.Contains("apt-get install", StringComparison.Ordinal)), i =>
        {
            Assert.Contains("--no-install-recommends", i.Arguments, StringComparison.Ordinal);
            Assert.Contains("rm -rf /var/lib/apt/lists/*", i.Arguments, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Published_layout_starts_as_the_image_would_and_becomes_ready()
    {
        using var root = new TempDirectory("attest-image");
        var app = root.Combine("app");
        var configuration = typeof(DockerfileTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        // The build stage's publish, from this checkout's build (--no-build: the suite has just built it).
        await RigProcess.RunAsync("dotnet", ["publish", Path.Combine(RepositoryPaths.Root, "src", "Attest.Server"), "--no-build", "-c", configuration, "-o", app, "--nologo"],
            timeout: TimeSpan.FromMinutes(5));
        // COPY policies/ /app/policies/
        var policies = Directory.CreateDirectory(Path.Combine(app, "policies")).FullName;
        foreach (var file in Directory.GetFiles(RepositoryPaths.Policies, "*.yaml")) File.Copy(file, Path.Combine(policies, Path.GetFileName(file)));

        var entrypoint = Assert.Single(FinalStage, i => i.Keyword == "ENTRYPOINT").Arguments;
        var dll = Regex.Match(entrypoint, "^\\[\"dotnet\", \"/app/([^\"]+)\"\\]$");
        Assert.True(dll.Success, $"ENTRYPOINT must run a dll under /app, is {entrypoint}");
        Assert.True(File.Exists(Path.Combine(app, dll.Groups[1].Value)), $"the publish output has no {dll.Groups[1].Value}");

        // ENV, with the image's paths moved under this test's directory and the port picked by the OS.
        var data = Directory.CreateDirectory(root.Combine("var-lib-attest")).FullName;
        var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(app, dll.Groups[1].Value), "--urls", "http://127.0.0.1:0"])
        {
            WorkingDirectory = root.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["Attest__DataDirectory"] = data, ["Attest__PolicyDirectory"] = policies },
        })!;
        try
        {
            var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null && Regex.Match(e.Data, "Now listening on: (http://[^\\s\"]+)") is { Success: true } m) listening.TrySetResult(new Uri(m.Groups[1].Value + "/"));
            };
            process.BeginOutputReadLine();
            var stderr = process.StandardError.ReadToEndAsync();
            var uri = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = uri };
            using var ready = await http.GetAsync("readyz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.True(File.Exists(Path.Combine(data, "ledger.db")));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }
}
