using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Attest.Oci;

/// <summary>
/// The one canonical spelling of a registry host (<c>host[:port]</c>), so that a policy, a cache and the ledger see
/// one name for one registry whatever alias a workload wrote: lower case; the default HTTPS port dropped and ports
/// without leading zeros; Docker Hub's aliases (<c>index.docker.io</c>, <c>registry-1.docker.io</c>, <c>registry.hub.docker.com</c>,
/// with or without <c>:443</c>) as <c>docker.io</c>; every spelling of this machine (<c>localhost</c>, <c>127.0.0.0/8</c> in any IPv4
/// notation, <c>[::1]</c>, <c>0.0.0.0</c>, <c>[::]</c>, IPv4-mapped forms) as <c>127.0.0.1</c>; other IP literals in their
/// standard form. Names that resolve to the same address through DNS cannot be folded here: deny unmatched images.
/// </summary>
public static class RegistryHost
{
    public const string DockerHub = "docker.io";

    /// <summary>Where Docker Hub's registry API lives.</summary>
    public const string DockerHubApi = "registry-1.docker.io";

    public const string Loopback = "127.0.0.1";

    private static readonly HashSet<string> DockerHubAliases = new(StringComparer.Ordinal) { DockerHub, "index.docker.io", DockerHubApi, "registry.hub.docker.com" };

    /// <summary>The canonical form of <paramref name="host"/> (host[:port], IPv6 in brackets); null when it is not a
    /// host and port at all (empty, bad port, unbalanced brackets).</summary>
    public static string? Canonicalize(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.Length == 0) return null;
        var text = host.ToLowerInvariant();
        string name;
        string? port = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) return null;
            name = text[..(close + 1)];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':') return null;
                port = rest[1..];
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0)
            {
                if (text.IndexOf(':', StringComparison.Ordinal) != colon) return null; // unbracketed IPv6 is not a registry host
                name = text[..colon];
                port = text[(colon + 1)..];
            }
            else
            {
                name = text;
            }
        }
        if (name.Length == 0) return null;
        if (port is not null)
        {
            if (port.Length is 0 or > 5 || !port.All(char.IsAsciiDigit)) return null;
            var number = int.Parse(port, NumberStyles.None, CultureInfo.InvariantCulture);
            if (number is 0 or > 65535) return null;
            port = number == 443 ? null : number.ToString(CultureInfo.InvariantCulture);
        }

        name = CanonicalName(name);
        if (DockerHubAliases.Contains(name) && port is null) return DockerHub;
        return port is null ? name : name + ":" + port;
    }

    /// <summary>The host to connect to for a canonical registry (Docker Hub's API is not at docker.io).</summary>
    public static string ApiHost(string canonicalRegistry) => canonicalRegistry == DockerHub ? DockerHubApi : canonicalRegistry;

    /// <summary>Whether <paramref name="registry"/> is already in canonical form.</summary>
    public static bool IsCanonical(string registry) => Canonicalize(registry) == registry;

    private static string CanonicalName(string name)
    {
        if (name.StartsWith('['))
        {
            if (!IPAddress.TryParse(name.Trim('[', ']'), out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return name;
            if (v6.IsIPv4MappedToIPv6) return CanonicalV4(v6.MapToIPv4());
            return IPAddress.IsLoopback(v6) || v6.Equals(IPAddress.IPv6Any) ? Loopback : "[" + v6 + "]";
        }
        if (name == "localhost" || name.EndsWith(".localhost", StringComparison.Ordinal)) return Loopback; // RFC 6761
        // IPv4 in any notation the system resolver accepts (127.1, 2130706433, 0x7f.0.0.1, 0177.0.0.1).
        if (name.All(c => char.IsAsciiDigit(c) || c is '.' or 'x' || c is >= 'a' and <= 'f') && name.Any(char.IsAsciiDigit)
            && IPAddress.TryParse(name, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork)
            return CanonicalV4(v4);
        return name;
    }

    private static string CanonicalV4(IPAddress address) =>
        IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) ? Loopback : address.ToString();
}
