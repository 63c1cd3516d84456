using System.Formats.Cbor;

namespace Attest.Notation.Envelopes;

/// <summary>
/// One decoded CBOR data item, kept as a small tree for header maps. Decoding is bounded: definite lengths only
/// (indefinite-length items are refused, as go-cose does for COSE headers), at most <see cref="NotationLimits.MaxDepth"/>
/// levels of nesting, no duplicate map keys, and no trailing bytes.
/// </summary>
internal abstract record CborValue
{
    /// <summary>Items a header map may hold in all (each is at least one byte, so the envelope size bounds it too).</summary>
    private const int MaxItems = 4096;

    public sealed record Integer(long Value) : CborValue;

    public sealed record Bytes(byte[] Value) : CborValue;

    public sealed record Text(string Value) : CborValue;

    public sealed record Array(IReadOnlyList<CborValue> Items) : CborValue;

    public sealed record Map(IReadOnlyList<KeyValuePair<CborValue, CborValue>> Entries) : CborValue;

    public sealed record Tagged(ulong Tag, CborValue Content) : CborValue;

    /// <summary>Booleans, null, undefined, floating point and other simple values: kept encoded, never interpreted.</summary>
    public sealed record Other(byte[] Encoded, string Description) : CborValue;

    public sealed class DecodeException(string message) : Exception(message);

    /// <summary>Decodes exactly one item filling <paramref name="encoded"/>.</summary>
    public static CborValue Decode(ReadOnlyMemory<byte> encoded)
    {
        var reader = new CborReader(encoded, CborConformanceMode.Strict);
        var items = 0;
        try
        {
            var value = Read(reader, 0, ref items);
            if (reader.BytesRemaining != 0) throw new DecodeException($"{reader.BytesRemaining} bytes follow the data item");
            return value;
        }
        catch (CborContentException e)
        {
            throw new DecodeException(e.Message);
        }
        catch (InvalidOperationException e)
        {
            // CborReader reports some structural problems (e.g. a duplicate key in strict mode) this way.
            throw new DecodeException(e.Message);
        }
    }

    private static CborValue Read(CborReader reader, int depth, ref int items)
    {
        if (depth > NotationLimits.MaxDepth) throw new DecodeException($"items nest deeper than {NotationLimits.MaxDepth} levels");
        if (++items > MaxItems) throw new DecodeException($"more than {MaxItems} data items");
        switch (reader.PeekState())
        {
            case CborReaderState.UnsignedInteger:
            {
                var value = reader.ReadUInt64();
                if (value > long.MaxValue) throw new DecodeException("an integer is larger than 2^63-1");
                return new Integer((long)value);
            }
            case CborReaderState.NegativeInteger:
            {
                var encoded = reader.ReadCborNegativeIntegerRepresentation();
                if (encoded > long.MaxValue) throw new DecodeException("an integer is smaller than -2^63");
                return new Integer(-1 - (long)encoded);
            }
            case CborReaderState.ByteString:
                return new Bytes(reader.ReadByteString());
            case CborReaderState.TextString:
                return new Text(reader.ReadTextString());
            case CborReaderState.StartIndefiniteLengthByteString:
            case CborReaderState.StartIndefiniteLengthTextString:
                throw new DecodeException("indefinite-length strings are not accepted");
            case CborReaderState.StartArray:
            {
                var length = reader.ReadStartArray() ?? throw new DecodeException("indefinite-length arrays are not accepted");
                var list = new List<CborValue>(Math.Min(length, 64));
                for (var i = 0; i < length; i++) list.Add(Read(reader, depth + 1, ref items));
                reader.ReadEndArray();
                return new Array(list);
            }
            case CborReaderState.StartMap:
            {
                var length = reader.ReadStartMap() ?? throw new DecodeException("indefinite-length maps are not accepted");
                var entries = new List<KeyValuePair<CborValue, CborValue>>(Math.Min(length, 64));
                for (var i = 0; i < length; i++)
                {
                    var key = Read(reader, depth + 1, ref items);
                    var value = Read(reader, depth + 1, ref items);
                    entries.Add(new(key, value));
                }
                reader.ReadEndMap();
                return new Map(entries);
            }
            case CborReaderState.Tag:
            {
                var tag = (ulong)reader.ReadTag();
                return new Tagged(tag, Read(reader, depth + 1, ref items));
            }
            case CborReaderState.Finished:
                throw new DecodeException("the data ends early");
            default:
            {
                var state = reader.PeekState();
                var encoded = reader.ReadEncodedValue().ToArray();
                return new Other(encoded, state.ToString());
            }
        }
    }

    /// <summary>A short rendering for messages and extended attribute values: text and integers as JSON, the rest as hex.</summary>
    public string Render() => this switch
    {
        Text t => System.Text.Json.JsonSerializer.Serialize(t.Value, NotationJson.Default.String),
        Integer i => i.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Bytes b => $"h'{Convert.ToHexStringLower(b.Value)}'",
        _ => GetType().Name.ToLowerInvariant(),
    };
}
