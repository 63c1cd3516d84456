using System.Text;
using System.Text.Json;

namespace Attest.Sigstore;

/// <summary>
/// Protobuf JSON accepts each field under its lowerCamelCase JSON name or its original proto name
/// (<c>verificationMaterial</c> or <c>verification_material</c>), as Go's protojson and sigstore-go do. The DTOs bind the
/// JSON names, so documents that use proto names are rewritten first: every member name that is a proto field name
/// (lowercase letters, digits and single inner underscores) becomes its JSON name; values are copied byte for byte.
/// The Sigstore messages have no map fields, so every member name is a field name. A field spelled both ways becomes
/// a duplicate, which the deserializer rejects, as protojson does.
/// </summary>
internal static class ProtoJsonNames
{
    /// <summary>
    /// Null when no rewrite is needed (the common case costs a few vectorized scans, see <see cref="MayHaveProtoNames"/>);
    /// otherwise the document with JSON names. Throws <see cref="JsonException"/> (or
    /// <see cref="InvalidOperationException"/> for invalid UTF-8) on malformed input, like the deserializer.
    /// </summary>
    public static byte[]? ToJsonNames(ReadOnlySpan<byte> json, int maxDepth)
    {
        if (!MayHaveProtoNames(json)) return null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Disallow });
        var output = new System.Buffers.ArrayBufferWriter<byte>(json.Length);
        var changed = false;
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true, MaxDepth = maxDepth + 1 }))
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                    case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                    case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                    case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        var jsonName = JsonName(name);
                        changed |= !ReferenceEquals(jsonName, name);
                        writer.WritePropertyName(jsonName);
                        break;
                    default:
                        // Scalars keep their exact spelling (escapes, number forms, quoted int64s).
                        var start = (int)reader.TokenStartIndex;
                        writer.WriteRawValue(json[start..(int)reader.BytesConsumed], skipInputValidation: true);
                        break;
                }
            }
        }
        return changed ? output.WrittenSpan.ToArray() : null;
    }

    /// <summary>
    /// False only when no member name can contain '_': every '_' is followed by a closing quote that is not followed
    /// by ':' (values such as "SHA2_256" or URL-safe base64), and no '\u005f' escape appears. Conservative: a true
    /// only costs the rewrite pass.
    /// </summary>
    internal static bool MayHaveProtoNames(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\\u005"u8) >= 0) return true;
        var rest = json;
        while (true)
        {
            var underscore = rest.IndexOf((byte)'_');
            if (underscore < 0) return false;
            rest = rest[(underscore + 1)..];
            var quote = rest.IndexOf((byte)'"');
            if (quote < 0) return false;
            rest = rest[(quote + 1)..];
            var after = rest.TrimStart(" \t\r\n"u8);
            if (after.Length > 0 && after[0] == (byte)':') return true;
        }
    }

    /// <summary>The lowerCamelCase JSON name of a proto field name; any other name is returned unchanged (same instance).</summary>
    internal static string JsonName(string name)
    {
        if (name.Length < 3 || name.IndexOf('_') < 0 || !char.IsAsciiLetterLower(name[0]) || name[^1] == '_') return name;
        var builder = new StringBuilder(name.Length);
        var upper = false;
        foreach (var c in name)
        {
            if (c == '_')
            {
                if (upper) return name; // "__"
                upper = true;
                continue;
            }
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c)) return name;
            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return builder.ToString();
    }
}
