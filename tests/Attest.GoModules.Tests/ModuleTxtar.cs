namespace Attest.GoModules.Tests;

/// <summary>A module archive in the cmd/go testdata form (<c>path_version.txt</c>, <c>/</c> as <c>_</c>, upper case
/// as <c>!</c>+lower): <c>.mod</c> and <c>.info</c> sections are the proxy's files, every other section a zip entry
/// <c>path@version/name</c>, a name starting with <c>/</c> stored verbatim without the slash.</summary>
internal sealed record ModuleTxtar(ModuleVersion Module, byte[]? Mod, byte[]? Info, IReadOnlyList<(string Name, byte[] Data)> ZipEntries)
{
    public static string GoTestdataMod =>
        Environment.GetEnvironmentVariable("GO_TESTDATA_MOD") ?? "/usr/share/go-1.19/src/cmd/go/testdata/mod";

    public static ModuleTxtar Load(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        var split = name.LastIndexOf("_v", StringComparison.Ordinal);
        var escapedPath = name[..split].Replace('_', '/');
        var path = UnescapeLoose(escapedPath);
        var version = UnescapeLoose(name[(split + 1)..]);
        var archive = Txtar.Load(file);
        byte[]? mod = null, info = null;
        var entries = new List<(string, byte[])>();
        var module = new ModuleVersion(path, version);
        foreach (var (section, data) in archive.Files)
        {
            if (section == ".mod") mod = data;
            else if (section == ".info") info = data;
            else if (section.StartsWith('/')) entries.Add((section[1..], data));
            else entries.Add((module.ZipPrefix + section, data));
        }
        return new ModuleTxtar(module, mod, info, entries);
    }

    private static string UnescapeLoose(string escaped)
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '!' && i + 1 < escaped.Length) builder.Append(char.ToUpperInvariant(escaped[++i]));
            else builder.Append(escaped[i]);
        }
        return builder.ToString();
    }

    /// <summary>The txtar of <paramref name="module"/> in <paramref name="directory"/>, or null.</summary>
    public static string? Find(string directory, string path, string version)
    {
        var escaped = ModulePath.Escape(path) ?? path;
        var file = Path.Combine(directory, escaped.Replace('/', '_') + "_" + version + ".txt");
        return File.Exists(file) ? file : null;
    }
}
