using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using Attest.Core;

namespace Attest.Notation.Envelopes;

/// <summary>The signed attributes both envelope formats carry, as read from the protected headers.</summary>
internal sealed record SignedHeaders(
    NotationAlgorithm Algorithm, string ContentType, SigningScheme Scheme, DateTimeOffset? SigningTime,
    DateTimeOffset? AuthenticSigningTime, DateTimeOffset? Expiry, IReadOnlyList<ExtendedAttribute> Extended)
{
    public SignatureEnvelope Envelope(
        EnvelopeFormat format, IReadOnlyList<byte[]> chain, byte[]? timestamp, string? agent, byte[] payload, byte[] signature, byte[] signedBytes) => new()
    {
        Format = format,
        Algorithm = Algorithm,
        ContentType = ContentType,
        Scheme = Scheme,
        SigningTime = SigningTime,
        AuthenticSigningTime = AuthenticSigningTime,
        Expiry = Expiry,
        ExtendedAttributes = Extended,
        CertificateChain = chain,
        TimestampToken = timestamp,
        SigningAgent = agent,
        Payload = payload,
        Signature = signature,
        SignedBytes = signedBytes,
    };
}

/// <summary>Checks both envelope formats share once the headers are read: which headers must be critical, which
/// may appear under which signing scheme, and that every critical header is present.</summary>
internal static partial class EnvelopeReading
{
    /// <summary>Headers the specification defines; anything else in the protected headers is an extended attribute.</summary>
    public static readonly IReadOnlySet<string> StandardHeaders = new HashSet<string>(StringComparer.Ordinal)
    {
        NotationMediaTypes.SigningSchemeHeader, NotationMediaTypes.SigningTimeHeader,
        NotationMediaTypes.AuthenticSigningTimeHeader, NotationMediaTypes.ExpiryHeader,
    };

    public static Finding Malformed(string format, string message) =>
        new(NotationCodes.EnvelopeMalformed, $"the {format} signature envelope is malformed: {message}");

    public static Finding Header(string format, string message) =>
        new(NotationCodes.HeaderInvalid, $"the {format} signature envelope's protected headers are invalid: {message}");

    /// <summary>
    /// The critical list must name the signing scheme, the expiry (when present) and the authentic signing time (under
    /// notary.x509.signingAuthority); every name it lists must be a header that is present; under notary.x509 there is no
    /// authentic signing time and under signingAuthority no signing time.
    /// </summary>
    public static Finding? CheckSchemeAndCritical(
        string format, SigningScheme scheme, IReadOnlyCollection<string> critical, Func<string, bool> present, bool hasSigningTime, bool hasAuthenticTime, bool hasExpiry)
    {
        if (scheme == SigningScheme.X509)
        {
            if (hasAuthenticTime) return Header(format, $"'{NotationMediaTypes.AuthenticSigningTimeHeader}' must not be present under notary.x509");
            if (!hasSigningTime) return Header(format, $"'{NotationMediaTypes.SigningTimeHeader}' is required under notary.x509");
        }
        else
        {
            if (hasSigningTime) return Header(format, $"'{NotationMediaTypes.SigningTimeHeader}' must not be present under notary.x509.signingAuthority");
            if (!hasAuthenticTime) return Header(format, $"'{NotationMediaTypes.AuthenticSigningTimeHeader}' is required under notary.x509.signingAuthority");
        }
        if (critical.Count == 0) return Header(format, "the 'crit' header is missing or empty");
        if (critical.Distinct(StringComparer.Ordinal).Count() != critical.Count) return Header(format, "the 'crit' header lists a name twice");
        foreach (var name in critical)
            if (!present(name)) return Header(format, $"'{name}' is marked critical but not present");
        var required = new List<string> { NotationMediaTypes.SigningSchemeHeader };
        if (hasExpiry) required.Add(NotationMediaTypes.ExpiryHeader);
        if (scheme == SigningScheme.X509SigningAuthority) required.Add(NotationMediaTypes.AuthenticSigningTimeHeader);
        var unmarked = required.Where(r => !critical.Contains(r)).ToList();
        if (unmarked.Count > 0) return Header(format, $"required headers are not marked critical: {string.Join(", ", unmarked)}");
        return null;
    }

    /// <summary>RFC 3339 date-time (the JWS envelope's time headers), fractional seconds allowed, offset required.</summary>
    public static bool TryParseRfc3339(string text, [NotNullWhen(true)] out DateTimeOffset? time)
    {
        time = null;
        if (text.Length > 40 || !Rfc3339().IsMatch(text)) return false;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)) return false;
        time = parsed.ToUniversalTime();
        return true;
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex Rfc3339();
}
