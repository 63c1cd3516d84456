using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core;
using Attest.GoModules;
using Attest.GoModules.Uploads;
using Attest.Ledger;
using Attest.Policy;
using Attest.Sbom;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;
using Attest.Server.Api;
using Attest.Server.Auth;
using Attest.Server.Hosting;
using Attest.Server.Signing;
using Microsoft.OpenApi;

namespace Attest.Server.Checks;

/// <summary>
/// Checks as attestations: <c>POST /v1/gosum/verify</c> and <c>POST /v1/sbom/evaluate</c> (scope sign) run the go.sum
/// and SBOM checks on uploaded files with the server's loaded policies, record every evaluation in the ledger, and
/// return the findings plus, when the check passed, a signed in-toto attestation (predicate types under
/// <c>https://attest.dev/attestations/</c>) that image policies can require. Both take <c>multipart/form-data</c>, so
/// that files go up as they are (<c>curl -F go.sum=@go.sum</c>) and zips need no encoding.
/// </summary>
public static class CheckEndpoints
{
    private static readonly HashSet<string> GoEnvironment = ["GONOSUMDB", "GOPRIVATE", "GOSUMDB", "GOFLAGS", "GOINSECURE", "GONOSUMCHECK"];
    internal static readonly HashSet<string> GoSumText = ["subjectName", "subjectDigest", "policy", .. GoEnvironment];
    internal static readonly HashSet<string> GoSumFiles = ["go.mod", "go.sum", "modules.txt", "vendor", "modcache"];
    internal static readonly HashSet<string> GoSumRepeatable = ["module"];
    private static readonly HashSet<string> SbomText = ["subjectName", "subjectDigest", "policy", "requireSubjectBinding"];
    private static readonly HashSet<string> SbomFiles = ["sbom"];

    public static void MapCheckEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/v1").RequireRateLimiting(AuthSetup.ApiRateLimit);
        // Hashing and SBOM checks are CPU- and disk-bound: at most one evaluation per processor at a time; the rest wait.
        var gate = new SemaphoreSlim(Environment.ProcessorCount);
        api.MapPost("/gosum/verify", (HttpContext context, PolicyState policies, AuditLedger ledger, SigningService signing, TimeProvider time, UploadSpace space) =>
                VerifyGoSumAsync(context, policies, ledger, signing, time, gate, space))
            .WithName("VerifyGoSum").WithTags("checks").RequireAuthorization(Scopes.Sign)
            .Produces<GoSumVerification>(StatusCodes.Status200OK)
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = Form("go.mod and go.sum of the main module, optionally vendored files and the module content to re-hash",
                    ["go.mod", "subjectDigest"],
                    ("go.mod", Binary("the main module's go.mod (required)")),
                    ("go.sum", Binary("its go.sum; absent means empty")),
                    ("modules.txt", Binary("vendor/modules.txt, when vendor is not given")),
                    ("vendor", Binary("zip of the vendor directory's contents (modules.txt and vendored packages)")),
                    ("modcache", Binary("zip of a module cache (GOMODCACHE) tree: cache/download/…/@v/V.zip and .mod, path@V/ directories")),
                    ("module", new OpenApiSchema { Type = JsonSchemaType.Array, Items = Binary("a module zip (entries path@version/…); repeat the field for several"), Description = "module zips" }),
                    ("subjectName", Text("name of the artifact or image the attestation is about")),
                    ("subjectDigest", Text("its digest, algorithm:hex (required)")),
                    ("policy", Text("name of a GoSumPolicy document; default: every GoSumPolicy document combined")),
                    ("GONOSUMDB", Text("the build's GONOSUMDB")), ("GOPRIVATE", Text("the build's GOPRIVATE")), ("GOSUMDB", Text("the build's GOSUMDB")),
                    ("GOFLAGS", Text("the build's GOFLAGS")), ("GOINSECURE", Text("the build's GOINSECURE")), ("GONOSUMCHECK", Text("the build's GONOSUMCHECK")));
                return Task.CompletedTask;
            });
        api.MapPost("/sbom/evaluate", (HttpContext context, PolicyState policies, AuditLedger ledger, SigningService signing, TimeProvider time, UploadSpace space) =>
                EvaluateSbomAsync(context, policies, ledger, signing, time, gate, space))
            .WithName("EvaluateSbom").WithTags("checks").RequireAuthorization(Scopes.Sign)
            .Produces<SbomEvaluation>(StatusCodes.Status200OK)
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = Form("an SBOM and the artifact it is evaluated for",
                    ["sbom", "subjectDigest"],
                    ("sbom", Binary("SPDX 2.2/2.3 JSON, SPDX 3 JSON-LD or CycloneDX JSON, or an in-toto statement carrying one (required)")),
                    ("subjectName", Text("name of the artifact or image the attestation is about")),
                    ("subjectDigest", Text("its digest, algorithm:hex (required)")),
                    ("policy", Text("name of an SbomPolicy document; default: every SbomPolicy document")),
                    ("requireSubjectBinding", new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Enum = [System.Text.Json.Nodes.JsonValue.Create("true"), System.Text.Json.Nodes.JsonValue.Create("false")],
                        Description = "true: the SBOM must describe subjectDigest (default false)",
                    }));
                return Task.CompletedTask;
            });
    }

    private static async Task<IResult> VerifyGoSumAsync(HttpContext context, PolicyState policies, AuditLedger ledger, SigningService signing, TimeProvider time, SemaphoreSlim gate, UploadSpace space)
    {
        var (upload, problem) = await MultipartUpload.ReadAsync(context.Request, space, CheckLimits.MaxGoSumRequestBytes, GoSumText, GoSumFiles, GoSumRepeatable).ConfigureAwait(false);
        if (upload is null) return problem!;
        using (upload)
        {
            // Only the evaluation is gated: a slow upload must not hold a slot.
            await gate.WaitAsync(context.RequestAborted).ConfigureAwait(false);
            try
            {
                var (subject, digest, invalid) = ReadSubject(upload);
                if (invalid is not null) return invalid;
                if (policies.Current is not { } set) return NoPolicies();
                var policyName = upload.Field("policy");
                GoSumPolicy policy;
                if (policyName is null || policyName.Length == 0)
                {
                    policyName = null;
                    policy = set.CombinedGoSumPolicy;
                }
                else if (Named(set, "GoSumPolicy", set.GoSumPolicies, policyName) is { } named) policy = named;
                else return UnknownPolicy(set, "GoSumPolicy", policyName);

                if (upload.File("go.mod") is not { } goModFile) return MultipartUpload.Invalid("part 'go.mod' is missing: upload the main module's go.mod");
                var parts = new ModuleTreeParts(goModFile.Path, upload.File("go.sum")?.Path, upload.File("vendor")?.Path, upload.File("modules.txt")?.Path,
                    upload.File("modcache")?.Path, [.. upload.Files.Where(f => f.Field == "module").Select(f => f.Path)]);
                var budget = new ExtractionBudget(CheckLimits.MaxExtractedBytes, CheckLimits.MaxExtractedEntries, CheckLimits.MaxCompressionRatio);
                var (tree, refused) = ModuleTreeUpload.Stage(upload.Directory, parts, budget);
                if (tree is null) return MultipartUpload.Refused(refused!);

                var options = new GoSumVerifierOptions
                {
                    ModuleCache = tree.ModuleCache,
                    GoNoSumDb = Setting(upload, "GONOSUMDB"),
                    GoPrivate = Setting(upload, "GOPRIVATE"),
                    GoSumDb = Setting(upload, "GOSUMDB"),
                    GoFlags = Setting(upload, "GOFLAGS"),
                    GoInsecure = Setting(upload, "GOINSECURE"),
                    GoNoSumCheck = Setting(upload, "GONOSUMCHECK"),
                    Limits = CheckLimits.GoModules,
                    // The machine is shared by every request: hash with two threads at most.
                    MaxParallelism = Math.Min(2, Environment.ProcessorCount),
                    // A local replacement names the uploader's disk; this server's files are never read for it.
                    FollowLocalReplacements = false,
                };
                GoSumReport report;
                using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
                {
                    deadline.CancelAfter(CheckLimits.MaxEvaluationTime);
                    try
                    {
                        report = new GoSumVerifier(options, policy).Verify(tree.MainDirectory, deadline.Token);
                    }
                    catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
                    {
                        return ApiProblems.Create(StatusCodes.Status422UnprocessableEntity, "go.sum check took too long",
                            $"the upload could not be checked within {CheckLimits.MaxEvaluationTime.TotalSeconds:0} s; upload fewer modules per request");
                    }
                }
                if (report.Unusable)
                {
                    var reason = report.Findings.FirstOrDefault(f => f.Code is GoSumCodes.FileTooLarge or GoSumCodes.FileUnreadable) ?? report.Findings[0];
                    return ApiProblems.Create(reason.Code == GoSumCodes.FileTooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest,
                        "go.mod cannot be used", Relative(reason.Message, upload.Directory));
                }

                var findings = report.Findings.Select(f => new CheckFinding(f.Code, GoSumCodes.IsWarning(f.Code) ? "warning" : "error",
                    Relative(f.Message, upload.Directory), f.Evidence?.GetValueOrDefault("module"))).ToList();
                var verdict = report.Passed ? "passed" : "failed";
                var goSumDigest = FileDigest(tree.GoSumPath);
                var goModDigest = FileDigest(tree.GoModPath);
                var client = AttestClaims.ClientIdOf(context.User);
                var cancel = context.RequestAborted;
                var index = await CheckRecorder.RecordAsync(ledger, LedgerEntryKinds.GoSumVerification, client, subject, verdict, new JsonObject
                {
                    ["policy"] = policyName,
                    ["policyRevision"] = set.Revision,
                    ["modulePath"] = report.ModulePath,
                    ["requirements"] = report.Requirements,
                    ["modules"] = report.ModulesChecked,
                    ["filesHashed"] = report.FilesHashed,
                    ["goSumDigest"] = goSumDigest,
                    ["goModDigest"] = goModDigest,
                }, findings, cancel).ConfigureAwait(false);

                var listed = CheckRecorder.Listed(findings);
                IssuedBundleResponse? attestation = null;
                if (report.Passed)
                {
                    var predicate = new GoSumPredicate(verdict, report.ModulePath, report.Requirements, report.ModulesChecked, report.FilesHashed, policyName,
                        set.Revision, goSumDigest, goModDigest, tree.Vendored, client, findings.Count, listed, index, time.GetUtcNow());
                    attestation = await CheckRecorder.AttestAsync(signing, client, subject, digest, CheckRecorder.GoSumPredicateType,
                        JsonSerializer.SerializeToUtf8Bytes(predicate, CheckJsonContext.Default.GoSumPredicate), cancel).ConfigureAwait(false);
                }
                return Results.Json(new GoSumVerification(verdict, subject, policyName, set.Revision, report.ModulePath, report.Requirements, report.ModulesChecked,
                    report.FilesHashed, goSumDigest, goModDigest, findings.Count, listed, index, attestation), CheckJsonContext.Default.GoSumVerification);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private static async Task<IResult> EvaluateSbomAsync(HttpContext context, PolicyState policies, AuditLedger ledger, SigningService signing, TimeProvider time, SemaphoreSlim gate, UploadSpace space)
    {
        var (upload, problem) = await MultipartUpload.ReadAsync(context.Request, space, CheckLimits.MaxSbomRequestBytes, SbomText, SbomFiles, new HashSet<string>()).ConfigureAwait(false);
        if (upload is null) return problem!;
        using (upload)
        {
            // Only the evaluation is gated: a slow upload must not hold a slot.
            await gate.WaitAsync(context.RequestAborted).ConfigureAwait(false);
            try
            {
                var (subject, digest, invalid) = ReadSubject(upload);
                if (invalid is not null) return invalid;
                if (policies.Current is not { } set) return NoPolicies();
                bool bind;
                switch (upload.Field("requireSubjectBinding"))
                {
                    case null or "" or "false": bind = false; break;
                    case "true": bind = true; break;
                    default: return MultipartUpload.Invalid("requireSubjectBinding must be true or false");
                }
                var policyName = upload.Field("policy");
                IReadOnlyList<SbomPolicy> rules;
                if (policyName is null || policyName.Length == 0)
                {
                    policyName = null;
                    // With no SbomPolicy document, the SBOM must still be a valid document (SbomPolicy's default).
                    rules = set.SbomPolicies.Count > 0 ? set.SbomPolicies : [new SbomPolicy()];
                }
                else if (Named(set, "SbomPolicy", set.SbomPolicies, policyName) is { } named) rules = [named];
                else return UnknownPolicy(set, "SbomPolicy", policyName);
                if (upload.File("sbom") is not { } sbomFile) return MultipartUpload.Invalid("part 'sbom' is missing: upload the SBOM document");

                var bytes = await File.ReadAllBytesAsync(sbomFile.Path, context.RequestAborted).ConfigureAwait(false);
                var read = SbomReader.Read(bytes, CheckLimits.Sbom);
                if (read.Document is not { } document)
                {
                    var reason = read.Findings.FirstOrDefault() ?? new Finding(SbomCodes.FormatUnknown, "the SBOM could not be read");
                    return ApiProblems.Create(reason.Code == SbomCodes.InputTooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest,
                        "the SBOM cannot be evaluated", $"{reason.Message} [{reason.Code}]");
                }
                var checker = new SbomChecker(time);
                var findings = rules
                    .SelectMany(rule => checker.Check(read, rule, bind ? digest : null))
                    .DistinctBy(f => (f.Code, f.Message))
                    .Select(f => new CheckFinding(f.Code, "error", f.Message, Components(f)))
                    .ToList();
                var verdict = findings.Count == 0 ? "passed" : "failed";
                var sbomDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
                var format = document.Format.ToString();
                var client = AttestClaims.ClientIdOf(context.User);
                var cancel = context.RequestAborted;
                var index = await CheckRecorder.RecordAsync(ledger, LedgerEntryKinds.SbomEvaluation, client, subject, verdict, new JsonObject
                {
                    ["policy"] = policyName,
                    ["policyRevision"] = set.Revision,
                    ["format"] = format,
                    ["specVersion"] = document.SpecVersion,
                    ["components"] = document.Components.Count,
                    ["sbomDigest"] = sbomDigest,
                    ["subjectBound"] = bind,
                }, findings, cancel).ConfigureAwait(false);

                var listed = CheckRecorder.Listed(findings);
                IssuedBundleResponse? attestation = null;
                if (findings.Count == 0)
                {
                    var predicate = new SbomPredicate(verdict, format, document.SpecVersion, document.Components.Count, policyName, set.Revision,
                        sbomDigest, bind, client, findings.Count, listed, index, time.GetUtcNow());
                    attestation = await CheckRecorder.AttestAsync(signing, client, subject, digest, CheckRecorder.SbomPredicateType,
                        JsonSerializer.SerializeToUtf8Bytes(predicate, CheckJsonContext.Default.SbomPredicate), cancel).ConfigureAwait(false);
                }
                return Results.Json(new SbomEvaluation(verdict, subject, policyName, set.Revision, format, document.SpecVersion, document.Components.Count,
                    sbomDigest, bind, findings.Count, listed, index, attestation), CheckJsonContext.Default.SbomEvaluation);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>The components a finding is about (its evidence lists them one per line), as the message lists them.</summary>
    private static string? Components(Finding finding) =>
        finding.Evidence is { } evidence && evidence.ContainsKey("count") && evidence.TryGetValue("components", out var names)
            ? string.Join(", ", names.Split('\n').Take(SbomChecker.ListedComponents))
            : null;

    private static (CheckSubject Subject, Digest Digest, IResult? Problem) ReadSubject(MultipartUpload upload)
    {
        var name = upload.Field("subjectName");
        if (name is { Length: 0 }) name = null;
        if (name is { Length: > CheckLimits.MaxNameLength })
            return (null!, default, MultipartUpload.Invalid($"subjectName is longer than {CheckLimits.MaxNameLength} characters"));
        if (upload.Field("subjectDigest") is not { Length: > 0 } text)
            return (null!, default, MultipartUpload.Invalid("subjectDigest is missing: give the digest (algorithm:hex) of the artifact the attestation is about"));
        if (!Digest.TryParse(text, out var digest, out var error))
            return (null!, default, MultipartUpload.Invalid($"subjectDigest must be <algorithm>:<hex> ({error})"));
        return (new CheckSubject(name, digest.Value.ToString()), digest.Value, null);
    }

    /// <summary>The parsed policy of the document named <paramref name="name"/>. The set keeps parsed policies in
    /// document order and is only published when every document parsed, so the n-th document of a kind is the n-th
    /// policy.</summary>
    private static T? Named<T>(PolicySet set, string kind, IReadOnlyList<T> parsed, string name) where T : class
    {
        var names = set.Documents.Where(d => d.Kind == kind).Select(d => d.Name).ToList();
        var at = names.IndexOf(name);
        return at >= 0 && at < parsed.Count ? parsed[at] : null;
    }

    private static IResult UnknownPolicy(PolicySet set, string kind, string name)
    {
        var known = set.Documents.Where(d => d.Kind == kind).Select(d => d.Name).ToList();
        var shown = name.Length <= 100 ? name : name[..100] + "…";
        return MultipartUpload.Invalid($"no {kind} named '{shown}' is loaded ({(known.Count == 0 ? $"there is no {kind} document" : "loaded: " + string.Join(", ", known))})");
    }

    /// <summary>A Go setting as the go command reads it: empty means unset.</summary>
    private static string? Setting(MultipartUpload upload, string name) => upload.Field(name) is { Length: > 0 } value ? value : null;

    private static IResult NoPolicies() =>
        ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "no policies loaded", "no valid policy set is loaded yet; see /readyz");

    /// <summary>Findings name files by the scratch directory's paths; callers know them relative to their module.</summary>
    private static string Relative(string message, string root) => message
        .Replace(Path.Combine(root, "modcache"), "$GOMODCACHE", StringComparison.Ordinal)
        .Replace(Path.Combine(root, "main") + Path.DirectorySeparatorChar, "", StringComparison.Ordinal)
        .Replace(Path.Combine(root, "main"), ".", StringComparison.Ordinal)
        .Replace(root, ".", StringComparison.Ordinal);

    private static string FileDigest(string path)
    {
        if (!File.Exists(path)) return "sha256:" + Convert.ToHexStringLower(SHA256.HashData([]));
        using var stream = File.OpenRead(path);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    internal static OpenApiSchema Binary(string description) => new() { Type = JsonSchemaType.String, Format = "binary", Description = description };

    internal static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };

    internal static OpenApiRequestBody Form(string description, string[] required, params (string Name, OpenApiSchema Schema)[] fields) => new()
    {
        Required = true,
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string>(required),
                    Properties = fields.ToDictionary(f => f.Name, f => (IOpenApiSchema)f.Schema),
                },
            },
        },
    };
}
