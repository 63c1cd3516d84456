using System.Globalization;
using System.Numerics;
using System.Text.Json.Serialization;
using Attest.Core;
using Attest.Core.IO;
using Attest.Server.Api;
using Attest.Server.Auth;
using Attest.Sigstore.Keyless;

namespace Attest.Server.Keyless;

/// <summary>
/// sigstore/timestamp-authority's API: <c>POST /api/v1/timestamp</c> takes the JSON request Sigstore clients send
/// (<c>artifactHash</c>, <c>hashAlgorithm</c>, <c>certificates</c>, <c>nonce</c>, <c>tsaPolicyOID</c>) or an RFC 3161
/// <c>application/timestamp-query</c>, and answers a DER <c>application/timestamp-reply</c>; a request the TSA rejects
/// is a 400 problem. <c>GET /api/v1/timestamp/certchain</c> gives the TSA's chain (PEM, leaf first).
/// </summary>
public static class TimestampEndpoints
{
    public const string QueryMediaType = "application/timestamp-query";
    public const string ReplyMediaType = "application/timestamp-reply";
    private const int MaxJsonBytes = 8 * 1024;

    public static void MapTimestampEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1/timestamp").WithTags("keyless").AllowAnonymous().RequireRateLimiting(AuthSetup.ApiRateLimit);
        api.MapPost("", TimestampAsync)
            .WithName("CreateTimestamp")
            .Accepts<TimestampJsonRequest>("application/json", QueryMediaType)
            .Produces<byte[]>(StatusCodes.Status201Created, ReplyMediaType)
            .ProducesBodyProblems();
        api.MapGet("/certchain", (KeylessAuthorities authorities) =>
                Results.Text(string.Concat(authorities.Tsa.Chain.Select(c => c.ExportCertificatePem() + "\n")), "application/pem-certificate-chain"))
            .WithName("GetTimestampCertChain")
            .Produces<string>(StatusCodes.Status200OK, "application/pem-certificate-chain");
    }

    private static async Task<IResult> TimestampAsync(HttpContext context, KeylessAuthorities authorities)
    {
        var type = context.Request.ContentType ?? "";
        TimestampResult result;
        if (type.StartsWith(QueryMediaType, StringComparison.OrdinalIgnoreCase))
        {
            var der = await ReadAsync(context.Request, TimestampAuthority.MaxRequestBytes).ConfigureAwait(false);
            if (der is null) return ApiProblems.Create(StatusCodes.Status413PayloadTooLarge, "request too large", $"a timestamp query is at most {TimestampAuthority.MaxRequestBytes} bytes");
            result = authorities.Tsa.Respond(der);
        }
        else
        {
            var (request, problem) = await JsonBody.ReadAsync(context.Request, TimestampJsonContext.Default.TimestampJsonRequest, MaxJsonBytes).ConfigureAwait(false);
            if (request is null)
            {
                return problem is IStatusCodeHttpResult { StatusCode: StatusCodes.Status415UnsupportedMediaType }
                    ? ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported media type", $"send application/json or {QueryMediaType}")
                    : problem!;
            }
            if (request.ArtifactHash is null || !Base64Any.TryDecode(request.ArtifactHash, out var hash))
                return Invalid("artifactHash must be the base64 digest of the signature to timestamp");
            BigInteger? nonce = null;
            if (request.Nonce is { } nonceText)
            {
                if (nonceText.Length is 0 or > 40 || !BigInteger.TryParse(nonceText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                    return Invalid("nonce must be a non-negative decimal integer of at most 40 digits");
                nonce = parsed;
            }
            if (request.TsaPolicyOid is { } policy && (policy.Length > 128 || !policy.All(c => char.IsAsciiDigit(c) || c == '.')))
                return Invalid("tsaPolicyOID must be an object identifier");
            result = authorities.Tsa.Respond(request.HashAlgorithm ?? "sha256", hash, request.Certificates ?? false, nonce, request.TsaPolicyOid);
        }
        if (!result.Granted) return Invalid($"the timestamp authority rejected the request: {result.FailureReason}");
        Telemetry.AttestInstruments.Signed("timestamp");
        return new CreatedBytes(result.Response, ReplyMediaType);
    }

    private static async Task<byte[]?> ReadAsync(HttpRequest request, int maxBytes)
    {
        if (request.ContentLength > maxBytes) return null;
        return await BoundedRead.ReadAllAsync(request.Body, maxBytes, request.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    private static IResult Invalid(string detail) => ApiProblems.Create(StatusCodes.Status400BadRequest, "invalid timestamp request", detail);
}

/// <summary>201 Created with a binary body (Results.Bytes always answers 200).</summary>
internal sealed class CreatedBytes(byte[] body, string contentType) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status201Created;
        httpContext.Response.ContentType = contentType;
        httpContext.Response.ContentLength = body.Length;
        return httpContext.Response.Body.WriteAsync(body).AsTask();
    }
}

/// <summary>sigstore/timestamp-authority's JSON request.</summary>
public sealed record TimestampJsonRequest(
    string? ArtifactHash, string? HashAlgorithm, bool? Certificates,
    [property: JsonConverter(typeof(NonceConverter))] string? Nonce,
    [property: JsonPropertyName("tsaPolicyOID")] string? TsaPolicyOid);

/// <summary>The nonce arrives as a JSON number (possibly larger than 64 bits) or a string; kept as its digits.</summary>
internal sealed class NonceConverter : JsonConverter<string?>
{
    public override string? Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            System.Text.Json.JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
            System.Text.Json.JsonTokenType.String => reader.GetString(),
            System.Text.Json.JsonTokenType.Null => null,
            _ => throw new System.Text.Json.JsonException("nonce must be a number"),
        };

    public override void Write(System.Text.Json.Utf8JsonWriter writer, string? value, System.Text.Json.JsonSerializerOptions options) => writer.WriteStringValue(value);
}

[JsonSerializable(typeof(TimestampJsonRequest))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
internal sealed partial class TimestampJsonContext : JsonSerializerContext;
