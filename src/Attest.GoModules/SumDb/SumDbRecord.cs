using System.Text;
using Attest.Core;

namespace Attest.GoModules.SumDb;

/// <summary>One record of a checksum database: the two go.sum lines of a module version (its content and its
/// <c>/go.mod</c>), in the text form the log hashes and serves (x/mod <c>tlog.RecordHash</c> input, each line ending in
/// a newline). A server makes records only from module content it hashed itself (<see cref="FromZip"/>).</summary>
public sealed record SumDbRecord(ModuleVersion Module, string Hash, string GoModHash)
{
    /// <summary>The record text: <c>path version h1:…\npath version/go.mod h1:…\n</c>.</summary>
    public string Text => $"{Module.Path} {Module.Version} {Hash}\n{Module.Path} {Module.Version}/go.mod {GoModHash}\n";

    public byte[] TextBytes => Encoding.UTF8.GetBytes(Text);

    /// <summary>The record of a module version, hashed from its zip the way the go command does: the zip hash over
    /// every entry (<see cref="ModuleZip.Hash(Stream, ModuleVersion, GoModulesLimits?, string)"/>, which refuses
    /// unsafe zips before reading content) and the <c>/go.mod</c> hash over the zip's root go.mod, or the go.mod the
    /// go command synthesizes for a module without one. Null (with the findings that say why) when the zip is not a
    /// clean module zip of <paramref name="module"/>; warnings alone do not refuse it.</summary>
    public static (SumDbRecord? Record, IReadOnlyList<Finding> Findings) FromZip(Stream zip, ModuleVersion module, GoModulesLimits? limits = null,
        string displayName = "module.zip")
    {
        ArgumentNullException.ThrowIfNull(zip);
        ArgumentNullException.ThrowIfNull(module);
        limits ??= GoModulesLimits.Default;
        if (!zip.CanSeek) throw new ArgumentException("the module zip must be seekable", nameof(zip));
        var start = zip.Position;
        var hashed = ModuleZip.Hash(zip, module, limits, displayName);
        if (!hashed.IsClean) return (null, hashed.Findings);
        zip.Position = start;
        var goMod = ModuleZip.ReadGoMod(zip, module, limits, out var unreadable);
        if (unreadable is not null)
            return (null, [.. hashed.Findings, FindingFactory.Create(GoSumCodes.ZipUnreadable, $"{displayName}: go.mod cannot be read: {unreadable}", ("file", displayName))]);
        return (new SumDbRecord(module, hashed.Hash!, DirHash.HashGoMod(goMod ?? DirHash.LegacyGoMod(module.Path))), hashed.Findings);
    }

    /// <summary>Reads a record's text back, requiring exactly the two lines of <paramref name="module"/> with
    /// well-formed h1 hashes in that order (the only form this database writes).</summary>
    public static bool TryParse(string text, ModuleVersion module, out SumDbRecord? record, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(module);
        record = null;
        var lines = text.EndsWith('\n') ? text[..^1].Split('\n') : null;
        if (lines is not { Length: 2 })
        {
            error = "a record is two lines, each ending in a newline";
            return false;
        }
        var content = $"{module.Path} {module.Version} ";
        var goMod = $"{module.Path} {module.Version}/go.mod ";
        if (!lines[0].StartsWith(content, StringComparison.Ordinal) || !lines[1].StartsWith(goMod, StringComparison.Ordinal))
        {
            error = $"the record's lines are not those of {module}";
            return false;
        }
        var hash = lines[0][content.Length..];
        var goModHash = lines[1][goMod.Length..];
        if (!DirHash.IsWellFormedH1(hash) || !DirHash.IsWellFormedH1(goModHash))
        {
            error = "the record's hashes are not h1 hashes";
            return false;
        }
        record = new SumDbRecord(module, hash, goModHash);
        error = null;
        return true;
    }
}
