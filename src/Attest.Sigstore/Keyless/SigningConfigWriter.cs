using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Attest.Sigstore.Signing;

namespace Attest.Sigstore.Keyless;

/// <summary>
/// A Sigstore <c>SigningConfig</c> v0.2 (protobuf-specs) naming one deployment for every service: the CA (Fulcio v1
/// API path layout), the Rekor log and the TSA, each valid from <c>validFrom</c>, selector ANY. With it and the
/// trusted root, a client (sigstore-js, cosign <c>--signing-config</c>) needs nothing else. The log is listed with its
/// v1 API, and optionally its v2 API first: a client takes the highest major version it speaks.
/// </summary>
public static class SigningConfigWriter
{
    public const string MediaType = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

    /// <param name="baseUrl">The deployment's URL without a trailing slash.</param>
    /// <param name="rekorV2">Also list the log's Rekor v2 API (whose entries carry no SET: the signing time comes from the TSA).</param>
    public static byte[] Write(string baseUrl, DateTimeOffset validFrom, string @operator = "attest", bool rekorV2 = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseUrl);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, BundleBuilder.WriterOptions with { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", MediaType);
            Services(w, "caUrls", baseUrl, [1], validFrom, @operator);
            w.WriteStartArray("oidcUrls");
            w.WriteEndArray();
            Services(w, "rekorTlogUrls", baseUrl, rekorV2 ? [2, 1] : [1], validFrom, @operator);
            Selector(w, "rekorTlogConfig");
            Services(w, "tsaUrls", baseUrl + "/api/v1/timestamp", [1], validFrom, @operator);
            Selector(w, "tsaConfig");
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Services(Utf8JsonWriter w, string name, string url, int[] majorVersions, DateTimeOffset validFrom, string @operator)
    {
        var start = validFrom.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        w.WriteStartArray(name);
        foreach (var version in majorVersions)
        {
            w.WriteStartObject();
            w.WriteString("url", url);
            w.WriteNumber("majorApiVersion", version);
            w.WriteStartObject("validFor");
            w.WriteString("start", start);
            w.WriteEndObject();
            w.WriteString("operator", @operator);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Selector(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        w.WriteString("selector", "ANY");
        w.WriteEndObject();
    }
}
