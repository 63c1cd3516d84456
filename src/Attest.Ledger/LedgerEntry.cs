using System.Globalization;
using System.Text.Json;

namespace Attest.Ledger;

/// <summary>Entry kinds Attest records; one per decision or administrative event.</summary>
public static class LedgerEntryKinds
{
    public const string AdmissionDecision = "admission.decision";
    /// <summary>A signature issued by the signing API. The entry is also a Rekor <c>hashedrekord</c> body (its
    /// <see cref="LedgerEntry.ApiVersion"/> and <see cref="LedgerEntry.Spec"/>), so the ledger serves as the
    /// signature's transparency log and Sigstore verifiers check its inclusion proof directly.</summary>
    public const string SignatureIssued = "hashedrekord";

    /// <summary>An attestation issued by the signing API; also a Rekor <c>dsse</c> body.</summary>
    public const string AttestationIssued = "dsse";
    public const string GoSumVerification = "gosum.verification";
    public const string SbomEvaluation = "sbom.evaluation";

    /// <summary>A record added to the checksum database (the module version is the entry's <c>image</c>, the hashed zip its digest).</summary>
    public const string GoSumRecord = "gosum.record";

    /// <summary>A refused attempt to give a module version the checksum database already holds a different record.</summary>
    public const string GoSumConflict = "gosum.conflict";
    public const string PolicyLoaded = "policy.loaded";
    public const string KeyCreated = "key.created";
    public const string KeyRotated = "key.rotated";
    public const string ClientCreated = "client.created";
    public const string ClientRevoked = "client.revoked";
    /// <summary>An operator's manual record (e.g. a key-compromise notice), appended with <c>attest ledger append</c>.</summary>
    public const string Note = "note";

    /// <summary>A keyless signing certificate issued for a CI identity; details hold the precertificate (RFC 6962) and the claims.</summary>
    public const string CertificateIssued = "certificate.issued";

    /// <summary>A DSSE envelope logged through the Rekor API as an <c>intoto</c> 0.0.2 entry (also its Rekor body).</summary>
    public const string IntotoLogged = "intoto";

    /// <summary>The kinds whose entries are also transparency-log (Rekor) bodies: the only ones that may carry
    /// <see cref="LedgerEntry.ApiVersion"/> and <see cref="LedgerEntry.Spec"/>, and the only ones the transparency-log
    /// lookups (<see cref="ILedgerStore.LookupAsync"/>) return and index.</summary>
    public static readonly IReadOnlySet<string> TransparencyLog = new HashSet<string>(StringComparer.Ordinal) { SignatureIssued, AttestationIssued, IntotoLogged };
}

/// <summary>
/// What a caller appends: a kind, the query fields auditors filter on, and kind-specific details. The ledger
/// assigns the index and the time; the serialized form (<see cref="LedgerEntryCodec"/>) is the Merkle leaf.
/// </summary>
public sealed record LedgerEntry
{
    public required string Kind { get; init; }

    public string? Image { get; init; }

    public string? Digest { get; init; }

    public string? Namespace { get; init; }

    public string? Verdict { get; init; }

    public string? Client { get; init; }

    /// <summary>The CI identity an entry is about: a keyless certificate's subject (its SAN: e-mail address or URI such as a
    /// workflow ref), so the ledger answers "what did this pipeline sign". Issuer and claims go in <see cref="Details"/>.</summary>
    public string? Identity { get; init; }

    /// <summary>Kind-specific evidence (reasons, policy revision, key id …); must be a JSON object.</summary>
    public JsonElement? Details { get; init; }

    /// <summary>With <see cref="Spec"/>: the Rekor entry type version when the entry is also a transparency-log
    /// body (<c>kind</c> <c>hashedrekord</c> or <c>dsse</c>). Rekor verifiers ignore the ledger's other members.</summary>
    public string? ApiVersion { get; init; }

    /// <summary>With <see cref="ApiVersion"/>: the Rekor entry's <c>spec</c> object.</summary>
    public JsonElement? Spec { get; init; }

    public static LedgerEntry AdmissionDecision(string image, string digest, string? @namespace, string verdict, JsonElement? details = null) =>
        new() { Kind = LedgerEntryKinds.AdmissionDecision, Image = image, Digest = digest, Namespace = @namespace, Verdict = verdict, Details = details };

    public static LedgerEntry SignatureIssued(string digest, string client, JsonElement? details = null) =>
        new() { Kind = LedgerEntryKinds.SignatureIssued, Digest = digest, Client = client, Details = details };

    public static LedgerEntry OperatorNote(JsonElement details) => new() { Kind = LedgerEntryKinds.Note, Details = details };

    /// <summary>Entry details from a JSON object built in code (an element detached from any document).</summary>
    public static JsonElement DetailsFrom(System.Text.Json.Nodes.JsonObject details)
    {
        ArgumentNullException.ThrowIfNull(details);
        // Written as UTF-8 and parsed from that: no intermediate string (this runs once per admission decision).
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer)) details.WriteTo(writer);
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}

/// <summary>An entry as the log holds it: its index, the time it was sequenced, and the exact leaf bytes.</summary>
public sealed record SequencedEntry(long Index, DateTimeOffset RecordedAt, LedgerEntry Entry, byte[] Bytes)
{
    public string RecordedAtText => LedgerEntryCodec.FormatTime(RecordedAt);

    public override string ToString() => $"#{Index.ToString(CultureInfo.InvariantCulture)} {Entry.Kind}";
}
