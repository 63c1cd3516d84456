using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Testing;

namespace Attest.Server.Tests.Signing;

/// <summary>
/// A signing response a person can use as it is: <c>Accept: application/vnd.dev.sigstore.bundle.v0.3+json</c> gives the
/// bare bundle that <c>attest verify-bundle</c> and sigstore-js take; the whole JSON response, or a missing trusted
/// root, gets a hint saying what to do instead of a .NET type or a bare code; and the running ledger verifies with
/// <c>attest ledger verify --url … --token</c>.
/// </summary>
public sealed class UsableBundleTests(SigningServerFixture fixture) : IClassFixture<SigningServerFixture>
{
    private const string BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";

    private async Task<(string Artifact, string Digest)> ArtifactAsync(string name)
    {
        var path = fixture.Combine(name);
        await File.WriteAllTextAsync(path, "artifact " + name + " " + Guid.NewGuid());
        return (path, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))));
    }

    private async Task<HttpResponseMessage> SignAsync(string digest, string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Server.BaseUri, "v1/signatures"))
        {
            Content = new StringContent($$"""{"digest":"{{digest}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Token);
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        return await fixture.Server.Client.SendAsync(request);
    }

    [Fact]
    public async Task Accepting_the_bundle_media_type_returns_the_bare_bundle_that_attest_and_sigstore_js_verify()
    {
        var (artifact, digest) = await ArtifactAsync("bare.txt");
        using var response = await SignAsync(digest, BundleMediaType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(BundleMediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.True(long.TryParse(response.Headers.GetValues("Attest-Log-Index").Single(), out _));
        var bundle = fixture.Combine("bare.sigstore.json");
        await File.WriteAllBytesAsync(bundle, await response.Content.ReadAsByteArrayAsync());
        using (var document = JsonDocument.Parse(await File.ReadAllBytesAsync(bundle)))
            Assert.Equal(BundleMediaType, document.RootElement.GetProperty("mediaType").GetString());

        var attest = await CliRunner.RunAsync(fixture.Combine(), "verify-bundle", "--bundle", bundle, "--key", fixture.PublicKeyFile, "--trusted-root", fixture.TrustedRootFile, artifact);
        Assert.True(attest.ExitCode == 0, attest.StandardError);
        var (exit, output) = await SigstoreJs.VerifyAsync(bundle, fixture.TrustedRootFile, fixture.PublicKeyFile, artifact);
        Assert.True(exit == 0, output);

        // Without the header the response is the documented wrapper, as before.
        using var wrapped = await SignAsync(digest, null);
        Assert.Equal("application/json", wrapped.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(await wrapped.Content.ReadAsStringAsync()).RootElement.TryGetProperty("logIndex", out _));
    }

    [Fact]
    public async Task Verify_bundle_given_the_whole_response_or_no_trusted_root_says_what_to_do()
    {
        var (artifact, digest) = await ArtifactAsync("wrapped.txt");
        using var response = await SignAsync(digest, null);
        var whole = fixture.Combine("response.json");
        await File.WriteAllBytesAsync(whole, await response.Content.ReadAsByteArrayAsync());

        var wrong = await CliRunner.RunAsync(fixture.Combine(), "verify-bundle", "--bundle", whole, "--key", fixture.PublicKeyFile, "--trusted-root", fixture.TrustedRootFile, artifact);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("has an unknown field 'bundle' at $", wrong.StandardError, StringComparison.Ordinal);
        Assert.Contains("pass its \"bundle\" member (jq .bundle), or ask for Accept: application/vnd.dev.sigstore.bundle.v0.3+json", wrong.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(".NET", wrong.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Attest.Sigstore", wrong.StandardError, StringComparison.Ordinal);

        var bundle = fixture.Combine("wrapped.sigstore.json");
        await File.WriteAllTextAsync(bundle, JsonDocument.Parse(await File.ReadAllTextAsync(whole)).RootElement.GetProperty("bundle").GetRawText());
        var noRoot = await CliRunner.RunAsync(fixture.Combine(), "verify-bundle", "--bundle", bundle, "--key", fixture.PublicKeyFile, artifact);
        Assert.Equal(1, noRoot.ExitCode);
        Assert.Contains("tlog.unknown-log", noRoot.StandardError, StringComparison.Ordinal);
        Assert.Contains("hint: no --trusted-root was given", noRoot.StandardError, StringComparison.Ordinal);
        Assert.Contains("/v1/trusted-root", noRoot.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ledger_verify_url_needs_an_audit_token_and_verifies_the_running_ledger_with_token()
    {
        var (_, digest) = await ArtifactAsync("ledger.txt");
        using (var signed = await SignAsync(digest, null)) Assert.Equal(HttpStatusCode.Created, signed.StatusCode);
        var audit = await fixture.Server.TokenForScopesAsync(fixture.DataDirectory, "audit");
        using var checkpoint = await fixture.Server.SendAsync(HttpMethod.Get, "v1/ledger/checkpoint", audit);
        var vkey = JsonDocument.Parse(await checkpoint.Content.ReadAsStringAsync()).RootElement.GetProperty("verifierKeys")[0].GetString()!;
        var log = new Uri(fixture.Server.BaseUri, "v1/ledger/log/").ToString();

        var refused = await CliRunner.RunAsync(fixture.Combine(), "ledger", "verify", "--url", log, "--vkey", vkey);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("401", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains("--token", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains("ATTEST_TOKEN", refused.StandardError, StringComparison.Ordinal);

        var withOption = await CliRunner.RunAsync(fixture.Combine(), "ledger", "verify", "--url", log, "--vkey", vkey, "--token", audit);
        Assert.True(withOption.ExitCode == 0, withOption.StandardError);
        Assert.Contains("verified through size", withOption.StandardOutput, StringComparison.Ordinal);
        var withVariable = await CliRunner.RunAsync(fixture.Combine(), ["ledger", "verify", "--url", log, "--vkey", vkey], new Dictionary<string, string> { ["ATTEST_TOKEN"] = audit });
        Assert.True(withVariable.ExitCode == 0, withVariable.StandardError);
    }
}
