using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Crypto;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Sigstore.TrustRoot;

/// <summary>A validity period from a trusted root. Both ends are inclusive (closed interval); a missing end is open.</summary>
public readonly record struct TimeRange(DateTimeOffset Start, DateTimeOffset? End)
{
    public bool Contains(DateTimeOffset t) => t >= Start && (End is null || t <= End.Value);

    public override string ToString() => $"[{Start:O}, {(End is null ? "∞" : End.Value.ToString("O"))}]";
}

/// <summary>A Rekor or CT log from <c>tlogs</c>/<c>ctlogs</c>. <see cref="Key"/> is null when the root names a key
/// type Attest does not read; such a log can never verify anything.</summary>
public sealed class TransparencyLogInstance
{
    internal TransparencyLogInstance(string baseUrl, PublicKey? key, string keyDetails, TimeRange validFor, byte[] logId, byte[] checkpointKeyHint)
    {
        BaseUrl = baseUrl;
        Key = key;
        KeyDetails = keyDetails;
        ValidFor = validFor;
        LogId = logId;
        CheckpointKeyHint = checkpointKeyHint;
        var scheme = baseUrl.IndexOf("://", StringComparison.Ordinal);
        Origin = scheme < 0 ? baseUrl : baseUrl[(scheme + 3)..];
    }

    public string BaseUrl { get; }

    /// <summary><see cref="BaseUrl"/> without its scheme (host, port and path as written): the checkpoint origin of a
    /// Rekor v2 log and the name it signs them under, as sigstore's Go clients derive it.</summary>
    public string Origin { get; }

    public PublicKey? Key { get; }

    public string KeyDetails { get; }

    public TimeRange ValidFor { get; }

    /// <summary>The log ID as the root states it (SHA-256 of the SPKI for Rekor v1 and CT; the signed-note key hash for Rekor v2 Ed25519).</summary>
    public byte[] LogId { get; }

    /// <summary>The 4-byte key hint of this log's checkpoint signatures.</summary>
    public byte[] CheckpointKeyHint { get; }
}

/// <summary>A Fulcio CA or a timestamp authority: a chain leaf→…→anchor (the last certificate is the trust anchor) and its validity.</summary>
public sealed class CertificateAuthority
{
    internal CertificateAuthority(string uri, IReadOnlyList<X509Certificate2> certificates, TimeRange validFor)
    {
        Uri = uri;
        Certificates = certificates;
        ValidFor = validFor;
    }

    public string Uri { get; }

    public IReadOnlyList<X509Certificate2> Certificates { get; }

    public X509Certificate2 Anchor => Certificates[^1];

    public TimeRange ValidFor { get; }
}

/// <summary>
/// A Sigstore trusted root (protobuf-specs <c>dev.sigstore.trustroot.v1.TrustedRoot</c>): the Rekor logs, Fulcio CAs,
/// CT logs and TSAs a verifier trusts. Loaded once and shared; immutable.
/// </summary>
public sealed class TrustedRoot
{
    public const string MediaTypeV01 = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
    public const string MediaTypeV02 = "application/vnd.dev.sigstore.trustedroot.v0.2+json";
    private const string PublicGoodResource = "Attest.Sigstore.Resources.public-good-trusted-root.json";

    private static readonly Lazy<TrustedRoot> PublicGoodRoot = new(LoadPublicGood);

    private TrustedRoot(IReadOnlyList<TransparencyLogInstance> tlogs, IReadOnlyList<CertificateAuthority> certificateAuthorities,
        IReadOnlyList<TransparencyLogInstance> ctlogs, IReadOnlyList<CertificateAuthority> timestampAuthorities)
    {
        TransparencyLogs = tlogs;
        CertificateAuthorities = certificateAuthorities;
        CertificateTransparencyLogs = ctlogs;
        TimestampAuthorities = timestampAuthorities;
    }

    public IReadOnlyList<TransparencyLogInstance> TransparencyLogs { get; }

    public IReadOnlyList<CertificateAuthority> CertificateAuthorities { get; }

    public IReadOnlyList<TransparencyLogInstance> CertificateTransparencyLogs { get; }

    public IReadOnlyList<CertificateAuthority> TimestampAuthorities { get; }

    /// <summary>The Sigstore public-good production root embedded in this assembly (from npm @sigstore/tuf 5.0.1).</summary>
    public static TrustedRoot PublicGood => PublicGoodRoot.Value;

    public TransparencyLogInstance? FindTransparencyLog(ReadOnlySpan<byte> logId)
    {
        foreach (var log in TransparencyLogs)
            if (log.LogId.AsSpan().SequenceEqual(logId)) return log;
        return null;
    }

    public static TrustedRoot Parse(ReadOnlySpan<byte> json, SigstoreLimits? limits = null) =>
        TryParse(json, out var root, out var finding, limits) ? root : throw new FormatException(finding.ToString());

    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out TrustedRoot? root, [NotNullWhen(false)] out Finding? finding, SigstoreLimits? limits = null)
    {
        limits ??= SigstoreLimits.Default;
        root = null;
        if (json.Length > limits.MaxTrustedRootBytes)
            return Fail(SigstoreCodes.TrustRootMalformed, $"The trusted root is {json.Length} bytes, more than the {limits.MaxTrustedRootBytes}-byte limit.", out finding);
        TrustedRootJson? dto;
        try
        {
            // Proto field names (certificate_authorities, raw_bytes ...) are accepted as protobuf JSON allows.
            if (ProtoJsonNames.ToJsonNames(json, limits.MaxJsonDepth) is { } renamed) json = renamed;
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = limits.MaxJsonDepth, CommentHandling = JsonCommentHandling.Disallow });
            dto = JsonSerializer.Deserialize(ref reader, SigstoreJsonContext.Default.TrustedRootJson);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) // InvalidOperationException: invalid UTF-8 or a lone surrogate inside a string
        {
            return Fail(SigstoreCodes.TrustRootMalformed, $"The trusted root is not valid JSON: {e.Message}", out finding);
        }
        if (dto is null) return Fail(SigstoreCodes.TrustRootMalformed, "The trusted root is JSON null.", out finding);
        if (dto.MediaType is not (MediaTypeV01 or MediaTypeV02))
            return Fail(SigstoreCodes.TrustRootMediaType, $"The trusted root media type '{dto.MediaType}' is not a supported trustedroot version (0.1, 0.2).", out finding);

        var tlogs = new List<TransparencyLogInstance>();
        foreach (var item in dto.Tlogs ?? [])
        {
            if (tlogs.Count == limits.MaxTrustedRootEntries) return Fail(SigstoreCodes.TrustRootMalformed, "The trusted root lists too many transparency logs.", out finding);
            if (!TryReadLog(item, "tlog", out var log, out finding)) return false;
            tlogs.Add(log);
        }
        var ctlogs = new List<TransparencyLogInstance>();
        foreach (var item in dto.Ctlogs ?? [])
        {
            if (ctlogs.Count == limits.MaxTrustedRootEntries) return Fail(SigstoreCodes.TrustRootMalformed, "The trusted root lists too many CT logs.", out finding);
            if (!TryReadLog(item, "ctlog", out var log, out finding)) return false;
            ctlogs.Add(log);
        }
        var cas = new List<CertificateAuthority>();
        foreach (var item in dto.CertificateAuthorities ?? [])
        {
            if (cas.Count == limits.MaxTrustedRootEntries) return Fail(SigstoreCodes.TrustRootMalformed, "The trusted root lists too many certificate authorities.", out finding);
            if (!TryReadAuthority(item, "certificate authority", limits, out var ca, out finding)) return false;
            cas.Add(ca);
        }
        var tsas = new List<CertificateAuthority>();
        foreach (var item in dto.TimestampAuthorities ?? [])
        {
            if (tsas.Count == limits.MaxTrustedRootEntries) return Fail(SigstoreCodes.TrustRootMalformed, "The trusted root lists too many timestamp authorities.", out finding);
            if (!TryReadAuthority(item, "timestamp authority", limits, out var tsa, out finding)) return false;
            tsas.Add(tsa);
        }
        root = new TrustedRoot(tlogs, cas, ctlogs, tsas);
        finding = null;
        return true;
    }

    private static bool TryReadLog(TransparencyLogInstanceJson item, string what, [NotNullWhen(true)] out TransparencyLogInstance? log, [NotNullWhen(false)] out Finding? finding)
    {
        log = null;
        var name = item.BaseUrl ?? "(no baseUrl)";
        if (item.PublicKey is null || item.PublicKey.RawBytes is null || !item.PublicKey.RawBytes.TryGetBytes(out var raw) || raw.Length == 0)
            return Fail(SigstoreCodes.TrustRootKey, $"The trusted root {what} {name} has no public key.", out finding);
        // sigstore-go (pkg/root/trusted_root.go) rejects a log key without validFor.start; so do we.
        if (item.PublicKey.ValidFor?.Start is not DateTimeOffset start)
            return Fail(SigstoreCodes.TrustRootValidity, $"The trusted root {what} {name} has no validFor.start for its public key.", out finding);
        var end = item.PublicKey.ValidFor.End;
        if (end is not null && end.Value < start)
            return Fail(SigstoreCodes.TrustRootValidity, $"The trusted root {what} {name} key validity ends before it starts.", out finding);
        if (item.LogId?.KeyId is null || !item.LogId.KeyId.TryGetBytes(out var logId) || logId.Length == 0)
            return Fail(SigstoreCodes.TrustRootKey, $"The trusted root {what} {name} has no logId.", out finding);
        var details = item.PublicKey.KeyDetails ?? "";
        PublicKey? key = null;
        if (details.StartsWith("PKCS1_", StringComparison.Ordinal))
            PublicKey.TryParsePkcs1RsaPublicKey(raw, out key, out _);
        else if (!PublicKey.TryParseSubjectPublicKeyInfo(raw, out key, out _))
            PublicKey.TryParsePkcs1RsaPublicKey(raw, out key, out _);
        byte[] hint;
        if (item.CheckpointKeyId?.KeyId is { } checkpointKeyId && checkpointKeyId.TryGetBytes(out var explicitHint) && explicitHint.Length >= 4)
            hint = explicitHint[..4];
        else
            hint = logId.Length >= 4 ? logId[..4] : logId;
        log = new TransparencyLogInstance(item.BaseUrl ?? "", key, details, new TimeRange(start, end), logId, hint);
        finding = null;
        return true;
    }

    private static bool TryReadAuthority(CertificateAuthorityJson item, string what, SigstoreLimits limits, [NotNullWhen(true)] out CertificateAuthority? authority, [NotNullWhen(false)] out Finding? finding)
    {
        authority = null;
        var name = item.Uri ?? "(no uri)";
        var entries = item.CertChain?.Certificates ?? [];
        if (entries.Count == 0) return Fail(SigstoreCodes.TrustRootCertificate, $"The trusted root {what} {name} has an empty certificate chain.", out finding);
        if (entries.Count > limits.MaxChainLength) return Fail(SigstoreCodes.TrustRootCertificate, $"The trusted root {what} {name} chain is longer than {limits.MaxChainLength}.", out finding);
        var certificates = new List<X509Certificate2>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry.RawBytes is null || !entry.RawBytes.TryGetBytes(out var der) || der.Length == 0 || der.Length > limits.MaxCertificateBytes)
                return Fail(SigstoreCodes.TrustRootCertificate, $"The trusted root {what} {name} has a certificate that is not valid base64 DER.", out finding);
            try
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(der));
            }
            catch (CryptographicException e)
            {
                return Fail(SigstoreCodes.TrustRootCertificate, $"The trusted root {what} {name} has an unreadable certificate: {e.Message}", out finding);
            }
        }
        var start = item.ValidFor?.Start ?? DateTimeOffset.MinValue;
        authority = new CertificateAuthority(item.Uri ?? "", certificates, new TimeRange(start, item.ValidFor?.End));
        finding = null;
        return true;
    }

    private static TrustedRoot LoadPublicGood()
    {
        using var stream = typeof(TrustedRoot).Assembly.GetManifestResourceStream(PublicGoodResource)
            ?? throw new InvalidOperationException($"embedded resource {PublicGoodResource} is missing");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Parse(buffer.ToArray());
    }

    internal static bool Fail(string code, string message, out Finding finding)
    {
        finding = new Finding(code, message);
        return false;
    }

    /// <summary>Rekor v2 / C2SP signed-note key ID of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key).</summary>
    public static byte[] SignedNoteEd25519KeyId(string name, ReadOnlySpan<byte> rawKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var data = new byte[nameBytes.Length + 2 + rawKey.Length];
        nameBytes.CopyTo(data, 0);
        data[nameBytes.Length] = 0x0A;
        data[nameBytes.Length + 1] = 0x01;
        rawKey.CopyTo(data.AsSpan(nameBytes.Length + 2));
        return SHA256.HashData(data);
    }
}
