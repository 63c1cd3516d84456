using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Testing;

namespace Attest.Server.Tests.Keyless;

/// <summary>The Fulcio, Rekor and TSA endpoints with hostile and malformed input: precise refusals, nothing logged.</summary>
public sealed class KeylessApiTests(KeylessServerFixture fixture) : IClassFixture<KeylessServerFixture>
{
    [Fact]
    public async Task SigningCert_issues_a_ten_minute_code_signing_certificate_with_the_github_claims_and_records_it()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = fixture.GitHub.GitHubClaims();
        var (status, body, _) = await fixture.PostJsonAsync("api/v2/signingCert", KeylessServerFixture.SigningCertificateRequest(fixture.GitHub.Token(claims), key, claims["sub"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, status);
        var chain = body.GetProperty("signedCertificateEmbeddedSct").GetProperty("chain").GetProperty("certificates");
        Assert.Equal(3, chain.GetArrayLength()); // leaf, intermediate, root
        using var leaf = X509Certificate2.CreateFromPem(chain[0].GetString());
        Assert.Equal(TimeSpan.FromMinutes(10), leaf.NotAfter - leaf.NotBefore);
        Assert.Contains(leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.3");
        var extensions = Attest.Core.X509.FulcioExtensions.Read(leaf);
        Assert.Equal(KeylessServerFixture.GitHubIssuer, extensions.Issuer);
        Assert.Equal("https://github.com/acme/payments", extensions.Get(12)); // SourceRepositoryURI
        Assert.Equal("refs/heads/main", extensions.Get(14)); // SourceRepositoryRef
        Assert.Equal(TestOidcIssuer.GitHubIdentity(), extensions.Get(9)); // BuildSignerURI
        Assert.Equal("https://github.com/acme/payments/actions/runs/4242/attempts/1", extensions.Get(21));
        Assert.NotNull(leaf.Extensions["1.3.6.1.4.1.11129.2.4.2"]); // the embedded SCT

        // The precertificate is in the ledger under the identity.
        var token = await fixture.Server.TokenForScopesAsync(fixture.DataDirectory, "audit");
        using var entries = await fixture.Server.SendAsync(HttpMethod.Get, $"v1/ledger/entries?kind=certificate.issued&identity={Uri.EscapeDataString(TestOidcIssuer.GitHubIdentity())}", token);
        using var document = JsonDocument.Parse(await entries.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
        var recorded = document.RootElement.GetProperty("entries").EnumerateArray()
            .Single(e => e.GetProperty("details").GetProperty("serialNumber").GetString() == leaf.SerialNumber.ToLowerInvariant());
        Assert.Equal(TestOidcIssuer.GitHubIdentity(), recorded.GetProperty("identity").GetString());
        Assert.Equal("https://github.com/acme/payments", recorded.GetProperty("details").GetProperty("claims").GetProperty("sourceRepositoryURI").GetString());
        var precertificate = Convert.FromBase64String(recorded.GetProperty("details").GetProperty("precertificate").GetString()!);
        Assert.Contains("1.3.6.1.4.1.11129.2.4.3", X509CertificateLoader.LoadCertificate(precertificate).Extensions.Cast<X509Extension>().Select(e => e.Oid!.Value)); // poison
    }

    [Fact]
    public async Task SigningCert_certifies_an_email_identity_and_a_csr()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject { ["iss"] = KeylessServerFixture.EmailIssuer, ["aud"] = "sigstore", ["sub"] = "u-123", ["email"] = "dev@acme.test", ["email_verified"] = true, ["iat"] = now, ["exp"] = now + 300 };
        var csr = new CertificateRequest("CN=ignored", key, HashAlgorithmName.SHA384).CreateSigningRequestPem();
        var request = new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidcIdentityToken"] = fixture.Email.Token(claims) },
            ["certificateSigningRequest"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(csr)),
        };
        var (status, body, _) = await fixture.PostJsonAsync("api/v2/signingCert", request.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        using var leaf = X509Certificate2.CreateFromPem(body.GetProperty("signedCertificateEmbeddedSct").GetProperty("chain").GetProperty("certificates")[0].GetString());
        Assert.Equal("dev@acme.test", leaf.GetNameInfo(X509NameType.EmailName, false));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());
    }

    public static TheoryData<string, string> BadTokens() => new()
    {
        { "wrong-issuer", "token.issuer" },
        { "wrong-audience", "token.audience" },
        { "alg-none", "token.algorithm" },
        { "hs256-with-public-key", "token.algorithm" },
        { "unknown-key-id", "token.key-unknown" },
        { "other-key", "token.signature" },
        { "expired", "token.expired" },
        { "not-yet-valid", "token.not-yet-valid" },
        { "issued-in-future", "token.not-yet-valid" },
        { "no-expiry", "token.expiry" },
        { "malformed", "token.malformed" },
        { "oversized", "token.too-large" },
        { "missing-claim", "token.claims" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task SigningCert_refuses_a_bad_identity_token_with_a_precise_401(string kind, string code)
    {
        var issuer = fixture.GitHub;
        var claims = issuer.GitHubClaims();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = kind switch
        {
            "wrong-issuer" => issuer.Token(With(claims, "iss", "https://evil.example")),
            "wrong-audience" => issuer.Token(With(claims, "aud", "someone-else")),
            "alg-none" => TestOidcIssuer.UnsignedToken(claims),
            "hs256-with-public-key" => issuer.HmacWithPublicKeyToken(claims),
            "unknown-key-id" => issuer.Token(claims, keyId: "not-published"),
            "other-key" => issuer.Token(claims, key: otherKey),
            "expired" => issuer.Token(With(With(claims, "exp", now - 3600), "iat", now - 7200)),
            "not-yet-valid" => issuer.Token(With(claims, "nbf", now + 3600)),
            "issued-in-future" => issuer.Token(With(claims, "iat", now + 3600)),
            "no-expiry" => issuer.Token(Without(claims, "exp")),
            "malformed" => "not.a-token",
            "oversized" => issuer.Token(With(claims, "padding", new string('x', 20_000))),
            _ => issuer.Token(Without(claims, "job_workflow_ref")),
        };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var before = await fixture.LedgerSizeAsync();
        var (status, body, _) = await fixture.PostJsonAsync("api/v2/signingCert", KeylessServerFixture.SigningCertificateRequest(token, key, claims["sub"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("detail").GetString()));
        Assert.Equal(before, await fixture.LedgerSizeAsync());
    }

    [Theory]
    [InlineData("over-another-claim")]
    [InlineData("by-another-key")]
    public async Task SigningCert_refuses_a_proof_of_possession_that_does_not_match_with_400(string kind)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = fixture.GitHub.GitHubClaims();
        var request = kind == "over-another-claim"
            ? KeylessServerFixture.SigningCertificateRequest(fixture.GitHub.Token(claims), key, claims["iss"]!.GetValue<string>())
            : KeylessServerFixture.SigningCertificateRequest(fixture.GitHub.Token(claims), key, claims["sub"]!.GetValue<string>(), signer: other);
        var (status, body, _) = await fixture.PostJsonAsync("api/v2/signingCert", request);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("proofOfPossession", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task SigningCert_refuses_keys_of_unsupported_types_and_malformed_requests()
    {
        var claims = fixture.GitHub.GitHubClaims();
        var token = fixture.GitHub.Token(claims);
        // secp256k1: a curve Attest does not certify.
        using var k1 = ECDsa.Create(ECCurve.CreateFromFriendlyName("secP256k1"));
        var (status, body, _) = await fixture.PostJsonAsync("api/v2/signingCert", KeylessServerFixture.SigningCertificateRequest(token, k1, claims["sub"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not", body.GetProperty("detail").GetString());

        (status, _, _) = await fixture.PostJsonAsync("api/v2/signingCert", "{\"credentials\":{\"oidcIdentityToken\":\"" + token + "\"},\"publicKeyRequest\":{\"publicKey\":{\"content\":\"not a key\"},\"proofOfPossession\":\"AA==\"}}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _, _) = await fixture.PostJsonAsync("api/v2/signingCert", "{\"credentials\":{\"oidcIdentityToken\":\"" + token + "\"},\"certificateSigningRequest\":\"" + Convert.ToBase64String(new byte[300]) + "\"}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _, _) = await fixture.PostJsonAsync("api/v2/signingCert", "{\"unexpected\":1}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _, _) = await fixture.PostJsonAsync("api/v2/signingCert", "{\"credentials\":" + new string('[', 5000));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _, _) = await fixture.PostJsonAsync("api/v2/signingCert", "{\"x\":\"" + new string('a', 100_000) + "\"}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
    }

    [Fact]
    public async Task Rekor_refuses_an_entry_whose_signature_does_not_verify_and_appends_nothing()
    {
        var (certificatePem, key) = await fixture.IssueCertificateAsync();
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("artifact " + Guid.NewGuid()));
        var signature = key.SignHash(SHA256.HashData(Encoding.UTF8.GetBytes("something else")), DSASignatureFormat.Rfc3279DerSequence);
        var before = await fixture.LedgerSizeAsync();
        var (status, body, _) = await fixture.PostJsonAsync("api/v1/log/entries", HashedRekord(digest, signature, certificatePem));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("does not verify", body.GetProperty("detail").GetString());
        Assert.Equal(400, body.GetProperty("code").GetInt32());
        Assert.Equal(before, await fixture.LedgerSizeAsync());
        key.Dispose();
    }

    [Fact]
    public async Task Rekor_logs_an_entry_once_answers_a_duplicate_with_409_and_Location_and_serves_it_by_uuid_index_and_search()
    {
        var (certificatePem, key) = await fixture.IssueCertificateAsync();
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("artifact " + Guid.NewGuid()));
        var entry = HashedRekord(digest, key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence), certificatePem);
        key.Dispose();
        var (status, body, response) = await fixture.PostJsonAsync("api/v1/log/entries", entry);
        Assert.Equal(HttpStatusCode.Created, status);
        var uuid = body.EnumerateObject().Single().Name;
        Assert.Equal($"/api/v1/log/entries/{uuid}", response.Headers.Location!.ToString());
        var logged = body.GetProperty(uuid);
        var leaf = Attest.Core.Transparency.MerkleHash.Leaf(Convert.FromBase64String(logged.GetProperty("body").GetString()!));
        Assert.Equal(uuid, Convert.ToHexStringLower(leaf)); // Rekor's UUID is the leaf hash
        Assert.True(logged.GetProperty("verification").GetProperty("inclusionProof").GetProperty("treeSize").GetInt64() > logged.GetProperty("logIndex").GetInt64());

        (status, body, response) = await fixture.PostJsonAsync("api/v1/log/entries", entry);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal($"/api/v1/log/entries/{uuid}", response.Headers.Location!.ToString());
        Assert.Equal(409, body.GetProperty("code").GetInt32());

        using var byUuid = JsonDocument.Parse(await fixture.Server.Client.GetStringAsync($"api/v1/log/entries/{uuid}"));
        Assert.Equal(logged.GetProperty("body").GetString(), byUuid.RootElement.GetProperty(uuid).GetProperty("body").GetString());
        using var byIndex = JsonDocument.Parse(await fixture.Server.Client.GetStringAsync($"api/v1/log/entries?logIndex={logged.GetProperty("logIndex").GetInt64()}"));
        Assert.True(byIndex.RootElement.TryGetProperty(uuid, out _));
        var (_, retrieved, _) = await fixture.PostJsonAsync("api/v1/log/entries/retrieve", $"{{\"entryUUIDs\":[\"{uuid}\"],\"entries\":[{entry}]}}");
        Assert.Equal(2, retrieved.GetArrayLength());
        var (_, byHash, _) = await fixture.PostJsonAsync("api/v1/index/retrieve", $"{{\"hash\":\"sha256:{Convert.ToHexStringLower(digest)}\"}}");
        Assert.Equal(uuid, byHash.EnumerateArray().Single().GetString());
        var (_, byIdentity, _) = await fixture.PostJsonAsync("api/v1/index/retrieve", $"{{\"email\":\"{TestOidcIssuer.GitHubIdentity()}\",\"hash\":\"{Convert.ToHexStringLower(digest)}\",\"operator\":\"and\"}}");
        Assert.Equal(uuid, byIdentity.EnumerateArray().Single().GetString());

        using var missing = await fixture.Server.Client.GetAsync($"api/v1/log/entries/{new string('0', 64)}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var invalid = await fixture.Server.Client.GetAsync("api/v1/log/entries/xyz");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task Rekor_refuses_entries_signed_by_keys_Attest_does_not_know_and_malformed_entries()
    {
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("artifact " + Guid.NewGuid()));
        var before = await fixture.LedgerSizeAsync();
        var (status, body, _) = await fixture.PostJsonAsync("api/v1/log/entries",
            HashedRekord(digest, stranger.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence), stranger.ExportSubjectPublicKeyInfoPem()));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("managed or registered keys", body.GetProperty("detail").GetString());
        foreach (var bad in new[]
                 {
                     "{}", "[]", "{\"kind\":\"rekord\",\"apiVersion\":\"0.0.1\",\"spec\":{}}",
                     "{\"kind\":\"hashedrekord\",\"apiVersion\":\"0.0.1\",\"spec\":{\"data\":{\"hash\":{\"algorithm\":\"sha256\",\"value\":\"zz\"}}}}",
                     "{\"kind\":\"dsse\",\"apiVersion\":\"0.0.1\",\"spec\":{\"proposedContent\":{\"envelope\":\"{}\",\"verifiers\":[]}}}",
                     "{\"kind\":\"intoto\",\"apiVersion\":\"0.0.2\",\"spec\":{\"content\":{}}}",
                     new string('{', 10_000),
                 })
        {
            (status, _, _) = await fixture.PostJsonAsync("api/v1/log/entries", bad);
            Assert.Equal(HttpStatusCode.BadRequest, status);
        }
        (status, _, _) = await fixture.PostJsonAsync("api/v1/log/entries", "{\"x\":\"" + new string('a', 5 * 1024 * 1024) + "\"}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(before, await fixture.LedgerSizeAsync());
    }

    [Fact]
    public async Task Timestamp_answers_a_der_query_that_dotnet_verifies_and_refuses_malformed_requests()
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("signature bytes"));
        var query = System.Security.Cryptography.Pkcs.Rfc3161TimestampRequest.CreateFromHash(hash, HashAlgorithmName.SHA256, nonce: new byte[] { 1, 2, 3, 4 }, requestSignerCertificates: true);
        using var content = new ByteArrayContent(query.Encode());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/timestamp-query");
        using var response = await fixture.Server.Client.PostAsync("api/v1/timestamp", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/timestamp-reply", response.Content.Headers.ContentType!.MediaType);
        var token = query.ProcessResponse(await response.Content.ReadAsByteArrayAsync(), out _);
        Assert.True(token.VerifySignatureForHash(hash, HashAlgorithmName.SHA256, out var signer, []));
        Assert.Contains(signer!.Extensions.OfType<X509EnhancedKeyUsageExtension>(), e => e.Critical && e.EnhancedKeyUsages[0].Value == "1.3.6.1.5.5.7.3.8");

        var chain = await fixture.Server.Client.GetStringAsync("api/v1/timestamp/certchain");
        Assert.Equal(2, chain.Split("BEGIN CERTIFICATE").Length - 1);
        Assert.Equal(signer.RawData, X509Certificate2.CreateFromPem(chain).RawData);

        using var garbage = new ByteArrayContent(new byte[] { 0x30, 0x03, 0x02, 0x01 });
        garbage.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/timestamp-query");
        using (var refused = await fixture.Server.Client.PostAsync("api/v1/timestamp", garbage)) Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var (status, _, _) = await fixture.PostJsonAsync("api/v1/timestamp", "{\"artifactHash\":\"AAAA\",\"hashAlgorithm\":\"sha256\"}");
        Assert.Equal(HttpStatusCode.BadRequest, status); // a 3-byte imprint is not a SHA-256
        (status, _, _) = await fixture.PostJsonAsync("api/v1/timestamp", "{\"artifactHash\":\"" + Convert.ToBase64String(hash) + "\",\"hashAlgorithm\":\"md5\"}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task Trusted_root_and_signing_config_are_served_without_a_token_and_name_every_service()
    {
        using var root = JsonDocument.Parse(await fixture.Server.Client.GetStringAsync("v1/trusted-root"));
        foreach (var list in new[] { "tlogs", "certificateAuthorities", "ctlogs", "timestampAuthorities" })
            Assert.Single(root.RootElement.GetProperty(list).EnumerateArray());
        using var config = JsonDocument.Parse(await fixture.Server.Client.GetStringAsync("v1/signing-config"));
        Assert.Equal("application/vnd.dev.sigstore.signingconfig.v0.2+json", config.RootElement.GetProperty("mediaType").GetString());
        var baseUrl = fixture.Server.BaseUri.ToString().TrimEnd('/');
        Assert.Equal(baseUrl, config.RootElement.GetProperty("caUrls")[0].GetProperty("url").GetString());
        Assert.Equal(baseUrl + "/api/v1/timestamp", config.RootElement.GetProperty("tsaUrls")[0].GetProperty("url").GetString());
        // This server lists its log's Rekor v2 API too (Attest:Keyless:SigningConfigRekorV2), before v1.
        Assert.Equal([2, 1], config.RootElement.GetProperty("rekorTlogUrls").EnumerateArray().Select(l => l.GetProperty("majorApiVersion").GetInt32()));
        using var bundle = JsonDocument.Parse(await fixture.Server.Client.GetStringAsync("api/v2/trustBundle"));
        Assert.Equal(2, bundle.RootElement.GetProperty("chains")[0].GetProperty("certificates").GetArrayLength());
        using var configuration = JsonDocument.Parse(await fixture.Server.Client.GetStringAsync("api/v2/configuration"));
        Assert.Contains(configuration.RootElement.GetProperty("issuers").EnumerateArray(), i => i.GetProperty("issuerUrl").GetString() == KeylessServerFixture.EmailIssuer && i.GetProperty("challengeClaim").GetString() == "email");
    }

    private static string HashedRekord(byte[] digest, byte[] signature, string verifierPem) => new JsonObject
    {
        ["apiVersion"] = "0.0.1",
        ["kind"] = "hashedrekord",
        ["spec"] = new JsonObject
        {
            ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) } },
            ["signature"] = new JsonObject
            {
                ["content"] = Convert.ToBase64String(signature),
                ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(verifierPem)) },
            },
        },
    }.ToJsonString();

    private static JsonObject With(JsonObject claims, string name, JsonNode? value)
    {
        var copy = (JsonObject)claims.DeepClone();
        copy[name] = value;
        return copy;
    }

    private static JsonObject Without(JsonObject claims, string name)
    {
        var copy = (JsonObject)claims.DeepClone();
        copy.Remove(name);
        return copy;
    }
}
