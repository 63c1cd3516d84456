using Attest.Core;

namespace Attest.GoModules;

/// <summary>One go.sum line: <c>path version[/go.mod] alg:hash</c>.</summary>
public sealed record GoSumEntry(string Path, string Version, bool IsGoMod, string Hash, int Line)
{
    public ModuleVersion Module => new(Path, Version);

    /// <summary>The version field as written (<c>v1.2.3</c> or <c>v1.2.3/go.mod</c>).</summary>
    public string VersionField => IsGoMod ? Version + "/go.mod" : Version;

    public override string ToString() => $"{Path} {VersionField} {Hash}";
}

/// <summary>A go.sum file read strictly. Unlike the go command (which up to Go 1.21 drops everything after the
/// first malformed line), every line is examined and every problem reported with its line and column: wrong field
/// counts, invalid paths and versions, malformed or unknown hashes, duplicates, conflicting hashes for one module
/// (which the go command resolves by line order), the empty-go.mod hash it silently drops, and lines out of the
/// order <c>go mod tidy</c> writes.</summary>
public sealed class GoSumFile
{
    private readonly Dictionary<(string Path, string Version, bool IsGoMod), string> _h1;

    private GoSumFile(IReadOnlyList<GoSumEntry> entries, IReadOnlyList<Finding> findings, Dictionary<(string, string, bool), string> h1)
    {
        Entries = entries;
        Findings = findings;
        _h1 = h1;
    }

    /// <summary>Every well-formed line, in file order (duplicates and conflicts included).</summary>
    public IReadOnlyList<GoSumEntry> Entries { get; }

    public IReadOnlyList<Finding> Findings { get; }

    /// <summary>The h1 hash for a module's zip (<paramref name="goMod"/> false) or its go.mod, the first one listed.</summary>
    public string? H1(string path, string version, bool goMod) => _h1.GetValueOrDefault((path, version, goMod));

    /// <summary>Distinct module versions with at least one h1 line, in go.sum order.</summary>
    public IEnumerable<ModuleVersion> Modules => Entries.Select(e => e.Module).Distinct();

    public static GoSumFile Load(string path, GoModulesLimits? limits = null)
    {
        limits ??= GoModulesLimits.Default;
        var bytes = TextLines.ReadBounded(path, limits.MaxGoSumBytes, out var error);
        if (bytes is null)
            return new GoSumFile([], [FindingFactory.Create(error!.Contains("limit", StringComparison.Ordinal) ? GoSumCodes.FileTooLarge : GoSumCodes.FileUnreadable,
                $"{path}: {error}", ("file", path))], []);
        return Parse(bytes, path, limits);
    }

    public static GoSumFile Parse(ReadOnlySpan<byte> content, string fileName = "go.sum", GoModulesLimits? limits = null)
    {
        limits ??= GoModulesLimits.Default;
        var text = TextLines.Decode(content);
        if (text is null)
            return new GoSumFile([], [FindingFactory.At(GoSumCodes.LineMalformed, "go.sum is not valid UTF-8", fileName, 1, 1)], []);
        return Parse(text, fileName, limits);
    }

    public static GoSumFile Parse(string text, string fileName = "go.sum", GoModulesLimits? limits = null)
    {
        limits ??= GoModulesLimits.Default;
        var entries = new List<GoSumEntry>();
        var findings = new List<Finding>();
        var h1 = new Dictionary<(string, string, bool), string>();
        var seen = new Dictionary<(string, string, bool, string), int>();
        GoSumEntry? previous = null;
        var orderReported = false;

        void Add(Finding f)
        {
            if (findings.Count < limits.MaxFindingsPerFile) findings.Add(f);
        }

        foreach (var (number, raw) in TextLines.Split(text))
        {
            if (raw.Length > limits.MaxLineBytes)
            {
                Add(FindingFactory.At(GoSumCodes.LineMalformed, $"line is longer than {limits.MaxLineBytes} characters", fileName, number, 1));
                continue;
            }
            var fields = SplitFields(raw);
            if (fields.Count == 0) continue;
            if (fields.Count != 3)
            {
                Add(FindingFactory.At(GoSumCodes.LineMalformed,
                    $"malformed go.sum line: wrong number of fields {fields.Count} (want path, version, hash); the go command up to 1.21 ignores this line and every line after it",
                    fileName, number, fields[0].Column, ("text", raw)));
                continue;
            }
            var (path, pathColumn) = fields[0];
            var (versionField, versionColumn) = fields[1];
            var (hash, hashColumn) = fields[2];
            var isGoMod = versionField.EndsWith("/go.mod", StringComparison.Ordinal);
            var version = isGoMod ? versionField[..^"/go.mod".Length] : versionField;
            var ok = true;
            if (ModulePath.CheckModulePath(path) is { } pathError)
            {
                Add(FindingFactory.At(GoSumCodes.PathInvalid, pathError, fileName, number, pathColumn, ("path", path)));
                ok = false;
            }
            else if (version.Contains('/', StringComparison.Ordinal) || !SemVer.IsValid(version))
            {
                Add(FindingFactory.At(GoSumCodes.VersionInvalid, $"version \"{versionField}\" is not a semantic version (optionally followed by /go.mod)", fileName, number, versionColumn, ("version", versionField)));
                ok = false;
            }
            else if (ModuleVersion.CheckVersion(path, version) is { } versionError)
            {
                var code = versionError.StartsWith("invalid version", StringComparison.Ordinal) ? GoSumCodes.VersionMajorMismatch : GoSumCodes.VersionNonCanonical;
                Add(FindingFactory.At(code, versionError, fileName, number, versionColumn, ("path", path), ("version", version)));
                ok = false;
            }
            var colon = hash.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                Add(FindingFactory.At(GoSumCodes.HashMalformed, $"hash \"{hash}\" has no algorithm prefix", fileName, number, hashColumn, ("hash", hash)));
                continue;
            }
            var algorithm = hash[..colon];
            if (algorithm != "h1")
            {
                Add(FindingFactory.At(GoSumCodes.HashUnknownAlgorithm, $"hash algorithm \"{algorithm}\" is unknown; the go command ignores such lines, so this line protects nothing", fileName, number, hashColumn, ("hash", hash)));
                continue;
            }
            if (!DirHash.IsWellFormedH1(hash))
            {
                Add(FindingFactory.At(GoSumCodes.HashMalformed, $"h1 hash \"{hash}\" is not base64 of 32 bytes", fileName, number, hashColumn, ("hash", hash)));
                continue;
            }
            if (!ok) continue;
            if (isGoMod && hash == DirHash.EmptyGoMod)
            {
                Add(FindingFactory.At(GoSumCodes.HashEmptyGoMod, "hash of an empty go.mod: the go command silently drops this line", fileName, number, hashColumn, ("path", path), ("version", versionField)));
                continue;
            }
            var entry = new GoSumEntry(path, version, isGoMod, hash, number);
            if (seen.TryGetValue((path, version, isGoMod, hash), out var firstLine))
            {
                Add(FindingFactory.At(GoSumCodes.LineDuplicate, $"duplicate of line {firstLine}", fileName, number, pathColumn, ("firstLine", firstLine)));
                continue;
            }
            seen[(path, version, isGoMod, hash)] = number;
            if (h1.TryGetValue((path, version, isGoMod), out var existing))
            {
                Add(FindingFactory.At(GoSumCodes.HashConflict,
                    $"conflicting hashes for {path} {versionField}: {existing} and {hash}; the go command accepts whichever matches first",
                    fileName, number, hashColumn, ("path", path), ("version", versionField), ("first", existing), ("second", hash)));
            }
            else
            {
                h1[(path, version, isGoMod)] = hash;
            }
            if (previous is not null && !orderReported && Compare(previous, entry) > 0)
            {
                orderReported = true;
                Add(FindingFactory.At(GoSumCodes.LineOrder, $"line is not in the order go mod tidy writes (after {previous.Path} {previous.VersionField})", fileName, number, pathColumn));
            }
            previous = entry;
            entries.Add(entry);
        }
        return new GoSumFile(entries, findings, h1);
    }

    private static int Compare(GoSumEntry a, GoSumEntry b)
    {
        var c = new ModuleVersion(a.Path, a.VersionField).CompareTo(new ModuleVersion(b.Path, b.VersionField));
        return c != 0 ? c : string.CompareOrdinal(a.Hash, b.Hash);
    }

    /// <summary>Go's <c>strings.Fields</c> over ASCII white space, with 1-based columns.</summary>
    internal static List<(string Text, int Column)> SplitFields(string line)
    {
        var fields = new List<(string, int)>();
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && IsSpace(line[i])) i++;
            if (i >= line.Length) break;
            var start = i;
            while (i < line.Length && !IsSpace(line[i])) i++;
            fields.Add((line[start..i], start + 1));
        }
        return fields;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\v' or '\f' or '\u0085' or '\u00A0' || (c > 0x7F && char.IsWhiteSpace(c));

    /// <summary>The go.sum text the go command writes for <paramref name="entries"/>: sorted, de-duplicated.</summary>
    public static string Format(IEnumerable<GoSumEntry> entries)
    {
        var lines = entries
            .Select(e => (Module: new ModuleVersion(e.Path, e.VersionField), e.Hash))
            .Distinct()
            .Order(Comparer<(ModuleVersion Module, string Hash)>.Create((x, y) =>
            {
                var c = x.Module.CompareTo(y.Module);
                return c != 0 ? c : string.CompareOrdinal(x.Hash, y.Hash);
            }));
        var builder = new System.Text.StringBuilder();
        foreach (var (module, hash) in lines) builder.Append(module.Path).Append(' ').Append(module.Version).Append(' ').Append(hash).Append('\n');
        return builder.ToString();
    }
}
