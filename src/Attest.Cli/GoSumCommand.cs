using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Attest.Core;
using Attest.GoModules;
using Attest.Policy;

namespace Attest.Cli;

/// <summary><c>attest gosum hash</c> prints the go.sum lines of a module directory or zip; <c>attest gosum verify</c>
/// checks a module's go.sum against the module cache, vendored files, the checksum database and policy.</summary>
internal static class GoSumCommand
{
    public static Command Build() => new("gosum", "Compute and verify go.sum hashes (h1) of Go modules; publish to and audit a private checksum database.")
    {
        BuildHash(), BuildVerify(), GoSumDbCommand.BuildPublish(), GoSumDbCommand.BuildAudit(),
    };

    private static Command BuildHash()
    {
        var input = new Argument<string>("DIR|ZIP") { Description = "extracted module directory or module zip" };
        var module = new Option<string>("--module") { Description = "module path and version, PATH@VERSION", Required = true };
        var hash = new Command("hash", "Print the go.sum lines (content and /go.mod) the go command would write for a module directory or zip.") { input, module };
        hash.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var path = parse.GetValue(input)!;
            if (!ModuleVersion.TryParse(parse.GetValue(module)!, out var mv) || mv is null)
            {
                error.WriteLine("attest: --module must be PATH@VERSION");
                return AttestCommand.ExitCodes.UnusableInput;
            }
            HashResult result;
            byte[]? goMod = null;
            if (Directory.Exists(path))
            {
                result = ModuleDirectory.Hash(path, mv);
                var goModPath = Path.Combine(path, "go.mod");
                if (File.Exists(goModPath)) goMod = File.ReadAllBytes(goModPath);
            }
            else if (File.Exists(path))
            {
                result = ModuleZip.Hash(path, mv);
                goMod = result.Hash is null ? null : ModuleZip.ReadGoMod(path, mv) ?? DirHash.LegacyGoMod(mv.Path);
            }
            else
            {
                error.WriteLine($"attest: {path} does not exist");
                return AttestCommand.ExitCodes.UnusableInput;
            }
            foreach (var finding in result.Findings) error.WriteLine(finding.ToString());
            if (result.Hash is null) return AttestCommand.ExitCodes.UnusableInput;
            output.WriteLine($"{mv.Path} {mv.Version} {result.Hash}");
            output.WriteLine($"{mv.Path} {mv.Version}/go.mod {DirHash.HashGoMod(goMod ?? DirHash.LegacyGoMod(mv.Path))}");
            return result.IsClean ? AttestCommand.ExitCodes.Success : AttestCommand.ExitCodes.Findings;
        });
        return hash;
    }

    private static Command BuildVerify()
    {
        var directory = new Argument<string?>("MODULE_DIR") { Description = "main module directory (go.mod, go.sum, vendor/); default: the current directory, or only the cache when --modcache is given alone", Arity = ArgumentArity.ZeroOrOne };
        var modcache = new Option<string?>("--modcache") { Description = "module cache (GOMODCACHE) whose zips, .mod files and extracted trees are re-hashed; default: $GOMODCACHE" };
        var sumdbCache = new Option<string?>("--sumdb-cache") { Description = "checksum-database cache (GOMODCACHE/cache/download/sumdb) whose signed records go.sum is compared with" };
        var sumdbUrl = new Option<string?>("--sumdb-url") { Description = "fetch records and tiles from this checksum database (https://sum.golang.org, PROXY/sumdb/sum.golang.org, or an Attest server's URL/sumdb) into --sumdb-cache (default: a temporary directory) before verifying" };
        var sumdbKey = new Option<string?>("--sumdb-key") { Description = "verifier key name+hash+key of the checksum database (default: the key in $GOSUMDB, else sum.golang.org's); an Attest server gives its own at GET /v1/sumdb/verifier-key" };
        var sumdbLatest = new Option<string?>("--sumdb-latest") { Description = "the client's signed latest tree note (default: $GOPATH/pkg/sumdb/sum.golang.org/latest beside the cache)" };
        var json = new Option<bool>("--json") { Description = "print the report as JSON" };
        var policyFile = new Option<string?>("--policy") { Description = "policy file or directory; its GoSumPolicy documents (deniedModules, allowLocalReplace, privatePatterns) apply" };
        var verify = new Command("verify", "Verify go.sum against the module cache, vendored files and policy; exit 0 when everything verifies, 1 with findings, 2 on unusable input.")
        {
            directory, modcache, sumdbCache, sumdbUrl, sumdbKey, sumdbLatest, json, policyFile,
        };
        verify.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var dir = parse.GetValue(directory);
            var cache = parse.GetValue(modcache) ?? NullIfEmpty(Environment.GetEnvironmentVariable("GOMODCACHE"));
            var options = new GoSumVerifierOptions
            {
                ModuleCache = cache,
                GoNoSumDb = NullIfEmpty(Environment.GetEnvironmentVariable("GONOSUMDB")),
                GoPrivate = NullIfEmpty(Environment.GetEnvironmentVariable("GOPRIVATE")),
                GoSumDb = parse.GetValue(sumdbKey) ?? NullIfEmpty(Environment.GetEnvironmentVariable("GOSUMDB")),
                GoFlags = NullIfEmpty(Environment.GetEnvironmentVariable("GOFLAGS")),
                GoInsecure = NullIfEmpty(Environment.GetEnvironmentVariable("GOINSECURE")),
                GoNoSumCheck = NullIfEmpty(Environment.GetEnvironmentVariable("GONOSUMCHECK")),
            };
            if (cache is not null && !Directory.Exists(cache))
            {
                error.WriteLine($"attest: module cache {cache} does not exist");
                return AttestCommand.ExitCodes.UnusableInput;
            }
            var policy = GoSumPolicy.Default;
            if (parse.GetValue(policyFile) is { } policyPath)
            {
                try
                {
                    var (set, errors) = PolicyDirectoryLoader.LoadFile(policyPath);
                    foreach (var e in errors) error.WriteLine(e.ToString());
                    if (set is null) return AttestCommand.ExitCodes.UnusableInput;
                    policy = set.CombinedGoSumPolicy;
                }
                catch (PolicyDirectoryException e)
                {
                    error.WriteLine($"attest: {e.Message}");
                    return AttestCommand.ExitCodes.UnusableInput;
                }
            }
            var onlyCache = dir is null && parse.GetValue(modcache) is not null;
            var target = dir ?? Directory.GetCurrentDirectory();
            if (!onlyCache && !Directory.Exists(target))
            {
                error.WriteLine($"attest: {target} does not exist");
                return AttestCommand.ExitCodes.UnusableInput;
            }
            var report = TerminalProgress.Run(error, onlyCache ? "hashing the module cache" : "hashing modules", progress =>
            {
                var verifier = new GoSumVerifier(options with { Progress = progress }, policy);
                return onlyCache ? verifier.VerifyCache(cache!) : verifier.Verify(target);
            });
            var findings = report.Findings.ToList();
            string? fetchedInto = null;
            string? fetchedLatest = null;
            if (parse.GetValue(sumdbUrl) is { } urlText && !onlyCache)
            {
                if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
                {
                    error.WriteLine($"attest: --sumdb-url {urlText} is not an http(s) URL");
                    return AttestCommand.ExitCodes.UnusableInput;
                }
                fetchedInto = parse.GetValue(sumdbCache) ?? Directory.CreateTempSubdirectory("attest-sumdb-").FullName;
                var goSumPath = Path.Combine(target, "go.sum");
                var modules = File.Exists(goSumPath) ? GoSumFile.Load(goSumPath, options.Limits).Modules.ToList() : [];
                if (!Attest.Core.Transparency.NoteVerifierKey.TryParse(GoSumDbCommandSupport.KeyOf(options), out var databaseKey, out var keyError))
                {
                    error.WriteLine($"attest: the checksum database key is not a verifier key: {keyError.Message}");
                    return AttestCommand.ExitCodes.UnusableInput;
                }
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
                var fetched = new Attest.GoModules.SumDb.SumDbClient(http, options.Limits)
                    .FetchAsync(url, databaseKey.Name, modules, fetchedInto).GetAwaiter().GetResult();
                findings.AddRange(fetched.Findings);
                fetchedLatest = fetched.LatestNote;
            }
            if ((fetchedInto ?? parse.GetValue(sumdbCache)) is { } sumdb && !onlyCache)
            {
                var sumdbReport = GoSumDbCommandSupport.Verify(target, sumdb, parse.GetValue(sumdbLatest) ?? fetchedLatest, options);
                if (sumdbReport is null)
                {
                    error.WriteLine($"attest: checksum-database cache {sumdb} does not exist");
                    return AttestCommand.ExitCodes.UnusableInput;
                }
                findings.AddRange(sumdbReport);
            }
            // Modules to check and not one file hashed (no module cache, or another one) is not a verification: the
            // server reports the same case as gosum.cache.missing, and so does this.
            // (With a checksum database, go.sum was at least checked against it.)
            var sumdbChecked = fetchedInto is not null || (parse.GetValue(sumdbCache) is not null && !onlyCache);
            var nothingHashed = report.ModulesChecked > 0 && report.FilesHashed == 0 && !report.Unusable && !sumdbChecked;
            var passed = !nothingHashed && findings.All(f => GoSumCodes.IsWarning(f.Code));
            if (parse.GetValue(json))
            {
                var doc = new GoSumVerifyJson(
                    passed ? "passed" : report.Unusable ? "unusable" : "failed",
                    report.ModulesChecked,
                    report.FilesHashed,
                    findings.Select(f => new GoSumFindingJson(f.Code, GoSumCodes.IsWarning(f.Code) && !(nothingHashed && f.Code == GoSumCodes.ModuleNotInCache) ? "warning" : "error", f.Message, f.Evidence)).ToList());
                output.WriteLine(JsonSerializer.Serialize(doc, GoSumJsonContext.Default.GoSumVerifyJson));
            }
            else
            {
                foreach (var finding in findings)
                    (GoSumCodes.IsWarning(finding.Code) ? output : error).WriteLine((GoSumCodes.IsWarning(finding.Code) ? "warning: " : "") + finding);
                if (nothingHashed)
                    error.WriteLine($"{GoSumCodes.ModuleNotInCache}: {report.ModulesChecked} {Plural(report.ModulesChecked, "module")} to check and not one file of them in the module cache, " +
                                    "so nothing was hashed: run go mod download first, or give --modcache DIR");
                var problems = findings.Count(f => !GoSumCodes.IsWarning(f.Code)) + (nothingHashed ? 1 : 0);
                output.WriteLine($"{report.ModulesChecked} {Plural(report.ModulesChecked, "module")}, {report.FilesHashed} {Plural(report.FilesHashed, "file")} hashed: " +
                                 (passed ? "verified" : nothingHashed ? "nothing verified" : $"{problems} {Plural(problems, "problem")}"));
            }
            if (report.Unusable) return AttestCommand.ExitCodes.UnusableInput;
            return passed ? AttestCommand.ExitCodes.Success : AttestCommand.ExitCodes.Findings;
        });
        return verify;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static string Plural(int count, string noun) => count == 1 ? noun : noun + "s";
}

/// <summary>Bridges <c>--sumdb-cache</c> to the checksum-database verifier.</summary>
internal static class GoSumDbCommandSupport
{
    /// <summary>Findings of the cache itself and of go.sum against its proven records; null when the directory
    /// does not exist. The signed <c>latest</c> note is taken from <paramref name="latest"/>, else from
    /// <c>$GOPATH/pkg/sumdb/&lt;name&gt;/latest</c> next to a cache at <c>$GOPATH/pkg/mod/cache/download/sumdb</c>.</summary>
    public static IReadOnlyList<Finding>? Verify(string moduleDirectory, string sumdbCache, string? latest, GoSumVerifierOptions options)
    {
        if (!Directory.Exists(sumdbCache)) return null;
        var key = KeyOf(options);
        if (!Attest.Core.Transparency.NoteVerifierKey.TryParse(key, out _, out var keyError))
            return [new Finding(GoSumCodes.SumDbNoteMalformed, $"GOSUMDB key \"{key}\" is not a verifier key: {keyError.Message}")];
        var verifier = new Attest.GoModules.SumDb.SumDbVerifier(key, options.Limits);
        latest ??= Path.GetFullPath(Path.Combine(sumdbCache, "..", "..", "..", "..", "sumdb", verifier.Name, "latest"));
        var report = verifier.VerifyCache(sumdbCache, File.Exists(latest) ? latest : null);
        var goSumPath = Path.Combine(moduleDirectory, "go.sum");
        var goSum = File.Exists(goSumPath) ? GoSumFile.Load(goSumPath, options.Limits) : GoSumFile.Parse("", goSumPath);
        var patterns = string.Join(",", new[] { options.GoNoSumDb, options.GoPrivate }.Where(p => !string.IsNullOrEmpty(p)));
        return
        [
            .. report.Findings,
            .. Attest.GoModules.SumDb.SumDbVerifier.CompareGoSum(goSum, report, p => patterns.Length > 0 && ModulePath.MatchPrefixPatterns(patterns, p)),
        ];
    }

    /// <summary>The checksum database's verifier key: GOSUMDB (or --sumdb-key) may name a database by its key
    /// ("name+hash+key [URL]"); otherwise sum.golang.org's.</summary>
    public static string KeyOf(GoSumVerifierOptions options) =>
        options.GoSumDb?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { } first && first.Contains('+', StringComparison.Ordinal)
            ? first
            : Attest.GoModules.SumDb.SumDbVerifier.GoSumDbKey;
}

internal sealed record GoSumVerifyJson(string Verdict, int ModulesChecked, int FilesHashed, IReadOnlyList<GoSumFindingJson> Findings);

internal sealed record GoSumFindingJson(string Code, string Severity, string Message, IReadOnlyDictionary<string, string>? Evidence);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GoSumVerifyJson))]
internal sealed partial class GoSumJsonContext : JsonSerializerContext;
