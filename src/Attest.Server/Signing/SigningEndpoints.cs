using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Attest.Core;
using Attest.Oci;
using Attest.Server.Api;
using Attest.Server.Auth;
using Attest.Sigstore.Cosign;
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

    public static void MapSigningEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/v1").RequireRateLimiting(AuthSetup.ApiRateLimit);
        api.MapPost("/signatures", SignAsync)
            .WithName("CreateSignature").WithTags("signing").RequireAuthorization(Scopes.Sign)
            .Accepts<SignatureRequest>("application/json")
            .Produces<IssuedBundleResponse>(StatusCodes.Status201Created, "application/json", BundleMediaType)
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status502BadGateway);
        api.MapPost("/attestations", AttestAsync)
            .WithName("CreateAttestation").WithTags("signing").RequireAuthorization(Scopes.Sign)
            .Accepts<AttestationRequest>("application/json")
            .Produces<IssuedBundleResponse>(StatusCodes.Status201Created, "application/json", BundleMediaType)
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status502BadGateway);
        // Public: it holds only public keys, and Sigstore clients fetch it (and the signing config) without a token.
        api.MapGet("/trusted-root", (AttestTrustedRoot root) => Results.Bytes(root.ToJson(), "application/json"))
            .WithName("GetTrustedRoot").WithTags("signing").AllowAnonymous()
            .Produces<JsonElement>(StatusCodes.Status200OK);
        api.MapGet("/signing-config", (HttpContext context, Microsoft.Extensions.Options.IOptions<Identity.KeylessOptions> keyless, Keyless.KeylessAuthorities authorities) =>
                Results.Bytes(Sigstore.Keyless.SigningConfigWriter.Write(
                    keyless.Value.PublicUrl?.TrimEnd('/') ?? $"{context.Request.Scheme}://{context.Request.Host}", authorities.Ca.Chain[0].NotBefore,
                    rekorV2: keyless.Value.SigningConfigRekorV2), "application/json"))
            .WithName("GetSigningConfig").WithTags("signing").AllowAnonymous()
            .Produces<JsonElement>(StatusCodes.Status200OK);
        api.MapGet("/keys", (ManagedKeyRing keys) => Results.Json(new KeyList(keys.Keys.Select((k, i) => KeyInfo.From(k, i == 0)).ToList()), SigningJsonContext.Default.KeyList))
            .WithName("ListKeys").WithTags("signing").RequireAuthorization(Scopes.Verify)
            .Produces<KeyList>(StatusCodes.Status200OK);
        api.MapPost("/keys/rotate", async (HttpContext context, ManagedKeyRing keys) =>
            {
                var key = await keys.RotateAsync(AttestClaims.ClientIdOf(context.User), context.RequestAborted).ConfigureAwait(false);
                return Results.Json(KeyInfo.From(key, true), SigningJsonContext.Default.KeyInfo, statusCode: StatusCodes.Status201Created);
            })
            .WithName("RotateKey").WithTags("signing").RequireAuthorization(Scopes.Admin)
            .Produces<KeyInfo>(StatusCodes.Status201Created);
    }

    private static async Task<IResult> SignAsync(HttpContext context, SigningService signing, RegistryPublisher publisher)
    {
        var (request, problem) = await JsonBody.ReadAsync(context.Request, SigningJsonContext.Default.SignatureRequest, MaxSignatureRequestBytes).ConfigureAwait(false);
        if (request is null) return problem!;
        if (request.Artifact is { Length: > MaxNameLength }) return Invalid($"artifact is longer than {MaxNameLength} characters");
        if (request.Push is { } push) return await SignImageAsync(context, request, push, signing, publisher).ConfigureAwait(false);
        if (!Digest.TryParse(request.Digest, out var digest, out var error) || digest.Value.Algorithm != "sha256")
            return Invalid($"digest must be sha256:<64 hex digits>{(error is null ? "" : $" ({error})")}");
        try
        {
            var issued = await signing.SignDigestAsync(digest.Value, AttestClaims.ClientIdOf(context.User), request.Artifact, context.RequestAborted).ConfigureAwait(false);
            return Issued(context, issued);
        }
        catch (NotSupportedException e)
        {
            return ApiProblems.Create(StatusCodes.Status400BadRequest, "cannot sign a digest with this key", e.Message);
        }
    }

    /// <summary>An image signature pushed in cosign's layouts: the cosign-v3 bundle (DSSE statement
    /// <c>https://sigstore.dev/cosign/sign/v1</c>) as a referrer and/or a legacy <c>.sig</c> layer, each logged.</summary>
    private static async Task<IResult> SignImageAsync(HttpContext context, SignatureRequest request, PushRequest push, SigningService signing, RegistryPublisher publisher)
    {
        if (!TryReadPush(push, out var target, out var invalid)) return invalid;
        if (request.Artifact is not null) return Invalid("artifact does not apply with push: the ledger records the image");
        if (target.Legacy && !signing.CanSignLegacy)
            return ApiProblems.Create(StatusCodes.Status400BadRequest, "cannot sign a legacy signature with this key",
                "the active signing key is Ed25519, which cannot make a legacy cosign .sig signature (Rekor hashedrekord cannot carry Ed25519); push with legacy: false");
        Digest? claimed = null;
        if (request.Digest is not null)
        {
            if (!Digest.TryParse(request.Digest, out claimed, out var error)) return Invalid($"digest must be <algorithm>:<hex> ({error})");
        }
        var (subject, unresolved) = await ResolveAsync(publisher, target.Image, context.RequestAborted).ConfigureAwait(false);
        if (subject is null) return unresolved!;
        if (claimed is { } c && !c.Equals(subject.Digest))
            return Invalid($"digest {c} is not the digest of {target.Image} ({subject.Digest}); omit digest to sign what the image names");

        var image = target.Image;
        var caller = AttestClaims.ClientIdOf(context.User);
        var referrer = target.Referrer ? await signing.SignImageAsync(subject.Digest, image.Name, caller, context.RequestAborted).ConfigureAwait(false) : null;
        var payload = CosignLayouts.SimpleSigningPayload(image.Name, subject.Digest);
        var legacy = target.Legacy ? await signing.SignLegacyPayloadAsync(payload, subject.Digest, image.Name, caller, context.RequestAborted).ConfigureAwait(false) : null;

        var pushed = new PushedArtifacts($"{image.Name}@{subject.Digest}", null, null, null, legacy?.LogIndex);
        try
        {
            if (referrer is not null)
                pushed = pushed with { Referrer = (await publisher.PushBundleReferrerAsync(image, subject, referrer.Bundle, StatementWriter.CosignSignPredicateType, context.RequestAborted).ConfigureAwait(false)).ToString() };
            if (legacy is not null)
            {
                var (tag, manifest) = await publisher.AppendLegacyLayerAsync(image, subject.Digest, CosignArtifact.Signature, payload, OciMediaTypes.CosignSimpleSigning,
                    CosignLayouts.SignatureAnnotations(legacy.Bundle), context.RequestAborted).ConfigureAwait(false);
                pushed = pushed with { LegacyTag = tag, LegacyManifest = manifest.ToString() };
            }
        }
        catch (RegistryException e)
        {
            return PushFailed(e, image, [referrer, legacy], pushed, "signature");
        }
        return Issued(context, (referrer ?? legacy)!, pushed);
    }

    private static async Task<IResult> AttestAsync(HttpContext context, SigningService signing, RegistryPublisher publisher)
    {
        var (request, problem) = await JsonBody.ReadAsync(context.Request, SigningJsonContext.Default.AttestationRequest, MaxAttestationRequestBytes).ConfigureAwait(false);
        if (request is null) return problem!;
        PushTarget? target = null;
        if (request.Push is { } push)
        {
            if (!TryReadPush(push, out var read, out var invalid)) return invalid;
            target = read;
        }
        else if (request.Subject is null) return Invalid("subject is missing: give subject.digest (and subject.name), or push.image");
        Digest? claimed = null;
        if (request.Subject?.Digest is not null || target is null)
        {
            if (!Digest.TryParse(request.Subject?.Digest, out claimed, out var error))
                return Invalid($"subject.digest must be <algorithm>:<hex> ({error})");
        }
        if (request.Subject?.Name is { Length: > MaxNameLength }) return Invalid($"subject.name is longer than {MaxNameLength} characters");
        if (request.PredicateType is { Length: > MaxNameLength }) return Invalid($"predicateType is longer than {MaxNameLength} characters");
        if (string.IsNullOrWhiteSpace(request.PredicateType) || !Uri.TryCreate(request.PredicateType, UriKind.Absolute, out _))
            return Invalid("predicateType must be an absolute URI, e.g. https://slsa.dev/provenance/v1");
        if (request.Predicate is not { ValueKind: JsonValueKind.Object } predicate)
            return Invalid("predicate must be a JSON object");
        // Attest's own check predicates (go.sum, SBOM) are issued only by the endpoints that run the checks: a client
        // must not be able to mint "verdict: passed" under them.
        if (ReservedPredicateTypes.IsReserved(request.PredicateType))
            return Invalid($"predicate types under {ReservedPredicateTypes.Prefix} (in any spelling) are issued only by Attest's own checks (POST /v1/gosum/verify, /v1/sbom/evaluate)");

        Descriptor? subject = null;
        if (target is not null)
        {
            (subject, var unresolved) = await ResolveAsync(publisher, target.Image, context.RequestAborted).ConfigureAwait(false);
            if (subject is null) return unresolved!;
            if (claimed is { } c && !c.Equals(subject.Digest))
                return Invalid($"subject.digest {c} is not the digest of {target.Image} ({subject.Digest}); omit it to attest what the image names");
        }
        var digest = subject?.Digest ?? claimed!.Value;
        var name = request.Subject?.Name ?? target?.Image.Name ?? digest.ToString();
        var statement = StatementWriter.Write([(name, digest)], request.PredicateType, predicate);
        var issued = await signing.SignStatementAsync(statement, digest, request.Subject?.Name ?? target?.Image.Name, request.PredicateType, AttestClaims.ClientIdOf(context.User), context.RequestAborted).ConfigureAwait(false);
        if (target is null) return Issued(context, issued);

        var image = target.Image;
        var pushed = new PushedArtifacts($"{image.Name}@{digest}", null, null, null, null);
        try
        {
            if (target.Referrer)
                pushed = pushed with { Referrer = (await publisher.PushBundleReferrerAsync(image, subject!, issued.Bundle, request.PredicateType, context.RequestAborted).ConfigureAwait(false)).ToString() };
            if (target.Legacy)
            {
                var (envelope, annotations) = CosignLayouts.AttestationLayer(issued.Bundle, request.PredicateType);
                var (tag, manifest) = await publisher.AppendLegacyLayerAsync(image, digest, CosignArtifact.Attestation, envelope, OciMediaTypes.DsseEnvelope, annotations, context.RequestAborted).ConfigureAwait(false);
                pushed = pushed with { LegacyTag = tag, LegacyManifest = manifest.ToString() };
            }
        }
        catch (RegistryException e)
        {
            return PushFailed(e, image, [issued], pushed, "attestation");
        }
        return Issued(context, issued, pushed);
    }

    private sealed record PushTarget(ImageReference Image, bool Referrer, bool Legacy);

    private static bool TryReadPush(PushRequest push, [NotNullWhen(true)] out PushTarget? target, [NotNullWhen(false)] out IResult? problem)
    {
        target = null;
        problem = null;
        if (!ImageReference.TryParse(push.Image, out var image, out var error))
        {
            problem = Invalid($"push.image must be an image reference such as registry.example/team/app@sha256:<hex> or :tag ({error})");
            return false;
        }
        var referrer = push.Referrer ?? true;
        var legacy = push.Legacy ?? true;
        if (!referrer && !legacy)
        {
            problem = Invalid("push.referrer and push.legacy are both false: nothing would be pushed; omit push instead");
            return false;
        }
        target = new PushTarget(image, referrer, legacy);
        return true;
    }

    /// <summary>The image's manifest descriptor; a tag resolves to its digest now, before anything is signed.</summary>
    private static async Task<(Descriptor? Subject, IResult? Problem)> ResolveAsync(RegistryPublisher publisher, ImageReference image, CancellationToken cancellationToken)
    {
        try
        {
            return (await publisher.ResolveAsync(image, cancellationToken).ConfigureAwait(false), null);
        }
        catch (RegistryException e)
        {
            return (null, ApiProblems.Create(StatusCodes.Status502BadGateway, "the registry could not be read",
                $"cannot resolve {image} [{e.Code}]: {e.Message}. Nothing was signed."));
        }
    }

    private static IResult PushFailed(RegistryException e, ImageReference image, IEnumerable<IssuedBundle?> issued, PushedArtifacts pushed, string what)
    {
        var indexes = string.Join(", ", issued.Where(i => i is not null).Select(i => i!.LogIndex));
        var done = new List<string>();
        if (pushed.Referrer is { } r) done.Add($"the referrer {r} was pushed");
        if (pushed.LegacyTag is { } t) done.Add($"{t} was pushed");
        var state = done.Count == 0 ? "nothing was pushed" : string.Join(" and ", done) + " before the failure";
        return ApiProblems.Create(StatusCodes.Status502BadGateway, "pushing to the registry failed",
            $"pushing the {what} to {image.Registry}/{image.Repository} failed [{e.Code}]: {e.Message}. The {what} is recorded in the ledger " +
            $"(log index {indexes}) but is not fully attached to the image: {state}. Sign again to retry the push.");
    }

    /// <summary>The issued bundle with where it is in the ledger; or, for a client that asks for the Sigstore bundle
    /// media type, the bare bundle that verifiers take as it is (log index and key id then in response headers).</summary>
    private static IResult Issued(HttpContext context, IssuedBundle issued, PushedArtifacts? pushed = null)
    {
        if (WantsBareBundle(context.Request))
        {
            context.Response.Headers[LogIndexHeader] = issued.LogIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers[KeyIdHeader] = issued.KeyId;
            return Results.Text(System.Text.Encoding.UTF8.GetString(issued.Bundle), BundleMediaType, contentEncoding: null, statusCode: StatusCodes.Status201Created);
        }
        using var bundle = JsonDocument.Parse(issued.Bundle);
        return Results.Json(new IssuedBundleResponse(bundle.RootElement.Clone(), issued.LogIndex, issued.KeyId, pushed),
            SigningJsonContext.Default.IssuedBundleResponse, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>The media type of the bundles Attest issues (Sigstore bundle v0.3).</summary>
    public const string BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";
    public const string LogIndexHeader = "Attest-Log-Index";
    public const string KeyIdHeader = "Attest-Key-Id";

    private static bool WantsBareBundle(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => string.Equals(a.MediaType.Value, BundleMediaType, StringComparison.OrdinalIgnoreCase) && a.Quality is not 0);

    private static IResult Invalid(string detail) => ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid request", detail);
}

public sealed record SignatureRequest(string? Digest, string? Artifact, PushRequest? Push = null);

public sealed record AttestationSubject(string? Name, string? Digest);

public sealed record AttestationRequest(AttestationSubject? Subject, string? PredicateType, JsonElement? Predicate, PushRequest? Push = null);

/// <summary>Where to attach the result: an image (by digest, or a tag resolved first), as an OCI 1.1 referrer
/// bundle and/or cosign's legacy <c>.sig</c>/<c>.att</c> tag (both by default).</summary>
public sealed record PushRequest(string? Image, bool? Referrer = null, bool? Legacy = null);

/// <summary>What was attached to the image: the referrer manifest digest and the legacy tag with its new manifest digest.
/// <c>LegacyLogIndex</c> is the ledger entry of a legacy <c>.sig</c> signature (a separate hashedrekord entry).</summary>
public sealed record PushedArtifacts(string Image, string? Referrer, string? LegacyTag, string? LegacyManifest, long? LegacyLogIndex);

/// <summary>A Sigstore bundle v0.3 Attest issued, and where its entry is in the ledger.</summary>
public sealed record IssuedBundleResponse(JsonElement Bundle, long LogIndex, string KeyId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PushedArtifacts? Pushed = null);

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
