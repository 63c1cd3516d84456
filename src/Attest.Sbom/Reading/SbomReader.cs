using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Sbom.Json;
using Attest.Sbom.Model;

namespace Attest.Sbom.Reading;

/// <summary>How the SBOM arrived when it was not a bare document.</summary>
public sealed record SbomAttestation(string PredicateType, IReadOnlyList<AttestationSubject> Subjects, IReadOnlyList<string> Envelopes);

public sealed record AttestationSubject(string? Name, IReadOnlyDictionary<string, string> Digests);

/// <summary>The outcome of reading: the document (null when the input is unusable) and every finding about the
/// input (unusable-input codes, or schema violations of a document that was still read).</summary>
public sealed record SbomReadResult(SbomDocument? Document, IReadOnlyList<Finding> Findings, SbomAttestation? Attestation, long Bytes)
{
    public bool IsUsable => Document is not null;
}

/// <summary>
/// Entry point: sniffs the format (SPDX 2 <c>spdxVersion</c>, SPDX 3 <c>@context</c>/<c>@graph</c>, CycloneDX
/// <c>bomFormat</c>) and unwraps the forms SBOMs arrive in as attestations: a DSSE envelope, an in-toto Statement
/// with predicate type <c>https://spdx.dev/Document</c> or <c>https://cyclonedx.org/bom</c> (and versioned or
/// legacy <c>https://cyclonedx.org/schema</c> URIs, matched by prefix), cosign's raw-string <c>spdx</c> predicate,
/// and the cosign 1.x <c>{"Data": …, "Timestamp": …}</c> wrapper. Signatures are not verified here; the caller
/// decides whether an attestation is trusted before checking its SBOM.
/// </summary>
public static class SbomReader
{
    private const int MaxUnwrap = 4;

    public static SbomReadResult ReadFile(string path, SbomLimits? limits = null)
    {
        limits ??= SbomLimits.Default;
        var info = new FileInfo(path);
        if (info.Length > limits.MaxBytes)
            return new SbomReadResult(null, [TooLarge(info.Length, limits)], null, info.Length);
        var bytes = File.ReadAllBytes(path);
        return Read(bytes, limits);
    }

    /// <summary>Reads at most <see cref="SbomLimits.MaxBytes"/> from <paramref name="stream"/>; a longer stream is
    /// rejected without reading further.</summary>
    public static SbomReadResult Read(Stream stream, SbomLimits? limits = null)
    {
        limits ??= SbomLimits.Default;
        // Past the limit only "more than" is known (reading stops there): the finding says the limit plus one.
        return Attest.Core.IO.BoundedRead.ReadAll(stream, limits.MaxBytes) is { } bytes
            ? Read(bytes, limits)
            : new SbomReadResult(null, [TooLarge(limits.MaxBytes + 1, limits)], null, limits.MaxBytes + 1);
    }

    public static SbomReadResult Read(ReadOnlyMemory<byte> json, SbomLimits? limits = null)
    {
        limits ??= SbomLimits.Default;
        var total = json.Length;
        string? predicateType = null;
        var subjects = new List<AttestationSubject>();
        var envelopes = new List<string>();
        for (var round = 0; ; round++)
        {
            json = JsonGuard.StripBom(json);
            if (JsonGuard.Check(json.Span, limits) is { } problem)
                return new SbomReadResult(null, [problem], Attestation(), total);
            var sniff = Sniff(json.Span, limits);
            if (round >= MaxUnwrap && sniff.Kind is not (Kind.CycloneDx or Kind.Spdx2 or Kind.Spdx2Legacy or Kind.Spdx3))
                return Unusable(SbomCodes.AttestationMalformed, "The SBOM is wrapped more than four times.");
            switch (sniff.Kind)
            {
                case Kind.CycloneDx:
                case Kind.Spdx2:
                case Kind.Spdx2Legacy:
                case Kind.Spdx3:
                    if (predicateType is not null && !PredicateMatches(predicateType, sniff.Kind))
                        return Unusable(SbomCodes.AttestationMalformed, $"The predicate type is {predicateType} but the predicate is a {Describe(sniff.Kind)} document.");
                    return ReadDocument(json, sniff, limits, total, Attestation());
                case Kind.Dsse:
                    envelopes.Add("dsse");
                    if (sniff.PayloadType is not ("application/vnd.in-toto+json" or null))
                        return Unusable(SbomCodes.AttestationMalformed, $"The DSSE payload type '{Short(sniff.PayloadType)}' is not an in-toto statement.");
                    if (!TryBase64(sniff.Payload, out var payload))
                        return Unusable(SbomCodes.AttestationMalformed, "The DSSE payload is not valid base64.");
                    json = payload;
                    continue;
                case Kind.Statement:
                    envelopes.Add("in-toto");
                    predicateType = sniff.PredicateType;
                    if (predicateType is null || !IsSbomPredicate(predicateType))
                        return Unusable(SbomCodes.AttestationUnsupportedPredicate,
                            $"The in-toto predicate type '{Short(predicateType)}' is not an SBOM (expected https://spdx.dev/Document or https://cyclonedx.org/bom).");
                    subjects.AddRange(sniff.Subjects);
                    if (sniff.PredicateSlice is not { } predicate)
                        return Unusable(SbomCodes.AttestationMalformed, "The in-toto statement has no predicate.");
                    json = json.Slice(predicate.Start, predicate.Length);
                    continue;
                case Kind.JsonString:
                    // cosign attest --type spdx: the SBOM file as a JSON string.
                    envelopes.Add("raw-string");
                    json = Encoding.UTF8.GetBytes(sniff.StringValue!);
                    continue;
                case Kind.CosignLegacyWrapper:
                    envelopes.Add("cosign-data-wrapper");
                    json = json.Slice(sniff.DataSlice!.Value.Start, sniff.DataSlice.Value.Length);
                    continue;
                default:
                    return Unusable(SbomCodes.FormatUnknown,
                        "The document is not SPDX 2 (spdxVersion), SPDX 3 (@context/@graph), CycloneDX (bomFormat) or an in-toto attestation carrying one.");
            }
        }

        SbomAttestation? Attestation() => predicateType is null && envelopes.Count == 0 ? null : new SbomAttestation(predicateType ?? "", subjects, envelopes);
        SbomReadResult Unusable(string code, string message) => new(null, [new Finding(code, message)], Attestation(), total);
    }

    /// <summary>Predicate types accepted as SBOMs (prefix match covers versioned URIs such as
    /// <c>https://spdx.dev/Document/v2.3</c> and <c>https://cyclonedx.org/bom/v1.6</c>).</summary>
    public static bool IsSbomPredicate(string predicateType) =>
        predicateType.StartsWith("https://spdx.dev/Document", StringComparison.Ordinal)
        || predicateType.StartsWith("https://cyclonedx.org/bom", StringComparison.Ordinal)
        || predicateType.StartsWith("https://cyclonedx.org/schema", StringComparison.Ordinal);

    private static bool PredicateMatches(string predicateType, Kind kind) =>
        predicateType.StartsWith("https://spdx.dev/Document", StringComparison.Ordinal)
            ? kind is Kind.Spdx2 or Kind.Spdx2Legacy or Kind.Spdx3
            : kind is Kind.CycloneDx;

    private static SbomReadResult ReadDocument(ReadOnlyMemory<byte> json, SniffResult sniff, SbomLimits limits, long total, SbomAttestation? attestation)
    {
        var violations = new Violations(limits);
        (SbomDocument? Document, Finding? Unusable) result;
        switch (sniff.Kind)
        {
            case Kind.CycloneDx:
                if (sniff.Version is null)
                    return new SbomReadResult(null, [new Finding(SbomCodes.FormatUnsupportedVersion, "The CycloneDX document has no specVersion.")], attestation, total);
                if (!CycloneDxReader.IsSupportedVersion(sniff.Version))
                    return new SbomReadResult(null, [new Finding(SbomCodes.FormatUnsupportedVersion, $"CycloneDX specVersion '{Short(sniff.Version)}' is not supported (1.2 to 1.7).")], attestation, total);
                result = CycloneDxReader.Read(json, sniff.Version, limits, violations);
                break;
            case Kind.Spdx2:
                if (sniff.Version is not ("SPDX-2.2" or "SPDX-2.3"))
                    return new SbomReadResult(null, [new Finding(SbomCodes.FormatUnsupportedVersion, $"spdxVersion '{Short(sniff.Version)}' is not supported (SPDX-2.2, SPDX-2.3).")], attestation, total);
                result = Spdx2Reader.Read(json, limits, violations);
                break;
            case Kind.Spdx2Legacy:
                result = Spdx2Reader.Read(json.Slice(sniff.DataSlice!.Value.Start, sniff.DataSlice.Value.Length), limits, violations, "$.Document");
                break;
            default:
                result = Spdx3Reader.Read(json, limits, violations);
                break;
        }
        if (result.Unusable is { } unusable) return new SbomReadResult(null, [unusable], attestation, total);
        return new SbomReadResult(result.Document, violations.ToFindings(), attestation, total);
    }

    private enum Kind
    {
        Unknown,
        CycloneDx,
        Spdx2,
        Spdx2Legacy,
        Spdx3,
        Statement,
        Dsse,
        JsonString,
        CosignLegacyWrapper,
    }

    private sealed record SniffResult(Kind Kind)
    {
        public string? Version { get; init; }
        public string? PredicateType { get; init; }
        public (int Start, int Length)? PredicateSlice { get; init; }
        public (int Start, int Length)? DataSlice { get; init; }
        public List<AttestationSubject> Subjects { get; init; } = [];
        public string? PayloadType { get; init; }
        public string? Payload { get; init; }
        public string? StringValue { get; init; }
    }

    /// <summary>One pass over the top level only (values are skipped, except the few scalars that decide the kind).</summary>
    private static SniffResult Sniff(ReadOnlySpan<byte> json, SbomLimits limits)
    {
        var reader = new Utf8JsonReader(json, JsonGuard.ReaderOptions(limits));
        reader.Read();
        if (reader.TokenType == JsonTokenType.String) return new SniffResult(Kind.JsonString) { StringValue = reader.GetString() };
        if (reader.TokenType != JsonTokenType.StartObject) return new SniffResult(Kind.Unknown);
        string? bomFormat = null, specVersion = null, spdxVersion = null, type = null, predicateType = null, payloadType = null, payload = null;
        bool context = false, graph = false, timestamp = false, signatures = false;
        (int, int)? predicate = null, data = null, document = null;
        var subjects = new List<AttestationSubject>();
        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            count++;
            var name = reader.GetString();
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            switch (name)
            {
                case "bomFormat": bomFormat = Scalar(ref reader); break;
                case "specVersion": specVersion = Scalar(ref reader); break;
                case "spdxVersion": spdxVersion = Scalar(ref reader); break;
                case "_type": type = Scalar(ref reader); break;
                case "predicateType": predicateType = Scalar(ref reader); break;
                case "payloadType": payloadType = Scalar(ref reader); break;
                case "payload": payload = Scalar(ref reader); break;
                case "@context": context = true; reader.Skip(); break;
                case "@graph": graph = true; reader.Skip(); break;
                case "Timestamp": timestamp = true; reader.Skip(); break;
                case "signatures": signatures = true; reader.Skip(); break;
                case "subject":
                    using (var doc = JsonDocument.ParseValue(ref reader))
                        foreach (var s in doc.RootElement.Items("subject").Concat(doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.EnumerateArray() : []))
                        {
                            if (s.ValueKind != JsonValueKind.Object) continue;
                            var digests = new Dictionary<string, string>(StringComparer.Ordinal);
                            if (s.Prop("digest") is { ValueKind: JsonValueKind.Object } d)
                                foreach (var p in d.EnumerateObject())
                                    if (p.Value.ValueKind == JsonValueKind.String) digests[p.Name] = p.Value.GetString()!;
                            subjects.Add(new AttestationSubject(s.Str("name"), digests));
                        }
                    break;
                case "predicate":
                    reader.Skip();
                    predicate = (start, (int)reader.BytesConsumed - start);
                    break;
                case "Data":
                    reader.Skip();
                    data = (start, (int)reader.BytesConsumed - start);
                    break;
                case "Document":
                    reader.Skip();
                    document = (start, (int)reader.BytesConsumed - start);
                    break;
                default: reader.Skip(); break;
            }
        }
        if (bomFormat is not null) return new SniffResult(Kind.CycloneDx) { Version = specVersion };
        if (spdxVersion is not null) return new SniffResult(Kind.Spdx2) { Version = spdxVersion };
        if (context || graph) return new SniffResult(Kind.Spdx3);
        if (type is not null && type.StartsWith("https://in-toto.io/Statement", StringComparison.Ordinal))
            return new SniffResult(Kind.Statement) { PredicateType = predicateType, PredicateSlice = predicate, Subjects = subjects };
        if (payload is not null && (payloadType is not null || signatures))
            return new SniffResult(Kind.Dsse) { PayloadType = payloadType, Payload = payload };
        if (data is not null && (timestamp || count == 1)) return new SniffResult(Kind.CosignLegacyWrapper) { DataSlice = data };
        if (document is not null && count == 1) return new SniffResult(Kind.Spdx2Legacy) { DataSlice = document };
        return new SniffResult(Kind.Unknown);
    }

    private static string? Scalar(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String) return reader.GetString();
        reader.Skip();
        return null;
    }

    private static bool TryBase64(string? text, out ReadOnlyMemory<byte> bytes)
    {
        bytes = default;
        if (text is null) return false;
        var buffer = new byte[text.Length * 3 / 4 + 3];
        if (Convert.TryFromBase64String(text, buffer, out var written)) { bytes = buffer.AsMemory(0, written); return true; }
        // DSSE allows URL-safe base64 as well.
        var standard = text.Replace('-', '+').Replace('_', '/');
        standard = standard.PadRight(standard.Length + (4 - standard.Length % 4) % 4, '=');
        if (Convert.TryFromBase64String(standard, buffer, out written)) { bytes = buffer.AsMemory(0, written); return true; }
        return false;
    }

    private static string Describe(Kind kind) => kind switch
    {
        Kind.CycloneDx => "CycloneDX",
        Kind.Spdx3 => "SPDX 3",
        _ => "SPDX 2",
    };

    private static Finding TooLarge(long bytes, SbomLimits limits) =>
        new(SbomCodes.InputTooLarge, $"The document is larger than the limit of {limits.MaxBytes} bytes.",
            new Dictionary<string, string> { ["bytes"] = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), ["limit"] = limits.MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    private static string Short(string? s) => s is null ? "(none)" : s.Length <= 80 ? s : s[..80] + "…";
}
