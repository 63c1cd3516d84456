namespace Attest.GoModules;

/// <summary>What a build's modules must satisfy (the <c>GoSumPolicy</c> section of a policy file; bound from the
/// file later). Immutable; <see cref="Validate"/> lists every problem.</summary>
public sealed record GoSumPolicy
{
    public static GoSumPolicy Default { get; } = new();

    /// <summary>Modules or versions that must not be used: <c>path</c> (every version), <c>path@v1.2.3</c>, or
    /// <c>path@&lt;1.2.3</c> with <c>&lt; &lt;= &gt; &gt;=</c>; the path may be a <c>path.Match</c> glob.</summary>
    public IReadOnlyList<string> DeniedModules { get; init; } = [];

    /// <summary>Whether <c>replace … =&gt; ./dir</c> is acceptable (it is always reported).</summary>
    public bool AllowLocalReplace { get; init; }

    /// <summary>Module path patterns (GOPRIVATE syntax) that may bypass the checksum database.</summary>
    public IReadOnlyList<string> PrivatePatterns { get; init; } = [];

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (var denied in DeniedModules)
            if (!DeniedModule.TryParse(denied, out _, out var error)) errors.Add($"deniedModules: {error}");
        foreach (var pattern in PrivatePatterns)
            if (string.IsNullOrWhiteSpace(pattern) || pattern.Contains(',', StringComparison.Ordinal))
                errors.Add($"privatePatterns: \"{pattern}\" must be one non-empty pattern");
        return errors;
    }

    internal bool IsPrivate(string path) => PrivatePatterns.Any(p => ModulePath.MatchPrefixPatterns(p, path));
}

/// <summary>One parsed <see cref="GoSumPolicy.DeniedModules"/> entry.</summary>
public sealed record DeniedModule(string PathPattern, string Operator, string Version, string Text)
{
    public static bool TryParse(string text, out DeniedModule? denied, out string? error)
    {
        denied = null;
        error = null;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var path = at < 0 ? text : text[..at];
        if (path.Length == 0) { error = $"\"{text}\" has no module path"; return false; }
        if (at < 0) { denied = new DeniedModule(path, "", "", text); return true; }
        var spec = text[(at + 1)..];
        var op = spec.StartsWith("<=", StringComparison.Ordinal) || spec.StartsWith(">=", StringComparison.Ordinal) ? spec[..2]
            : spec.StartsWith('<') || spec.StartsWith('>') || spec.StartsWith('=') ? spec[..1] : "=";
        var version = spec.StartsWith(op, StringComparison.Ordinal) && op != "=" || spec.StartsWith('=') ? spec[op.Length..] : spec;
        if (!version.StartsWith('v')) version = "v" + version;
        if (!SemVer.IsValid(version)) { error = $"\"{text}\": \"{version}\" is not a semantic version"; return false; }
        denied = new DeniedModule(path, op, version, text);
        return true;
    }

    public bool Matches(string path, string version)
    {
        if (!Glob.Match(PathPattern, path)) return false;
        if (Operator.Length == 0) return true;
        var c = SemVer.Compare(version, Version);
        return Operator switch
        {
            "<" => c < 0,
            "<=" => c <= 0,
            ">" => c > 0,
            ">=" => c >= 0,
            _ => c == 0 && SemVer.Canonical(version) == SemVer.Canonical(Version),
        };
    }
}

/// <summary>Where to look and what the environment says (deployment facts, not policy).</summary>
public sealed record GoSumVerifierOptions
{
    /// <summary>GOMODCACHE: <c>cache/download/…</c> zips and .mod files, and extracted <c>path@version</c> trees.</summary>
    public string? ModuleCache { get; init; }

    /// <summary>Values of GONOSUMDB, GOPRIVATE and GOSUMDB as the build saw them (null: unset).</summary>
    public string? GoNoSumDb { get; init; }
    public string? GoPrivate { get; init; }
    public string? GoSumDb { get; init; }

    /// <summary>GOFLAGS, GOINSECURE and GONOSUMCHECK as the build saw them (null: unset); reported when they weaken
    /// checksum checking.</summary>
    public string? GoFlags { get; init; }
    public string? GoInsecure { get; init; }
    public string? GoNoSumCheck { get; init; }

    /// <summary>Also hash the extracted module directories (what the build compiles).</summary>
    public bool CheckExtractedDirectories { get; init; } = true;

    /// <summary>Whether a <c>replace … =&gt; ./dir</c> directory is read (its h1 reported, vendored copies compared with
    /// it). True for a developer's own checkout; false wherever go.mod comes from someone else (the server's check
    /// API): such a path names the uploader's machine, and following it would read this machine's files.</summary>
    public bool FollowLocalReplacements { get; init; } = true;

    public GoModulesLimits Limits { get; init; } = GoModulesLimits.Default;

    /// <summary>Parallel hashing; 0 means one per processor.</summary>
    public int MaxParallelism { get; init; }

    /// <summary>Called after each module version is hashed with (done, total); may be called concurrently.</summary>
    public Action<int, int>? Progress { get; init; }
}
