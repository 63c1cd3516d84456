using System.Security.Cryptography;
using YamlDotNet.RepresentationModel;

namespace Attest.Policy;

/// <summary>A file a policy set depends on: a policy file itself, or what a policy names (a key, a trusted root, a
/// trust store, a CA bundle), with the SHA-256 of its bytes as they were loaded.</summary>
public sealed record PolicyFile(string Path, string Role, string Digest);

/// <summary>
/// Reads the files policies reference, resolved against the policy directory, and remembers each with its digest:
/// they are trust material, so they are part of the policy revision (a replaced key is a new revision, at once) and
/// the reloader watches where they live, inside the policy directory or not. Each file is read once per load
/// however many policies name it. Files that could not be read are still remembered, so that their appearing
/// triggers a reload.
/// </summary>
public sealed class ReferencedFiles(string policyDirectory)
{
    private readonly Dictionary<string, (byte[]? Bytes, PolicyFile? File)> _read = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Digest, Type Type), object> _parsed = [];
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);

    public string PolicyDirectory => policyDirectory;

    /// <summary>Every file read successfully, in path order.</summary>
    public IReadOnlyList<PolicyFile> Files =>
        [.. _read.Values.Where(r => r.File is not null).Select(r => r.File!).OrderBy(f => f.Path, StringComparer.Ordinal)];

    /// <summary>The full path of every file named, read or not, and of every directory named (for watching: a file's
    /// directory is watched, a directory itself, so that a file added to a trust store directory reloads too).</summary>
    public IReadOnlyList<string> Named => [.. _read.Keys.Concat(_directories).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Remembers a directory whose files are trust material (a Notary trust store), for watching.</summary>
    internal void NameDirectory(string fullPath) => _directories.Add(fullPath);

    /// <summary>The bytes of <paramref name="file"/> (relative to the policy directory, or absolute), at most
    /// <paramref name="maxBytes"/>; null with an error at <paramref name="node"/> when it cannot be used.</summary>
    internal byte[]? Read(PolicyReader reader, YamlNode node, string file, string role, long maxBytes)
    {
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(policyDirectory, file));
        if (_read.TryGetValue(path, out var known))
        {
            if (known.Bytes is null) reader.Error(node, $"{role} file {file} cannot be read");
            return known.Bytes;
        }
        byte[]? bytes = null;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > maxBytes) reader.Error(node, $"{role} file {file} is larger than {maxBytes} bytes");
            else bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reader.Error(node, $"{role} file {file} cannot be read: {e.Message}");
        }
        _read[path] = (bytes, bytes is null ? null : new PolicyFile(Display(path), role, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes))));
        return bytes;
    }

    /// <summary>What <paramref name="parse"/> makes of content with <paramref name="digest"/>, made once per load
    /// however many policies name the file.</summary>
    internal T Parsed<T>(string digest, Func<T> parse) where T : notnull
    {
        if (!_parsed.TryGetValue((digest, typeof(T)), out var value)) _parsed[(digest, typeof(T))] = value = parse();
        return (T)value;
    }

    /// <summary>Paths inside the policy directory relative to it (as policies name them), others in full.</summary>
    public string Display(string fullPath)
    {
        var relative = System.IO.Path.GetRelativePath(policyDirectory, fullPath);
        return relative.StartsWith("..", StringComparison.Ordinal) || System.IO.Path.IsPathRooted(relative) ? fullPath : relative;
    }
}
