using Attest.Core;

namespace Attest.GoModules;

/// <summary>One <c># path version [=&gt; replacement]</c> block of vendor/modules.txt.</summary>
public sealed record VendoredModule(string Path, string Version, string? ReplacementPath, string? ReplacementVersion, int Line)
{
    public bool Explicit { get; set; }
    public string? GoVersion { get; set; }
    public List<string> Packages { get; } = [];

    public bool IsReplaced => ReplacementPath is not null;

    /// <summary>The module whose content is vendored: the replacement when it is a module, else the module itself.</summary>
    public ModuleVersion Source => ReplacementPath is not null && !string.IsNullOrEmpty(ReplacementVersion)
        ? new ModuleVersion(ReplacementPath, ReplacementVersion)
        : new ModuleVersion(Path, Version);
}

/// <summary>vendor/modules.txt as <c>go mod vendor</c> writes it (cmd/go modcmd/vendor.go) and <c>modload</c> reads it:
/// <c># path version [=&gt; new [version]]</c> headers, <c>## explicit; go 1.17</c> annotations, package lines, trailing
/// <c># old [version] =&gt; new</c> replacement-only lines and a leading <c>## workspace</c>.</summary>
public sealed class VendorModulesTxt
{
    public List<VendoredModule> Modules { get; } = [];

    /// <summary>Replacement lines with no packages (<c># old =&gt; new</c>), kept so they can be compared with go.mod.</summary>
    public List<VendoredModule> ReplacementsOnly { get; } = [];

    public bool IsWorkspace { get; private set; }
    public List<Finding> Findings { get; } = [];

    public static VendorModulesTxt Load(string path, GoModulesLimits? limits = null)
    {
        limits ??= GoModulesLimits.Default;
        var bytes = TextLines.ReadBounded(path, limits.MaxModulesTxtBytes, out var error);
        if (bytes is null)
        {
            var failed = new VendorModulesTxt();
            failed.Findings.Add(FindingFactory.Create(error!.Contains("limit", StringComparison.Ordinal) ? GoSumCodes.FileTooLarge : GoSumCodes.FileUnreadable,
                $"{path}: {error}", ("file", path)));
            return failed;
        }
        var text = TextLines.Decode(bytes);
        if (text is null)
        {
            var failed = new VendorModulesTxt();
            failed.Findings.Add(FindingFactory.At(GoSumCodes.VendorSyntax, "modules.txt is not valid UTF-8", path, 1, 1));
            return failed;
        }
        return Parse(text, path, limits);
    }

    public static VendorModulesTxt Parse(string text, string fileName = "vendor/modules.txt", GoModulesLimits? limits = null)
    {
        limits ??= GoModulesLimits.Default;
        var result = new VendorModulesTxt();
        VendoredModule? current = null;
        void Error(int line, int column, string message)
        {
            if (result.Findings.Count < limits.MaxFindingsPerFile) result.Findings.Add(FindingFactory.At(GoSumCodes.VendorSyntax, message, fileName, line, column));
        }
        var sawContent = false;
        foreach (var (number, raw) in TextLines.Split(text))
        {
            if (raw.Length > limits.MaxLineBytes) { Error(number, 1, $"line is longer than {limits.MaxLineBytes} characters"); continue; }
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                if (line == "## workspace")
                {
                    if (sawContent) Error(number, 1, "## workspace must be the first line");
                    result.IsWorkspace = true;
                    sawContent = true;
                    continue;
                }
                sawContent = true;
                if (current is null) { Error(number, 1, "## annotation before any module line"); continue; }
                var column = 4;
                foreach (var part in line[3..].Split(';'))
                {
                    var entry = part.Trim();
                    if (entry == "explicit") current.Explicit = true;
                    else if (entry.StartsWith("go ", StringComparison.Ordinal)) current.GoVersion = entry[3..].Trim();
                    else Error(number, column, $"unknown annotation \"{entry}\"");
                    column += part.Length + 1;
                }
                continue;
            }
            sawContent = true;
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                current = null;
                var fields = GoSumFile.SplitFields(line[2..]);
                var arrow = fields.FindIndex(f => f.Text == "=>");
                if (fields.Count == 0) { Error(number, 1, "empty module line"); continue; }
                var before = arrow < 0 ? fields : fields.Take(arrow).ToList();
                var after = arrow < 0 ? [] : fields.Skip(arrow + 1).ToList();
                if (before.Count is < 1 or > 2 || (arrow >= 0 && after.Count is < 1 or > 2) || (arrow < 0 && before.Count != 2))
                {
                    Error(number, 1, "malformed module line: want \"# path version\" or \"# path [version] => new [version]\"");
                    continue;
                }
                var path = before[0].Text;
                var version = before.Count == 2 ? before[1].Text : "";
                if (ModulePath.CheckImportPath(path) is { } pathError) { Error(number, before[0].Column + 2, pathError); continue; }
                if (version.Length > 0 && !SemVer.IsValid(version)) { Error(number, before[1].Column + 2, $"invalid version \"{version}\""); continue; }
                var module = new VendoredModule(path, version, arrow < 0 ? null : after[0].Text, arrow < 0 ? null : after.Count == 2 ? after[1].Text : "", number);
                if (version.Length == 0 || (arrow >= 0 && before.Count == 1))
                {
                    result.ReplacementsOnly.Add(module);
                    continue;
                }
                current = module;
                result.Modules.Add(module);
                continue;
            }
            if (line.StartsWith('#')) { Error(number, 1, "unrecognized comment line"); continue; }
            if (current is null) { Error(number, 1, $"package \"{line}\" listed before any module"); continue; }
            if (ModulePath.CheckImportPath(line) is { } packageError) { Error(number, 1, packageError); continue; }
            if (line != current.Path && !line.StartsWith(current.Path + "/", StringComparison.Ordinal))
                Error(number, 1, $"package \"{line}\" is not in module {current.Path}");
            current.Packages.Add(line);
        }
        return result;
    }

    /// <summary>The module block for <paramref name="path"/>, if any.</summary>
    public VendoredModule? Module(string path) => Modules.LastOrDefault(m => m.Path == path);
}
