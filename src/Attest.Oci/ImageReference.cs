using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Attest.Core;

namespace Attest.Oci;

/// <summary>
/// A parsed, canonical image reference (<c>registry/repository[:tag][@digest]</c>), following the Distribution
/// reference grammar: the first path component is a registry when it contains '.' or ':' or is <c>localhost</c>;
/// otherwise the registry is Docker Hub (<c>docker.io</c>) and single-component names get <c>library/</c>.
/// A reference with neither tag nor digest means tag <c>latest</c>. The registry is canonicalised here, once
/// (<see cref="RegistryHost"/>): every alias of a registry parses to the same <see cref="Name"/>, which is what
/// policies match, caches key on and the ledger records.
/// </summary>
public sealed partial record ImageReference
{
    public const string DockerHub = "docker.io";
    public const int MaxLength = 255 + 256; // name (255, per Distribution) plus tag or digest

    private ImageReference(string registry, string repository, string? tag, Digest? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>Registry host in canonical form (<see cref="RegistryHost.Canonicalize"/>), with port if any; <c>docker.io</c> for Docker Hub.</summary>
    public string Registry { get; }

    /// <summary>Repository path, e.g. <c>library/nginx</c>.</summary>
    public string Repository { get; }

    public string? Tag { get; }

    public Digest? Digest { get; }

    /// <summary>The host to call for the registry API (Docker Hub's API lives at registry-1.docker.io).</summary>
    public string ApiHost => RegistryHost.ApiHost(Registry);

    /// <summary>What to ask the registry for: the digest when pinned, else the tag.</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag ?? "latest";

    /// <summary><c>registry/repository</c>: what policy globs match against.</summary>
    public string Name => $"{Registry}/{Repository}";

    public ImageReference WithDigest(Digest digest) => new(Registry, Repository, Tag, digest);

    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is { } d ? "@" + d : "");

    public static ImageReference Parse(string text) =>
        TryParse(text, out var reference, out var error) ? reference : throw new FormatException(error);

    public static bool TryParse(string? text, [NotNullWhen(true)] out ImageReference? reference, [NotNullWhen(false)] out string? error)
    {
        reference = null;
        if (string.IsNullOrEmpty(text)) { error = "image reference is empty"; return false; }
        if (text.Length > MaxLength) { error = $"image reference is longer than {MaxLength} characters"; return false; }
        foreach (var c in text)
        {
            if (c <= ' ' || c > '~') { error = $"image reference '{Printable(text)}' contains a character that is not printable ASCII"; return false; }
        }

        var rest = text;
        Digest? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!Core.Digest.TryParse(rest[(at + 1)..], out var parsed, out var digestError))
            {
                error = $"image reference '{Printable(text)}' has an invalid digest: {digestError}";
                return false;
            }
            digest = parsed;
            rest = rest[..at];
        }

        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag)) { error = $"image reference '{Printable(text)}' has an invalid tag '{Printable(tag)}'"; return false; }
        }

        var firstSlash = rest.IndexOf('/');
        string registry;
        string path;
        if (firstSlash > 0 && IsRegistry(rest[..firstSlash]))
        {
            registry = rest[..firstSlash].ToLowerInvariant();
            path = rest[(firstSlash + 1)..];
            if (!RegistryPattern().IsMatch(registry) || RegistryHost.Canonicalize(registry) is not { } canonical)
            {
                error = $"image reference '{Printable(text)}' has an invalid registry '{Printable(registry)}'";
                return false;
            }
            registry = canonical;
        }
        else
        {
            registry = DockerHub;
            path = rest;
        }
        if (registry == DockerHub && !path.Contains('/', StringComparison.Ordinal)) path = "library/" + path;

        if (path.Length == 0 || !path.Split('/').All(component => PathComponentPattern().IsMatch(component)))
        {
            error = $"image reference '{Printable(text)}' has an invalid repository '{Printable(path)}' (lowercase letters, digits and separators . _ __ - between them)";
            return false;
        }
        if (registry.Length + 1 + path.Length > 255) { error = "image name is longer than 255 characters"; return false; }

        if (tag is null && digest is null) tag = "latest";
        reference = new ImageReference(registry, path, tag, digest);
        error = null;
        return true;
    }

    private static bool IsRegistry(string component) =>
        component.Contains('.', StringComparison.Ordinal) || component.Contains(':', StringComparison.Ordinal) ||
        component == "localhost" || component.StartsWith('[');

    private static string Printable(string s)
    {
        var clean = new string(s.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
        return clean.Length <= 100 ? clean : clean[..100] + "…";
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex PathComponentPattern();

    // host name (labels of letters, digits and hyphens) or bracketed IPv6, optional port
    [GeneratedRegex(@"^(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?))*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex RegistryPattern();
}
