using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Attest.Testing;

/// <summary>
/// An OIDC issuer hosted by the test: an ECDSA P-256 signing key published as a JWKS file (what
/// <c>Attest:Keyless:Issuers:N:JwksFile</c> reads), and identity tokens signed with it, GitHub-Actions-shaped by default.
/// Also makes the tokens a hostile client would send (wrong algorithm, unknown key id, HMAC with the public key …).
/// </summary>
public sealed class TestOidcIssuer : IDisposable
{
    public const string KeyId = "test-key-1";
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestOidcIssuer(string issuer, string jwksFile)
    {
        Issuer = issuer;
        JwksFile = jwksFile;
        File.WriteAllText(jwksFile, new JsonObject { ["keys"] = new JsonArray(Jwk(_key, KeyId)) }.ToJsonString());
    }

    public string Issuer { get; }

    public string JwksFile { get; }

    /// <summary>The public key as a JWK (what the JWKS file holds).</summary>
    public static JsonObject Jwk(ECDsa key, string keyId)
    {
        var p = key.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["use"] = "sig", ["alg"] = "ES256", ["kid"] = keyId,
            ["x"] = Base64Url(p.Q.X!), ["y"] = Base64Url(p.Q.Y!),
        };
    }

    /// <summary>Claims of a GitHub Actions token for <c>repository</c>'s workflow <c>release.yml</c> at <c>gitRef</c>.</summary>
    public JsonObject GitHubClaims(string repository = "acme/payments", string gitRef = "refs/heads/main", string workflow = "release.yml")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var owner = repository.Split('/')[0];
        var workflowRef = $"{repository}/.github/workflows/{workflow}@{gitRef}";
        return new JsonObject
        {
            ["iss"] = Issuer, ["aud"] = "sigstore", ["iat"] = now, ["nbf"] = now, ["exp"] = now + 600,
            ["sub"] = $"repo:{repository}:ref:{gitRef}",
            ["repository"] = repository, ["repository_owner"] = owner, ["repository_id"] = "1001", ["repository_owner_id"] = "2002",
            ["repository_visibility"] = "private", ["ref"] = gitRef, ["sha"] = "5f1e3c0c8d0b4f3a9e8d7c6b5a493827160f1e2d",
            ["event_name"] = "push", ["workflow"] = "release", ["workflow_ref"] = workflowRef, ["workflow_sha"] = "5f1e3c0c8d0b4f3a9e8d7c6b5a493827160f1e2d",
            ["job_workflow_ref"] = workflowRef, ["job_workflow_sha"] = "5f1e3c0c8d0b4f3a9e8d7c6b5a493827160f1e2d",
            ["run_id"] = "4242", ["run_attempt"] = "1", ["runner_environment"] = "github-hosted",
        };
    }

    /// <summary>The certificate identity (SAN) Fulcio gives a GitHub workflow.</summary>
    public static string GitHubIdentity(string repository = "acme/payments", string gitRef = "refs/heads/main", string workflow = "release.yml") =>
        $"https://github.com/{repository}/.github/workflows/{workflow}@{gitRef}";

    /// <summary>An ES256 token with the issuer's key (or <paramref name="key"/>), header kid <paramref name="keyId"/>.</summary>
    public string Token(JsonObject claims, string? keyId = KeyId, ECDsa? key = null)
    {
        var header = new JsonObject { ["alg"] = "ES256", ["typ"] = "JWT" };
        if (keyId is not null) header["kid"] = keyId;
        var input = $"{Encode(header)}.{Encode(claims)}";
        var signature = (key ?? _key).SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{input}.{Base64Url(signature)}";
    }

    /// <summary>An unsigned token (<c>alg: none</c>).</summary>
    public static string UnsignedToken(JsonObject claims) =>
        $"{Encode(new JsonObject { ["alg"] = "none", ["typ"] = "JWT", ["kid"] = KeyId })}.{Encode(claims)}.";

    /// <summary>The algorithm-confusion attack: HS256 with the issuer's public key (its JWKS text) as the HMAC secret.</summary>
    public string HmacWithPublicKeyToken(JsonObject claims)
    {
        var input = $"{Encode(new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT", ["kid"] = KeyId })}.{Encode(claims)}";
        var secret = Encoding.UTF8.GetBytes(File.ReadAllText(JwksFile));
        return $"{input}.{Base64Url(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)))}";
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Encode(JsonNode node) => Base64Url(Encoding.UTF8.GetBytes(node.ToJsonString()));

    public void Dispose() => _key.Dispose();
}
