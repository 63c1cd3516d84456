using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace Attest.Sigstore.Clients;

/// <summary>
/// Where a keyless client signs: the CA (Fulcio v2 API base), the transparency log (Rekor v1 API base) and the
/// timestamp authority (its full URL), as a Sigstore <c>SigningConfig</c> v0.2 names them (protobuf-specs): for each,
/// the first service whose validity includes now and whose API version this client speaks (Rekor 1).
/// </summary>
public sealed record SigningServices(Uri CertificateAuthority, Uri TransparencyLog, Uri TimestampAuthority)
{
    public const string SigningConfigMediaType = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
    public const int MaxSigningConfigBytes = 256 * 1024;

    public static bool TryParseSigningConfig(ReadOnlySpan<byte> json, DateTimeOffset now, [NotNullWhen(true)] out SigningServices? services,
        [NotNullWhen(false)] out string? error)
    {
        services = null;
        if (json.Length > MaxSigningConfigBytes) return Fail($"the signing config is larger than {MaxSigningConfigBytes} bytes", out error);
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail("the signing config is not a JSON object", out error);
            if (!root.TryGetProperty("mediaType", out var mediaType) || mediaType.GetString() != SigningConfigMediaType)
                return Fail($"the signing config's mediaType is not {SigningConfigMediaType}", out error);
            var ca = Pick(root, "caUrls", now, majorVersion: null);
            var log = Pick(root, "rekorTlogUrls", now, majorVersion: 1);
            var tsa = Pick(root, "tsaUrls", now, majorVersion: null);
            if (ca is null) return Fail("the signing config names no certificate authority valid now (caUrls)", out error);
            if (log is null) return Fail("the signing config names no Rekor v1 transparency log valid now (rekorTlogUrls)", out error);
            if (tsa is null) return Fail("the signing config names no timestamp authority valid now (tsaUrls)", out error);
            services = new SigningServices(ca, log, tsa);
            error = null;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return Fail($"the signing config cannot be read ({e.Message})", out error);
        }
    }

    private static Uri? Pick(JsonElement root, string name, DateTimeOffset now, int? majorVersion)
    {
        if (!root.TryGetProperty(name, out var list) || list.ValueKind != JsonValueKind.Array) return null;
        foreach (var service in list.EnumerateArray().Take(32))
        {
            if (service.ValueKind != JsonValueKind.Object || !service.TryGetProperty("url", out var url)
                || !Uri.TryCreate(url.GetString(), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                continue;
            if (majorVersion is { } major && (!service.TryGetProperty("majorApiVersion", out var version) || version.GetInt32() != major)) continue;
            if (service.TryGetProperty("validFor", out var validity) && validity.ValueKind == JsonValueKind.Object)
            {
                if (Time(validity, "start") is { } start && start > now) continue;
                if (Time(validity, "end") is { } end && end <= now) continue;
            }
            return uri;
        }
        return null;
    }

    private static DateTimeOffset? Time(JsonElement range, string name) =>
        range.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : null;

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }
}
