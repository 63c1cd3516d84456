using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Attest.Sigstore.Signing;

namespace Attest.Sigstore.Keyless;

/// <summary>
/// A Sigstore <c>SigningConfig</c> v0.2 (protobuf-specs) naming one deployment for every service: the CA (Fulcio v1
/// API path layout), the Rekor v1 log and the TSA, each valid from <c>validFrom</c>, selector ANY. With it and the
/// trusted root, a client (sigstore-js, cosign <c>--signing-config</c>) needs nothing else.
/// </summary>
public static class SigningConfigWriter
{
    public const string MediaType = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

    /// <param name="baseUrl">The deployment's URL without a trailing slash.</param>
    public static byte[] Write(string baseUrl, DateTimeOffset validFrom, string @operator = "attest")
    {
        ArgumentException.ThrowIfNullOrEmpty(baseUrl);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, BundleBuilder.WriterOptions with { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", MediaType);
            Services(w, "caUrls", baseUrl, validFrom, @operator);
            w.WriteStartArray("oidcUrls");
            w.WriteEndArray();
            Services(w, "rekorTlogUrls", baseUrl, validFrom, @operator);
            Selector(w, "rekorTlogConfig");
            Services(w, "tsaUrls", baseUrl + "/api/v1/timestamp", validFrom, @operator);
            Selector(w, "tsaConfig");
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Services(Utf8JsonWriter w, string name, string url, DateTimeOffset validFrom, string @operator)
    {
        w.WriteStartArray(name);
        w.WriteStartObject();
        w.WriteString("url", url);
        w.WriteNumber("majorApiVersion", 1);
        w.WriteStartObject("validFor");
        w.WriteString("start", validFrom.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteString("operator", @operator);
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static void Selector(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        w.WriteString("selector", "ANY");
        w.WriteEndObject();
    }
}
