using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Server.Tests.Hosting;
using Attest.Testing;

namespace Attest.Server.Tests.Keyless;

/// <summary>A server configured with two test OIDC issuers (a GitHub-workflow one and an e-mail one, key sets by file),
/// and its public trusted root saved as a CI job would keep it.</summary>
public sealed class KeylessServerFixture : IAsyncLifetime
{
    public const string GitHubIssuer = "https://ci.attest.test";
    public const string EmailIssuer = "https://accounts.attest.test";

    private readonly ServerWorkspace _workspace = new();

    public ServerProcess Server { get; private set; } = null!;

    public TestOidcIssuer GitHub { get; private set; } = null!;

    public TestOidcIssuer Email { get; private set; } = null!;

    public string TrustedRootFile => _workspace.Combine("trusted_root.json");

    public string DataDirectory => _workspace.DataDirectory;

    public string Combine(params string[] parts) => _workspace.Combine(parts);

    public async Task InitializeAsync()
    {
        GitHub = new TestOidcIssuer(GitHubIssuer, _workspace.Combine("github-jwks.json"));
        Email = new TestOidcIssuer(EmailIssuer, _workspace.Combine("email-jwks.json"));
        Server = await _workspace.Start(
            $"--Attest:Keyless:Issuers:0:Issuer={GitHubIssuer}", "--Attest:Keyless:Issuers:0:Type=github-workflow",
            $"--Attest:Keyless:Issuers:0:JwksFile={GitHub.JwksFile}",
            $"--Attest:Keyless:Issuers:1:Issuer={EmailIssuer}", "--Attest:Keyless:Issuers:1:Type=email",
            $"--Attest:Keyless:Issuers:1:JwksFile={Email.JwksFile}", "--Attest:Keyless:SigningConfigRekorV2=true").WaitUntilListeningAsync();
        using var root = await Server.Client.GetAsync("v1/trusted-root");
        await File.WriteAllBytesAsync(TrustedRootFile, await root.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync());
    }

    /// <summary>Writes a token to a file (as a CI job's SIGSTORE_ID_TOKEN would be) and returns the path.</summary>
    public string TokenFile(string token)
    {
        var path = _workspace.Combine($"token-{Guid.NewGuid():N}");
        File.WriteAllText(path, token);
        return path;
    }

    public async Task<(System.Net.HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostJsonAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        var response = await Server.Client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    /// <summary>A certificate for a fresh key under the GitHub identity, through the Fulcio API.</summary>
    public async Task<(string Pem, ECDsa Key)> IssueCertificateAsync()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = GitHub.GitHubClaims();
        var (status, body, _) = await PostJsonAsync("api/v2/signingCert", SigningCertificateRequest(GitHub.Token(claims), key, claims["sub"]!.GetValue<string>()));
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        return (body.GetProperty("signedCertificateEmbeddedSct").GetProperty("chain").GetProperty("certificates")[0].GetString()!, key);
    }

    /// <summary>Fulcio's <c>CreateSigningCertificateRequest</c> for <paramref name="key"/>, its proof of possession signed by
    /// <paramref name="signer"/> (default: the key itself) over <paramref name="challenge"/>.</summary>
    public static string SigningCertificateRequest(string token, ECDsa key, string challenge, ECDsa? signer = null) => new JsonObject
    {
        ["credentials"] = new JsonObject { ["oidcIdentityToken"] = token },
        ["publicKeyRequest"] = new JsonObject
        {
            ["publicKey"] = new JsonObject { ["algorithm"] = "ECDSA", ["content"] = key.ExportSubjectPublicKeyInfoPem() },
            ["proofOfPossession"] = Convert.ToBase64String((signer ?? key).SignData(Encoding.UTF8.GetBytes(challenge), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
        },
    }.ToJsonString();

    public async Task<long> LedgerSizeAsync()
    {
        using var log = await Server.Client.GetAsync("api/v1/log");
        using var document = JsonDocument.Parse(await log.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("treeSize").GetInt64();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        GitHub.Dispose();
        Email.Dispose();
        _workspace.Dispose();
    }
}
