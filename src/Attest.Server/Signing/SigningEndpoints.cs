using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Attest.Core;
using Attest.Server.Api;
using Attest.Server.Auth;
using Attest.Sigstore.Signing;

namespace Attest.Server.Signing;

/// <summary>
/// The CI signing API: <c>POST /v1/signatures</c> (scope sign), <c>POST /v1/attestations</c> (sign),
/// <c>GET /v1/trusted-root</c> and <c>GET /v1/keys</c> (verify), <c>POST /v1/keys/rotate</c> (admin).
/// </summary>
public static class SigningEndpoints
{
    private const int MaxSignatureRequestBytes = 16 * 1024;
    private const int MaxAttestationRequestBytes = 4 * 1024 * 1024;
    private const int MaxNameLength = 1024;
    private const string ReservedPredicatePrefix = "https://attest.dev/";

    public static void MapSigningEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/v1").RequireRateLimiting(AuthSetup.ApiRateLimit);
        api.MapPost("/signatures", SignAsync)
            .WithName("CreateSignature").WithTags("signing").RequireAuthorization(Scopes.Sign)
            .Accepts<SignatureRequest>("application/json")
            .Produces<IssuedBundleResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapPost("/attestations", AttestAsync)
            .WithName("CreateAttestation").WithTags("signing").RequireAuthorization(Scopes.Sign)
            .Accepts<AttestationRequest>("application/json")
            .Produces<IssuedBundleResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapGet("/trusted-root", (AttestTrustedRoot root) => Results.Bytes(root.ToJson(), "application/json"))
            .WithName("GetTrustedRoot").WithTags("signing").RequireAuthorization(Scopes.Verify)
            .Produces<JsonElement>(StatusCodes.Status200OK);
        api.MapGet("/keys", (ManagedKeyRing keys) => Results.Json(new KeyList(keys.Keys.Select((k, i) => KeyInfo.From(k, i == 0)).ToList()), SigningJsonContext.Default.KeyList))
            .WithName("ListKeys").WithTags("signing").RequireAuthorization(Scopes.Verify)
            .Produces<KeyList>(StatusCodes.Status200OK);
        api.MapPost("/keys/rotate", async (HttpContext context, ManagedKeyRing keys) =>
            {
                var key = await keys.RotateAsync(Caller(context.User), context.RequestAborted).ConfigureAwait(false);
                return Results.Json(KeyInfo.From(key, true), SigningJsonContext.Default.KeyInfo, statusCode: StatusCodes.Status201Created);
            })
            .WithName("RotateKey").WithTags("signing").RequireAuthorization(Scopes.Admin)
            .Produces<KeyInfo>(StatusCodes.Status201Created);
    }

    private static async Task<IResult> SignAsync(HttpContext context, SigningService signing)
    {
        var (request, problem) = await JsonBody.ReadAsync(context.Request, SigningJsonContext.Default.SignatureRequest, MaxSignatureRequestBytes).ConfigureAwait(false);
        if (request is null) return problem!;
        if (!Digest.TryParse(request.Digest, out var digest, out var error) || digest.Value.Algorithm != "sha256")
            return Invalid($"digest must be sha256:<64 hex digits>{(error is null ? "" : $" ({error})")}");
        if (request.Artifact is { Length: > MaxNameLength }) return Invalid($"artifact is longer than {MaxNameLength} characters");
        try
        {
            var issued = await signing.SignDigestAsync(digest.Value, Caller(context.User), request.Artifact, context.RequestAborted).ConfigureAwait(false);
            return Issued(issued);
        }
        catch (NotSupportedException e)
        {
            return ApiProblems.Create(StatusCodes.Status400BadRequest, "cannot sign a digest with this key", e.Message);
        }
    }

    private static async Task<IResult> AttestAsync(HttpContext context, SigningService signing)
    {
        var (request, problem) = await JsonBody.ReadAsync(context.Request, SigningJsonContext.Default.AttestationRequest, MaxAttestationRequestBytes).ConfigureAwait(false);
        if (request is null) return problem!;
        if (request.Subject is null) return Invalid("subject is missing: give subject.digest (and subject.name)");
        if (!Digest.TryParse(request.Subject.Digest, out var digest, out var error))
            return Invalid($"subject.digest must be <algorithm>:<hex> ({error})");
        if (request.Subject.Name is { Length: > MaxNameLength }) return Invalid($"subject.name is longer than {MaxNameLength} characters");
        if (string.IsNullOrWhiteSpace(request.PredicateType) || !Uri.TryCreate(request.PredicateType, UriKind.Absolute, out _))
            return Invalid("predicateType must be an absolute URI, e.g. https://slsa.dev/provenance/v1");
        if (request.Predicate is not { ValueKind: JsonValueKind.Object } predicate)
            return Invalid("predicate must be a JSON object");
        // Attest's own check predicates (go.sum, SBOM) are issued only by the endpoints that run the checks: a client
        // must not be able to mint "verdict: passed" under them.
        if (request.PredicateType.StartsWith(ReservedPredicatePrefix, StringComparison.OrdinalIgnoreCase))
            return Invalid($"predicate types under {ReservedPredicatePrefix} are issued only by Attest's own checks (POST /v1/gosum/verify, /v1/sbom/evaluate)");
        var statement = StatementWriter.Write([(request.Subject.Name ?? digest.Value.ToString(), digest.Value)], request.PredicateType, predicate);
        var issued = await signing.SignStatementAsync(statement, digest.Value, request.Subject.Name, request.PredicateType, Caller(context.User), context.RequestAborted).ConfigureAwait(false);
        return Issued(issued);
    }

    private static IResult Issued(IssuedBundle issued)
    {
        using var bundle = JsonDocument.Parse(issued.Bundle);
        return Results.Json(new IssuedBundleResponse(bundle.RootElement.Clone(), issued.LogIndex, issued.KeyId),
            SigningJsonContext.Default.IssuedBundleResponse, statusCode: StatusCodes.Status201Created);
    }

    private static IResult Invalid(string detail) => ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid request", detail);

    private static string Caller(ClaimsPrincipal user) => user.FindFirst(AttestClaims.ClientId)?.Value ?? "unknown";
}

public sealed record SignatureRequest(string? Digest, string? Artifact);

public sealed record AttestationSubject(string? Name, string? Digest);

public sealed record AttestationRequest(AttestationSubject? Subject, string? PredicateType, JsonElement? Predicate);

/// <summary>A Sigstore bundle v0.3 Attest issued, and where its entry is in the ledger.</summary>
public sealed record IssuedBundleResponse(JsonElement Bundle, long LogIndex, string KeyId);

public sealed record KeyInfo(string KeyId, string Algorithm, string PublicKey, DateTimeOffset CreatedAt, bool Active)
{
    public static KeyInfo From(ManagedKey key, bool active) => new(key.KeyId, key.Algorithm, key.PublicKeyPem, key.CreatedAt, active);
}

public sealed record KeyList(IReadOnlyList<KeyInfo> Keys);

[JsonSerializable(typeof(SignatureRequest))]
[JsonSerializable(typeof(AttestationRequest))]
[JsonSerializable(typeof(IssuedBundleResponse))]
[JsonSerializable(typeof(KeyInfo))]
[JsonSerializable(typeof(KeyList))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
internal sealed partial class SigningJsonContext : JsonSerializerContext;
