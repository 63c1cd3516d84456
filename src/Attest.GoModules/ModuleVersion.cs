namespace Attest.GoModules;

/// <summary>A module path and version, both unescaped (<c>github.com/Azure/x v1.2.0</c>).</summary>
public sealed record ModuleVersion(string Path, string Version) : IComparable<ModuleVersion>
{
    public override string ToString() => Version.Length == 0 ? Path : $"{Path}@{Version}";

    /// <summary>The <c>path@version</c> prefix of names in the module zip and the extracted directory.</summary>
    public string ZipPrefix => $"{Path}@{Version}/";

    /// <summary>Parses <c>path@version</c>.</summary>
    public static bool TryParse(string text, out ModuleVersion? module)
    {
        module = null;
        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1) return false;
        module = new ModuleVersion(text[..at], text[(at + 1)..]);
        return true;
    }

    /// <summary>Why this pair cannot name a module version in go.sum or a module zip (null when it can): the
    /// path must be a module path, the version canonical (<c>+incompatible</c> kept) and match the path's major
    /// suffix.</summary>
    public string? Check()
    {
        if (ModulePath.CheckModulePath(Path) is { } pathError) return pathError;
        return CheckVersion(Path, Version);
    }

    /// <summary>The version half of <see cref="Check"/>.</summary>
    public static string? CheckVersion(string path, string version)
    {
        if (!SemVer.IsValid(version)) return $"version \"{version}\" is not a semantic version";
        var canonical = SemVer.CanonicalModuleVersion(version);
        if (canonical != version) return $"version \"{version}\" is not canonical (should be \"{canonical}\")";
        if (!ModulePath.TrySplitPathMajor(path, out _, out var pathMajor)) return $"module path \"{path}\" has a malformed major version suffix";
        if (!ModulePath.MatchesPathMajor(version, pathMajor))
        {
            var major = SemVer.Major(version);
            return pathMajor.Length == 0
                ? $"invalid version: should be v0 or v1, not {major}"
                : $"invalid version: should be {pathMajor.TrimStart('/', '.')}, not {major}";
        }
        if (SemVer.Build(version) == "+incompatible" && (pathMajor.Length > 0 || SemVer.Compare(SemVer.Major(version), "v2") < 0))
            return $"invalid version: +incompatible suffix not allowed on \"{version}\"";
        return null;
    }

    /// <summary>x/mod <c>module.Sort</c> order: path by bytes, then version by semver, then a <c>/go.mod</c> suffix last.</summary>
    public int CompareTo(ModuleVersion? other)
    {
        if (other is null) return 1;
        var c = Utf8Order.Compare(Path, other.Path);
        if (c != 0) return c;
        var (vi, fi) = SplitSuffix(Version);
        var (vj, fj) = SplitSuffix(other.Version);
        if (vi != vj) return SemVer.Compare(vi, vj);
        return string.CompareOrdinal(fi, fj);
    }

    private static (string Version, string Suffix) SplitSuffix(string v)
    {
        var slash = v.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (v, "") : (v[..slash], v[slash..]);
    }
}
