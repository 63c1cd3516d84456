namespace Attest.Server.Signing;

/// <summary>
/// The predicate types only Attest's own checks issue (<c>https://attest.dev/attestations/…</c>). A client asking to
/// sign one is refused whatever the spelling: the type is compared as a URI after normalisation (surrounding spaces,
/// scheme and host case, a trailing dot on the host, default or explicit ports, user info, percent-encoding, doubled
/// slashes and dot segments), so no variant a lenient verifier might fold into the reserved type can be minted.
/// </summary>
public static class ReservedPredicateTypes
{
    public const string Prefix = "https://attest.dev/attestations/";

    private const string Host = "attest.dev";

    /// <summary>Whether <paramref name="predicateType"/> names (a spelling of) a type under <see cref="Prefix"/>.</summary>
    public static bool IsReserved(string predicateType)
    {
        ArgumentNullException.ThrowIfNull(predicateType);
        if (!Uri.TryCreate(predicateType.Trim(), UriKind.Absolute, out var uri) || uri.HostNameType is UriHostNameType.Unknown) return false;
        // Any scheme and port: http://attest.dev:8443/attestations/… is as much a forgery as the https form.
        if (!string.Equals(uri.IdnHost.TrimEnd('.'), Host, StringComparison.OrdinalIgnoreCase)) return false;
        var path = uri.AbsolutePath;
        for (var round = 0; round < 4; round++)
        {
            var decoded = Uri.UnescapeDataString(path);
            if (decoded == path) break;
            path = decoded;
        }
        var segments = new List<string>();
        foreach (var segment in path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".") continue;
            if (segment == "..")
            {
                if (segments.Count > 0) segments.RemoveAt(segments.Count - 1);
                continue;
            }
            segments.Add(segment.Trim());
        }
        return segments.Count > 0 && string.Equals(segments[0], "attestations", StringComparison.OrdinalIgnoreCase);
    }
}
