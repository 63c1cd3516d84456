using Attest.Testing;

namespace Attest.Cli.Tests;

/// <summary>What <c>attest sign</c>, <c>attest attest</c> and <c>attest verify</c> refuse before they ask any service:
/// exit 2 with one line on stderr. (Signing end to end: Attest.Server.Tests, CliSigningTests.)</summary>
public sealed class SignCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>No token, server or docker credentials from the machine running the tests.</summary>
    private Task<CliRunner.Result> RunAsync(IReadOnlyList<string> arguments, params (string Name, string Value)[] environment)
    {
        var variables = new Dictionary<string, string>
        {
            ["SIGSTORE_ID_TOKEN"] = "", ["ACTIONS_ID_TOKEN_REQUEST_URL"] = "", ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "", ["ATTEST_URL"] = "",
            ["DOCKER_CONFIG"] = _directory.Path,
        };
        foreach (var (name, value) in environment) variables[name] = value;
        return CliRunner.RunAsync(_directory.Path, arguments, variables);
    }

    private static void AssertUnusable(CliRunner.Result result, string contains)
    {
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("attest: ", line, StringComparison.Ordinal);
        Assert.Contains(contains, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_without_a_server_or_a_token_says_which_is_missing()
    {
        AssertUnusable(await RunAsync(["sign", "registry.attest.test/app:v1", "--push"]), "--server URL or set ATTEST_URL");
        AssertUnusable(await RunAsync(["sign", "registry.attest.test/app:v1", "--push"], ("ATTEST_URL", "https://attest.attest.test")), "no identity token");
    }

    [Fact]
    public async Task Tokens_and_secrets_never_go_over_plain_HTTP_to_another_host()
    {
        AssertUnusable(await RunAsync(["sign", "registry.attest.test/app:v1", "--push", "--server", "http://attest.attest.test"]), "plain HTTP");
        AssertUnusable(await RunAsync(["sign", "registry.attest.test/app:v1", "--push", "--server", "https://attest.attest.test"],
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "http://actions.attest.test/token"), ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token")), "plain HTTP");
    }

    [Fact]
    public async Task Unreachable_server_exits_2_with_one_line()
    {
        var file = Path.Combine(_directory.Path, "artifact.txt");
        await File.WriteAllTextAsync(file, "artifact");
        var token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2ln";
        AssertUnusable(await RunAsync(["sign", file, "--bundle", file + ".sigstore.json", "--server", $"http://127.0.0.1:{RigProcess.FreeLoopbackPort()}"],
            ("SIGSTORE_ID_TOKEN", token)), "cannot reach");
        Assert.False(File.Exists(file + ".sigstore.json"));
    }

    [Fact]
    public async Task Attest_verb_has_its_own_help_and_checks_its_type_before_anything_else()
    {
        var help = await RunAsync(["attest", "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--predicate", help.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--type", help.StandardOutput, StringComparison.Ordinal);
        var predicate = Path.Combine(_directory.Path, "predicate.json");
        await File.WriteAllTextAsync(predicate, "[1, 2]");
        AssertUnusable(await RunAsync(["attest", "registry.attest.test/app:v1", "--push", "--predicate", predicate, "--type", "tests"]), "not an absolute URI");
        AssertUnusable(await RunAsync(["attest", "registry.attest.test/app:v1", "--push", "--predicate", predicate, "--type", "https://attest.dev/test-results/v1"]),
            "not a JSON object");
    }

    [Fact]
    public async Task Verify_needs_exactly_one_of_policy_identity_or_key()
    {
        AssertUnusable(await RunAsync(["verify", "registry.attest.test/app:v1"]), "exactly one of");
        AssertUnusable(await RunAsync(["verify", "registry.attest.test/app:v1", "--policy", _directory.Path, "--key", "attest.pub"]), "exactly one of");
        AssertUnusable(await RunAsync(["verify", "registry.attest.test/app:v1", "--certificate-oidc-issuer", "https://ci.attest.test"]), "--certificate-identity");
        AssertUnusable(await RunAsync(["verify", "registry.attest.test/app:v1", "--certificate-identity", "x", "--certificate-oidc-issuer", "https://ci.attest.test",
            "--certificate-claim", "repository=acme/app"]), "NAME=VALUE");
    }
}
