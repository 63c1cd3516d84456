using Attest.GoModules;

namespace Attest.Server.SumDb;

/// <summary>
/// The private Go checksum database (section <c>Attest:SumDb</c>): its name (the first part of its verifier key and of
/// the proxy path <c>/sumdb/&lt;name&gt;/</c>), the module path patterns it holds records for (GOPRIVATE syntax), an
/// optional upstream module proxy a lookup miss is fetched from, and its key file.
/// </summary>
public sealed class SumDbOptions
{
    public const string Section = "Attest:SumDb";

    /// <summary>The database name, <c>host[/path]</c> as the go command requires of a checksum database.</summary>
    public string Name { get; set; } = "attest.local/sumdb";

    /// <summary>Module path globs (GOPRIVATE/GONOSUMDB syntax: each matches a leading run of path elements) the database
    /// records and serves; none means it holds nothing. Items, or one comma-separated value.</summary>
    public string[] Patterns { get; set; } = [];

    /// <summary>A module proxy (GOPROXY protocol, http or https) from which a lookup of a module version that matches
    /// <see cref="Patterns"/> but has no record is fetched, hashed and recorded; reached under the egress rules of
    /// <c>Attest:Registries</c> (Allowed, Insecure for plain HTTP, AllowLinkLocal, CaFile). None: a miss is 404.</summary>
    public string? Upstream { get; set; }

    /// <summary>Ed25519 note signer key (Go's <c>PRIVATE+KEY+…</c> form); default <c>&lt;DataDirectory&gt;/keys/sumdb-key</c>,
    /// created on first start, owner-only.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The comma-joined <see cref="Patterns"/>, as <see cref="ModulePath.MatchPrefixPatterns"/> reads them.</summary>
    public string PatternList => string.Join(",", Patterns);

    /// <summary>Whether the database holds records for module <paramref name="path"/>.</summary>
    public bool Covers(string path) => Patterns.Length > 0 && ModulePath.MatchPrefixPatterns(PatternList, path);

    /// <summary>Every problem with these options, each a sentence naming the setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (CheckName(Name) is { } nameError) errors.Add($"{Section}:Name '{Name}' {nameError}");
        foreach (var pattern in Patterns)
            if (pattern.Length == 0 || pattern.Length > 512 || pattern.Any(c => char.IsWhiteSpace(c) || c == ','))
                errors.Add($"{Section}:Patterns item '{pattern}' must be one non-empty glob without spaces or commas");
        if (Upstream is { } upstream && (!Uri.TryCreate(upstream, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
                                         || !string.IsNullOrEmpty(url.UserInfo) || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment)))
            errors.Add($"{Section}:Upstream '{upstream}' must be an http(s) URL without credentials, query or fragment");
        return errors;
    }

    /// <summary>The go command accepts a database name only if <c>https://&lt;name&gt;</c> is exactly a host and a path
    /// with nothing escaped and no trailing slash; the first path element must not be one of the protocol's own.</summary>
    internal static string? CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 200) return "must be 1 to 200 characters";
        if (name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' or '/')))
            return "may hold only letters, digits and . - _ ~ / (the go command requires host[/path])";
        if (name[0] is '/' or '.' || name.EndsWith('/') || name.Contains("//", StringComparison.Ordinal))
            return "must be host[/path] without a leading or trailing slash";
        var host = name.Split('/')[0];
        if (host is "latest" or "lookup" or "tile" or "supported")
            return "must not start with a path element of the checksum-database protocol (latest, lookup, tile, supported)";
        return null;
    }
}
