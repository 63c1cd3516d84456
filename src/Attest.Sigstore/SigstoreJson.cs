using System.Text.Json;
using System.Text.Json.Serialization;

namespace Attest.Sigstore;

// Proto3 JSON mapping of the sigstore protobuf-specs messages (camelCase names, int64 as strings or numbers,
// bytes as base64 strings decoded by Base64Field as they are read). Bundle messages reject unknown members, as Go protojson does in
// sigstore-go; trusted-root messages (trusted input, newer fields appear) ignore them. Certificate chains and raw
// bytes are shared by both, so RawBytesJson and CertificateChainJson stay lenient.

internal sealed class TimeRangeJson
{
    public DateTimeOffset? Start { get; set; }
    public DateTimeOffset? End { get; set; }
}

internal sealed class PublicKeyJson
{
    public Base64Field? RawBytes { get; set; }
    public string? KeyDetails { get; set; }
    public TimeRangeJson? ValidFor { get; set; }
}

internal sealed class LogIdJson
{
    public Base64Field? KeyId { get; set; }
}

internal sealed class TransparencyLogInstanceJson
{
    public string? BaseUrl { get; set; }
    public string? HashAlgorithm { get; set; }
    public PublicKeyJson? PublicKey { get; set; }
    public LogIdJson? LogId { get; set; }
    public LogIdJson? CheckpointKeyId { get; set; }
    public string? Operator { get; set; }
}

internal sealed class RawBytesJson
{
    public Base64Field? RawBytes { get; set; }
}

internal sealed class CertificateChainJson
{
    public List<RawBytesJson>? Certificates { get; set; }
}

internal sealed class DistinguishedNameJson
{
    public string? Organization { get; set; }
    public string? CommonName { get; set; }
}

internal sealed class CertificateAuthorityJson
{
    public DistinguishedNameJson? Subject { get; set; }
    public string? Uri { get; set; }
    public CertificateChainJson? CertChain { get; set; }
    public TimeRangeJson? ValidFor { get; set; }
    public string? Operator { get; set; }
}

internal sealed class TrustedRootJson
{
    public string? MediaType { get; set; }
    public List<TransparencyLogInstanceJson>? Tlogs { get; set; }
    public List<CertificateAuthorityJson>? CertificateAuthorities { get; set; }
    public List<TransparencyLogInstanceJson>? Ctlogs { get; set; }
    public List<CertificateAuthorityJson>? TimestampAuthorities { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class BundleJson
{
    public string? MediaType { get; set; }
    public VerificationMaterialJson? VerificationMaterial { get; set; }
    public MessageSignatureJson? MessageSignature { get; set; }
    public JsonElement? DsseEnvelope { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class VerificationMaterialJson
{
    public PublicKeyIdentifierJson? PublicKey { get; set; }
    public CertificateChainJson? X509CertificateChain { get; set; }
    public RawBytesJson? Certificate { get; set; }
    public List<TransparencyLogEntryJson>? TlogEntries { get; set; }
    public TimestampVerificationDataJson? TimestampVerificationData { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class PublicKeyIdentifierJson
{
    public string? Hint { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class TimestampVerificationDataJson
{
    public List<Rfc3161TimestampJson>? Rfc3161Timestamps { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class Rfc3161TimestampJson
{
    public Base64Field? SignedTimestamp { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class KindVersionJson
{
    public string? Kind { get; set; }
    public string? Version { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class InclusionPromiseJson
{
    public Base64Field? SignedEntryTimestamp { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class CheckpointJson
{
    public string? Envelope { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class InclusionProofJson
{
    public long? LogIndex { get; set; }
    public Base64Field? RootHash { get; set; }
    public long? TreeSize { get; set; }
    public List<Base64Field?>? Hashes { get; set; }
    public CheckpointJson? Checkpoint { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class TransparencyLogEntryJson
{
    public long? LogIndex { get; set; }
    public LogIdJson? LogId { get; set; }
    public KindVersionJson? KindVersion { get; set; }
    public long? IntegratedTime { get; set; }
    public InclusionPromiseJson? InclusionPromise { get; set; }
    public InclusionProofJson? InclusionProof { get; set; }
    public Base64Field? CanonicalizedBody { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class MessageDigestJson
{
    public string? Algorithm { get; set; }
    public Base64Field? Digest { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class MessageSignatureJson
{
    public MessageDigestJson? MessageDigest { get; set; }
    public Base64Field? Signature { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    AllowDuplicateProperties = false,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(TrustedRootJson))]
[JsonSerializable(typeof(BundleJson))]
internal sealed partial class SigstoreJsonContext : JsonSerializerContext;
