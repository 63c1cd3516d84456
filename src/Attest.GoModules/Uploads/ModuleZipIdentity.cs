using System.IO.Compression;

namespace Attest.GoModules.Uploads;

/// <summary>Which module a module zip uploaded on its own holds: its entries all start with <c>path@version/</c>
/// (x/mod's zip format), so the first entry names the module, and that tells where it belongs in a module cache.</summary>
public static class ModuleZipIdentity
{
    public static (ModuleVersion? Module, string? Error) Identify(string zipPath, GoModulesLimits? limits = null)
    {
        limits ??= GoModulesLimits.Default;
        if (ZipDirectory.EntryCount(zipPath) > limits.MaxFilesPerModule)
            return (null, $"it holds more than {limits.MaxFilesPerModule} entries");
        try
        {
            using var archive = ZipFile.OpenRead(zipPath);
            var first = archive.Entries.FirstOrDefault()?.FullName;
            if (first is null) return (null, "it is empty");
            var at = first.IndexOf('@', StringComparison.Ordinal);
            var slash = at < 0 ? -1 : first.IndexOf('/', at);
            if (slash < 0 || !ModuleVersion.TryParse(first[..slash], out var module) || module is null)
                return (null, "its first entry does not start with a module path@version/ prefix, as module zips do");
            return module.Check() is { } invalid ? (null, $"it names {module}: {invalid}") : (module, null);
        }
        catch (InvalidDataException e)
        {
            return (null, $"it is not a readable zip file: {e.Message}");
        }
    }
}
