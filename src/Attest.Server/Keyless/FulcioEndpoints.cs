using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Attest.Core;
using Attest.Core.X509;
using Attest.Ledger;
using Attest.Server.Api;
using Attest.Server.Auth;
using Attest.Server.Hosting;
using Attest.Server.Identity;
using Attest.Sigstore.Keyless;
using CorePublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Server.Keyless;

/// <summary>
/// Fulcio's v2 API: <c>POST /api/v2/signingCert</c> certifies a public key for the CI identity of an OIDC token (the
/// proof of possession is the key's signature over the token's subject), <c>GET /api/v2/trustBundle</c> and
/// <c>GET /api/v2/configuration</c>. Authenticated by the token itself, not by Attest's OAuth2.
/// </summary>
public static class FulcioEndpoints
{
    private const int MaxRequestBytes = 64 * 1024;
    private const int MaxKeyBytes = 8 * 1024;

    public static void MapFulcioEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v2").WithTags("keyless").RequireRateLimiting(AuthSetup.ApiRateLimit);
        api.MapPost("/signingCert", CreateSigningCertificateAsync)
            .WithName("CreateSigningCertificate").AllowAnonymous()
            .Accepts<SigningCertificateRequest>("application/json")
            .Produces<SigningCertificateResponse>(StatusCodes.Status200OK)
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/trustBundle", (KeylessAuthorities authorities) => Results.Json(
                new TrustBundle([new CertificateChain(authorities.Ca.ChainPem)]), KeylessJsonContext.Default.TrustBundle))
            .WithName("GetTrustBundle").AllowAnonymous()
            .Produces<TrustBundle>(StatusCodes.Status200OK);
        api.MapGet("/configuration", (OidcTokenValidator validator) => Results.Json(new FulcioConfiguration([.. validator.Issuers.Select(i =>
                new FulcioIssuer(i.Issuer!, i.Audience, i.IdentityType == IdentityType.Email ? "email" : "sub"))]), KeylessJsonContext.Default.FulcioConfiguration))
            .WithName("GetFulcioConfiguration").AllowAnonymous()
            .Produces<FulcioConfiguration>(StatusCodes.Status200OK);
    }

    private static async Task<IResult> CreateSigningCertificateAsync(HttpContext context, OidcTokenValidator validator, KeylessAuthorities authorities, AuditLedger ledger)
    {
        if (!validator.HasIssuers)
            return ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "keyless signing is not configured", "no OIDC issuer is configured (Attest:Keyless:Issuers)");
        var (request, problem) = await JsonBody.ReadAsync(context.Request, KeylessJsonContext.Default.SigningCertificateRequest, MaxRequestBytes).ConfigureAwait(false);
        if (request is null) return problem!;

        // The token: in the body as Fulcio v2 takes it, or as a bearer token (Fulcio's legacy form).
        var token = request.Credentials?.OidcIdentityToken;
        if (token is null && context.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            token = header["Bearer ".Length..].Trim();
        var (ci, rejection) = await validator.ValidateAsync(token, context.RequestAborted).ConfigureAwait(false);
        if (ci is null) return Unauthorized(rejection!);
        if (!FulcioIdentityMapper.TryMap(ci.Type, ci.Issuer, ci.Claims, ci.Configuration.BaseUrl,
                ci.Configuration.SubjectDomain is { } domain ? new Uri(domain) : null, out var identity, out var mappingError))
            return Unauthorized(new TokenRejection("token.claims", mappingError));
        Telemetry.AttestInstruments.IdentityToken(accepted: true);

        var (key, keyProblem) = ReadKey(request, identity);
        if (key is null) return Invalid(keyProblem!);

        IssuedCertificate issued;
        try
        {
            issued = await authorities.Ca.IssueAsync(key, identity, (precertificate, serial, cancellationToken) =>
                ledger.AppendAsync(IssuedEntry(identity, precertificate, serial, authorities.Ca.Lifetime), cancellationToken), context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            return ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "the CA cannot issue", e.Message);
        }
        var chain = new List<string> { PemEncoding.WriteString("CERTIFICATE", issued.Leaf) };
        chain.AddRange(authorities.Ca.ChainPem);
        Telemetry.AttestInstruments.Signed("certificate");
        return Results.Json(new SigningCertificateResponse(new SignedCertificate(new CertificateChain(chain)), null), KeylessJsonContext.Default.SigningCertificateResponse);
    }

    /// <summary>The key to certify, from a public key with a proof of possession or from a CSR (whose signature is the proof).</summary>
    private static (PublicKey? Key, string? Problem) ReadKey(SigningCertificateRequest request, FulcioIdentity identity)
    {
        if ((request.PublicKeyRequest is null) == (request.CertificateSigningRequest is null))
            return (null, "give exactly one of publicKeyRequest (publicKey and proofOfPossession) or certificateSigningRequest");
        byte[] spki;
        if (request.CertificateSigningRequest is { } csrText)
        {
            if (csrText.Length > MaxKeyBytes * 2 || !Base64Any.TryDecode(csrText, out var csrBytes)) return (null, "certificateSigningRequest must be the base64 of a PEM (or DER) CSR");
            try
            {
                var pem = Encoding.ASCII.GetString(csrBytes);
                var csr = pem.Contains("-----BEGIN", StringComparison.Ordinal)
                    ? CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default)
                    : CertificateRequest.LoadSigningRequest(csrBytes, HashAlgorithmName.SHA256, out _, CertificateRequestLoadOptions.Default);
                spki = csr.PublicKey.ExportSubjectPublicKeyInfo();
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                return (null, $"certificateSigningRequest is not a CSR whose signature verifies ({e.Message})");
            }
            if (!CorePublicKey.TryParseSubjectPublicKeyInfo(spki, out var csrParsed, out var csrError)) return (null, $"the key cannot be read ({csrError})");
            return Usable(csrParsed, out var problem) is { } csrKey ? (csrKey, null) : (null, problem);
        }

        var keyRequest = request.PublicKeyRequest!;
        var content = keyRequest.PublicKey?.Content;
        if (content is null || content.Length > MaxKeyBytes) return (null, "publicKeyRequest.publicKey.content must be a PEM (or base64 DER) public key");
        if (!CorePublicKey.TryParse(Encoding.UTF8.GetBytes(content), out var parsed, out var keyError)
            && !(Base64Any.TryDecode(content, out var der) && CorePublicKey.TryParseSubjectPublicKeyInfo(der, out parsed, out keyError)))
            return (null, $"publicKeyRequest.publicKey.content is not a public key ({keyError})");
        if (keyRequest.ProofOfPossession is not { Length: > 0 and <= 2048 } popText || !Base64Any.TryDecode(popText, out var proof))
            return (null, "publicKeyRequest.proofOfPossession must be the base64 signature over the token's subject");
        // Fulcio checks a signature over the principal's name (the e-mail address, else sub); sigstore-js signs the
        // verified e-mail when the token has one, else sub. Either proves possession for this token.
        var proven = identity.Challenges.Any(challenge =>
        {
            var data = Encoding.UTF8.GetBytes(challenge);
            // Fulcio verifies ECDSA proofs over SHA-256 whatever the curve; the curve's own hash is accepted too.
            return parsed.VerifyData(data, proof, parsed.DefaultScheme)
                   || (parsed.Algorithm is Attest.Core.Crypto.KeyAlgorithm.EcdsaP384 or Attest.Core.Crypto.KeyAlgorithm.EcdsaP521
                       && parsed.VerifyData(data, proof, Attest.Core.Crypto.SignatureScheme.EcdsaSha256));
        });
        if (!proven) return (null, "publicKeyRequest.proofOfPossession does not verify with the public key over the token's subject (sub, or the verified email)");
        return Usable(parsed, out var unusable) is { } key ? (key, null) : (null, unusable);
    }

    /// <summary>Keys Attest certifies: ECDSA P-256/P-384/P-521 and RSA of 2048 to 4096 bits.</summary>
    private static PublicKey? Usable(CorePublicKey key, out string? problem)
    {
        var spki = key.SubjectPublicKeyInfo.ToArray();
        var size = 0;
        if (key.Algorithm == Attest.Core.Crypto.KeyAlgorithm.Rsa)
        {
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(spki, out _);
            size = rsa.KeySize;
        }
        var usable = key.Algorithm switch
        {
            Attest.Core.Crypto.KeyAlgorithm.EcdsaP256 or Attest.Core.Crypto.KeyAlgorithm.EcdsaP384 or Attest.Core.Crypto.KeyAlgorithm.EcdsaP521 => true,
            Attest.Core.Crypto.KeyAlgorithm.Rsa => size is >= 2048 and <= 4096,
            _ => false,
        };
        if (!usable) { problem = $"keys of type {key.Algorithm}{(size > 0 ? $" ({size} bits)" : "")} are not certified (ECDSA P-256, P-384, P-521 or RSA 2048-4096)"; return null; }
        problem = null;
        return PublicKey.CreateFromSubjectPublicKeyInfo(spki, out _);
    }

    /// <summary>The ledger's record of an issued certificate: the precertificate, and who it certifies.</summary>
    private static LedgerEntry IssuedEntry(FulcioIdentity identity, byte[] precertificate, string serial, TimeSpan lifetime)
    {
        var claims = new JsonObject();
        foreach (var (arc, value) in identity.Extensions)
            if (arc is not (1 or 8)) claims[CamelCase(FulcioExtensions.NameOf(arc))] = value;
        var details = new JsonObject
        {
            ["issuer"] = identity.Issuer,
            ["subject"] = identity.Subject,
            ["serialNumber"] = serial,
            ["lifetimeSeconds"] = (long)lifetime.TotalSeconds,
            ["claims"] = claims,
            ["precertificate"] = Convert.ToBase64String(precertificate),
        };
        return new LedgerEntry
        {
            Kind = LedgerEntryKinds.CertificateIssued,
            Identity = identity.Subject,
            Digest = Digest.Sha256(precertificate).ToString(),
            Details = LedgerEntry.DetailsFrom(details),
        };
    }

    /// <summary><c>SourceRepositoryURI</c> → <c>sourceRepositoryURI</c>, the names policies use.</summary>
    internal static string CamelCase(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private static IResult Unauthorized(TokenRejection rejection)
    {
        Telemetry.AttestInstruments.IdentityToken(accepted: false, rejection.Code);
        return TypedResults.Problem(detail: rejection.Detail, statusCode: StatusCodes.Status401Unauthorized, title: "the identity token is not accepted",
            extensions: new Dictionary<string, object?> { ["code"] = rejection.Code });
    }

    private static IResult Invalid(string detail) => ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid certificate request", detail);
}

public sealed record FulcioCredentials(string? OidcIdentityToken);

public sealed record FulcioPublicKey(string? Algorithm, string? Content);

public sealed record FulcioPublicKeyRequest(FulcioPublicKey? PublicKey, string? ProofOfPossession);

/// <summary>Fulcio v2 <c>CreateSigningCertificateRequest</c> (protobuf JSON).</summary>
public sealed record SigningCertificateRequest(FulcioCredentials? Credentials, FulcioPublicKeyRequest? PublicKeyRequest, string? CertificateSigningRequest);

public sealed record CertificateChain(IReadOnlyList<string> Certificates);

public sealed record SignedCertificate(CertificateChain Chain);

/// <summary>Fulcio v2 <c>SigningCertificate</c>: the chain (leaf first, PEM) with the SCT embedded in the leaf.</summary>
public sealed record SigningCertificateResponse(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SignedCertificate? SignedCertificateEmbeddedSct,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SignedCertificate? SignedCertificateDetachedSct);

public sealed record TrustBundle(IReadOnlyList<CertificateChain> Chains);

public sealed record FulcioIssuer(string IssuerUrl, string Audience, string ChallengeClaim);

public sealed record FulcioConfiguration(IReadOnlyList<FulcioIssuer> Issuers);

[JsonSerializable(typeof(SigningCertificateRequest))]
[JsonSerializable(typeof(SigningCertificateResponse))]
[JsonSerializable(typeof(TrustBundle))]
[JsonSerializable(typeof(FulcioConfiguration))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
internal sealed partial class KeylessJsonContext : JsonSerializerContext;
