using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Attest.Core.X509;

/// <summary>
/// The Fulcio certificate extensions under 1.3.6.1.4.1.57264.1 (fulcio docs/oid-info.md). Arcs 1–6 hold the value as
/// raw UTF-8 bytes in the extension's OCTET STRING; arcs 8–24 hold a DER UTF8String. Arc 7 is the OtherName SAN type,
/// not an extension.
/// </summary>
public sealed class FulcioExtensions
{
    public const string Arc = "1.3.6.1.4.1.57264.1";
    public const int MaxValueBytes = 64 * 1024;

    private static readonly string[] Names =
    [
        "",
        "Issuer (deprecated)", "GitHubWorkflowTrigger", "GitHubWorkflowSha", "GitHubWorkflowName", "GitHubWorkflowRepository",
        "GitHubWorkflowRef", "OtherName", "Issuer", "BuildSignerURI", "BuildSignerDigest", "RunnerEnvironment",
        "SourceRepositoryURI", "SourceRepositoryDigest", "SourceRepositoryRef", "SourceRepositoryIdentifier", "SourceRepositoryOwnerURI",
        "SourceRepositoryOwnerIdentifier", "BuildConfigURI", "BuildConfigDigest", "BuildTrigger", "RunInvocationURI",
        "SourceRepositoryVisibilityAtSigning", "DeploymentEnvironment", "TokenSubject",
    ];

    private readonly Dictionary<int, string> _values;

    private FulcioExtensions(Dictionary<int, string> values) => _values = values;

    /// <summary>Values by arc number (1–24, without 7).</summary>
    public IReadOnlyDictionary<int, string> Values => _values;

    /// <summary>The OIDC issuer: arc 8 (DER UTF8String) when present, else the deprecated arc 1 (raw bytes).</summary>
    public string? Issuer => _values.TryGetValue(8, out var v2) ? v2 : _values.GetValueOrDefault(1);

    public string? Get(int arc) => _values.GetValueOrDefault(arc);

    public static string NameOf(int arc) => arc >= 1 && arc < Names.Length ? Names[arc] : $"{Arc}.{arc}";

    /// <summary>Reads the Fulcio extensions of a certificate; throws <see cref="CryptographicException"/> when one is malformed.</summary>
    public static FulcioExtensions Read(X509Certificate2 certificate)
    {
        var values = new Dictionary<int, string>();
        foreach (var extension in certificate.Extensions)
        {
            var oid = extension.Oid?.Value;
            if (oid is null || !oid.StartsWith(Arc + ".", StringComparison.Ordinal)) continue;
            if (!int.TryParse(oid.AsSpan(Arc.Length + 1), out var arc) || arc is < 1 or > 24 or 7) continue;
            if (!values.TryAdd(arc, Decode(arc, extension.RawData)))
                throw new CryptographicException($"certificate repeats Fulcio extension {Arc}.{arc}");
        }
        return new FulcioExtensions(values);
    }

    /// <summary>Reads the Fulcio extensions of parsed certificate fields; throws <see cref="CryptographicException"/> when one is malformed.</summary>
    public static FulcioExtensions Read(CertificateFields certificate)
    {
        var values = new Dictionary<int, string>();
        foreach (var extension in certificate.Extensions)
        {
            var oid = extension.Oid;
            if (!oid.StartsWith(Arc + ".", StringComparison.Ordinal)) continue;
            if (!int.TryParse(oid.AsSpan(Arc.Length + 1), out var arc) || arc is < 1 or > 24 or 7) continue;
            if (!values.TryAdd(arc, Decode(arc, extension.Value.Span)))
                throw new CryptographicException($"certificate repeats Fulcio extension {Arc}.{arc}");
        }
        return new FulcioExtensions(values);
    }

    /// <summary>Decodes one extension value by the encoding its arc uses.</summary>
    public static string Decode(int arc, ReadOnlySpan<byte> value)
    {
        if (value.Length > MaxValueBytes) throw new CryptographicException($"Fulcio extension {Arc}.{arc} is larger than {MaxValueBytes} bytes");
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        try
        {
            if (arc <= 6) return strict.GetString(value);
            var reader = new AsnReader(value.ToArray(), AsnEncodingRules.DER);
            var text = reader.ReadCharacterString(UniversalTagNumber.UTF8String);
            reader.ThrowIfNotEmpty();
            return text;
        }
        catch (Exception e) when (e is AsnContentException or DecoderFallbackException)
        {
            throw new CryptographicException($"Fulcio extension {Arc}.{arc} ({NameOf(arc)}) is not encoded as {(arc <= 6 ? "UTF-8" : "a DER UTF8String")}", e);
        }
    }
}
