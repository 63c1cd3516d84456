using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using Attest.Core;

namespace Attest.Sigstore;

/// <summary>
/// A protobuf JSON <c>bytes</c> field, decoded while the document is read: the usual form straight from the reader's
/// UTF-8 (no string copy of certificates and log bodies), every other form through <see cref="Base64Any"/>. Text that
/// is not base64 is kept as "no bytes", not thrown, so that the caller can say which field was wrong.
/// </summary>
[JsonConverter(typeof(Base64FieldConverter))]
internal sealed class Base64Field
{
    private readonly byte[]? _bytes;

    public Base64Field(byte[]? bytes) => _bytes = bytes;

    public bool TryGetBytes([NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = _bytes;
        return bytes is not null;
    }
}

internal sealed class Base64FieldConverter : JsonConverter<Base64Field>
{
    public override Base64Field Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("a bytes field must be a base64 string");
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && Base64Any.TryDecodeStandard(reader.ValueSpan, out var bytes))
            return new Base64Field(bytes);
        // GetString validates UTF-8 (InvalidOperationException, as for any string member) and unescapes.
        return new Base64Field(Base64Any.TryDecode(reader.GetString()!, out bytes) ? bytes : null);
    }

    public override void Write(Utf8JsonWriter writer, Base64Field value, JsonSerializerOptions options)
    {
        if (value.TryGetBytes(out var bytes)) writer.WriteBase64StringValue(bytes);
        else writer.WriteNullValue();
    }
}
