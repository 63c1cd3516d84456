using System.Buffers;
using System.Text.Json;
using Attest.Core;
using Attest.Core.InToto;

namespace Attest.Sigstore.Signing;

/// <summary>Writes in-toto Statement v1 JSON (<c>_type</c>, <c>subject</c>, <c>predicateType</c>, <c>predicate</c>) for signing.</summary>
public static class StatementWriter
{
    /// <summary>The predicate type of cosign's plain signature as an attestation (sigstore-go "cosign sign" statements).</summary>
    public const string CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1";

    /// <param name="subjects">Each subject's name and digest.</param>
    /// <param name="predicateJson">The predicate object; null writes <c>{}</c>.</param>
    public static byte[] Write(IEnumerable<(string Name, Digest Digest)> subjects, string predicateType, JsonElement? predicateJson = null)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        ArgumentException.ThrowIfNullOrEmpty(predicateType);
        if (predicateJson is { ValueKind: not JsonValueKind.Object }) throw new ArgumentException("the predicate must be a JSON object", nameof(predicateJson));
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, BundleBuilder.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("_type", Statement.TypeV1);
            w.WriteStartArray("subject");
            var count = 0;
            foreach (var (name, digest) in subjects)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteStartObject("digest");
                w.WriteString(digest.Algorithm, digest.Hex);
                w.WriteEndObject();
                w.WriteEndObject();
                count++;
            }
            if (count == 0) throw new ArgumentException("a statement needs at least one subject", nameof(subjects));
            w.WriteEndArray();
            w.WriteString("predicateType", predicateType);
            w.WritePropertyName("predicate");
            if (predicateJson is { } predicate) predicate.WriteTo(w);
            else
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
