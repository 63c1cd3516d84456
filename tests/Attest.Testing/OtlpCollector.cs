using System.Collections.Concurrent;
using System.Text;

namespace Attest.Testing;

/// <summary>One span as an OTLP collector receives it (ids in lowercase hex, as W3C traceparent writes them).</summary>
public sealed record ReceivedSpan(string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// An OpenTelemetry collector for one test: OTLP over HTTP (<c>POST /v1/traces</c>, <c>application/x-protobuf</c>) on a
/// free loopback port, keeping every span it receives. The server under test exports to it as to any collector; the
/// protobuf is read by <see cref="OtlpTraceReader"/>, from the field numbers of opentelemetry-proto.
/// </summary>
public sealed class OtlpCollector : LoopbackHttpServer
{
    private readonly ConcurrentQueue<ReceivedSpan> _spans;

    public OtlpCollector()
        : this(new ConcurrentQueue<ReceivedSpan>())
    {
    }

    private OtlpCollector(ConcurrentQueue<ReceivedSpan> spans)
        : base(context => ReceiveAsync(context, spans))
    {
        _spans = spans;
    }

    /// <summary>The base URL to configure as the OTLP endpoint.</summary>
    public string Endpoint => $"http://{Host}";

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    /// <summary>Waits until a span satisfies <paramref name="condition"/> (exports are batched).</summary>
    public async Task<IReadOnlyList<ReceivedSpan>> WaitForAsync(Func<IReadOnlyList<ReceivedSpan>, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!condition(Spans))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the collector never received the spans expected; it has: {string.Join(", ", Spans.Select(s => s.Name))}");
            await Task.Delay(200).ConfigureAwait(false);
        }
        return Spans;
    }

    private static async Task ReceiveAsync(System.Net.HttpListenerContext context, ConcurrentQueue<ReceivedSpan> spans)
    {
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body).ConfigureAwait(false);
        if (context.Request.Url?.AbsolutePath == "/v1/traces")
            foreach (var span in OtlpTraceReader.Read(body.ToArray())) spans.Enqueue(span);
        // An empty ExportTraceServiceResponse (or metrics response): success.
        await WriteAsync(context, [], "application/x-protobuf").ConfigureAwait(false);
    }
}

/// <summary>
/// Reads an OTLP <c>ExportTraceServiceRequest</c> (protobuf wire format) into spans, knowing only the fields a test looks
/// at (opentelemetry-proto, trace/v1/trace.proto and common/v1/common.proto): request.resource_spans = 1;
/// ResourceSpans.scope_spans = 2; ScopeSpans.scope = 1 (InstrumentationScope.name = 1), spans = 2; Span.trace_id = 1,
/// span_id = 2, parent_span_id = 4, name = 5, attributes = 9 (KeyValue.key = 1, value = 2; AnyValue.string_value = 1,
/// bool_value = 2, int_value = 3, double_value = 4). Other fields are skipped by wire type.
/// </summary>
public static class OtlpTraceReader
{
    public static IReadOnlyList<ReceivedSpan> Read(byte[] request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1) continue;
            foreach (var (rsField, scopeSpans) in Fields(resourceSpans))
            {
                if (rsField != 2) continue;
                var scope = "";
                var raw = new List<byte[]>();
                foreach (var (ssField, value) in Fields(scopeSpans))
                {
                    if (ssField == 1) scope = Text(Fields(value).FirstOrDefault(f => f.Field == 1).Value);
                    else if (ssField == 2) raw.Add(value);
                }
                spans.AddRange(raw.Select(r => Span(scope, r)));
            }
        }
        return spans;
    }

    private static ReceivedSpan Span(string scope, byte[] span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (field, value) in Fields(span))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value); break;
                case 2: spanId = Convert.ToHexStringLower(value); break;
                case 4: parent = Convert.ToHexStringLower(value); break;
                case 5: name = Text(value); break;
                case 9:
                    var pair = Fields(value).ToList();
                    var key = Text(pair.FirstOrDefault(p => p.Field == 1).Value);
                    var any = pair.FirstOrDefault(p => p.Field == 2).Value;
                    attributes[key] = any is null ? "" : AnyValue(any);
                    break;
            }
        }
        return new ReceivedSpan(scope, traceId, spanId, parent, name, attributes);
    }

    private static string AnyValue(byte[] any)
    {
        var reader = new WireReader(any);
        while (reader.Next(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (1, 2): return Text(reader.Bytes());
                case (2, 0): return reader.Varint() != 0 ? "true" : "false";
                case (3, 0): return ((long)reader.Varint()).ToString(System.Globalization.CultureInfo.InvariantCulture);
                case (4, 1): return BitConverter.Int64BitsToDouble((long)reader.Fixed64()).ToString(System.Globalization.CultureInfo.InvariantCulture);
                default: reader.Skip(wireType); break;
            }
        }
        return "";
    }

    private static string Text(byte[]? value) => value is null ? "" : Encoding.UTF8.GetString(value);

    /// <summary>The length-delimited fields of a message (other wire types skipped).</summary>
    private static IEnumerable<(int Field, byte[] Value)> Fields(byte[]? message)
    {
        if (message is null) yield break;
        var reader = new WireReader(message);
        while (reader.Next(out var field, out var wireType))
        {
            if (wireType == 2) yield return (field, reader.Bytes());
            else reader.Skip(wireType);
        }
    }

    private sealed class WireReader(byte[] data)
    {
        private int _at;

        public bool Next(out int field, out int wireType)
        {
            field = wireType = 0;
            if (_at >= data.Length) return false;
            var key = Varint();
            field = (int)(key >> 3);
            wireType = (int)(key & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = data[_at++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80) return value;
            }
            throw new FormatException("varint longer than 10 bytes");
        }

        public byte[] Bytes()
        {
            var length = checked((int)Varint());
            var value = data.AsSpan(_at, length).ToArray();
            _at += length;
            return value;
        }

        public ulong Fixed64()
        {
            var value = BitConverter.ToUInt64(data, _at);
            _at += 8;
            return value;
        }

        public void Skip(int wireType)
        {
            switch (wireType)
            {
                case 0: Varint(); break;
                case 1: _at += 8; break;
                case 2: Bytes(); break;
                case 5: _at += 4; break;
                default: throw new FormatException($"wire type {wireType} is not used by OTLP");
            }
        }
    }
}
