using System.Security.Cryptography;
using Attest.GoModules;
using Attest.GoModules.SumDb;
using Attest.Ledger.SumDb;
using Attest.Server.Api;
using Attest.Server.Auth;
using Attest.Server.Checks;

namespace Attest.Server.SumDb;

/// <summary>
/// <c>POST /v1/gosum/modules</c> (scope sign): CI publishes a module version's zip (multipart: fields <c>module</c>
/// and <c>version</c>, file <c>zip</c>); Attest checks it against the module zip rules, computes both go.sum lines
/// itself and records them in the checksum database: 201 for a new record, 200 when the identical record is already
/// there, 409 when the version already has a different one (the first record is final; the attempt is an
/// audit-ledger entry naming both hashes and the uploader).
/// </summary>
public static class ModulePublishEndpoints
{
    private static readonly HashSet<string> TextFields = ["module", "version"];
    private static readonly HashSet<string> FileFields = ["zip"];

    /// <summary>Largest upload: the go command's own limit on a module zip, plus room for the two text fields.</summary>
    public static long MaxRequestBytes => GoModulesLimits.Default.MaxZipFileBytes + 64 * 1024;

    public static void MapModulePublishEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Hashing is CPU- and disk-bound: at most one per processor at a time; the rest wait (uploads are not gated).
        var gate = new SemaphoreSlim(Environment.ProcessorCount);
        endpoints.MapGroup("/v1").RequireRateLimiting(AuthSetup.ApiRateLimit)
            .MapPost("/gosum/modules", (HttpContext context, SumDbService service, UploadSpace space) => PublishAsync(context, service, space, gate))
            .WithName("PublishGoModule").WithTags(SumDbEndpoints.Tag).RequireAuthorization(Scopes.Sign)
            .Produces<PublishedModule>(StatusCodes.Status201Created)
            .Produces<PublishedModule>(StatusCodes.Status200OK)
            .ProducesBodyProblems()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = CheckEndpoints.Form("a module version's zip, as a module proxy serves it (entries path@version/…)",
                    ["module", "version", "zip"],
                    ("module", CheckEndpoints.Text("module path, e.g. corp.example/lib (required)")),
                    ("version", CheckEndpoints.Text("canonical version, e.g. v1.2.3 (required)")),
                    ("zip", CheckEndpoints.Binary("the module zip (required)")));
                return Task.CompletedTask;
            });
    }

    private static async Task<IResult> PublishAsync(HttpContext context, SumDbService service, UploadSpace space, SemaphoreSlim gate)
    {
        var (upload, problem) = await MultipartUpload.ReadAsync(context.Request, space, MaxRequestBytes, TextFields, FileFields, new HashSet<string>()).ConfigureAwait(false);
        if (upload is null) return problem!;
        using (upload)
        {
            if (upload.Field("module") is not { Length: > 0 } path || upload.Field("version") is not { Length: > 0 } versionText)
                return MultipartUpload.Invalid("fields 'module' and 'version' are required: the module path and the canonical version the zip holds");
            if (!SumDbModule.TryCheck(path, versionText, GoModulesLimits.Default, out var module, out var invalid))
                return MultipartUpload.Invalid(invalid);
            if (!service.Options.Covers(module.Path))
                return MultipartUpload.Invalid($"{module.Path} is not a module path this checksum database holds (Attest:SumDb:Patterns: {(service.Options.Patterns.Length == 0 ? "none configured" : service.Options.PatternList)})");
            if (upload.File("zip") is not { } zipFile) return MultipartUpload.Invalid("part 'zip' is missing: upload the module zip");

            await gate.WaitAsync(context.RequestAborted).ConfigureAwait(false);
            SumDbRecord? record;
            IReadOnlyList<Attest.Core.Finding> findings;
            string digest;
            try
            {
                await using var zip = File.OpenRead(zipFile.Path);
                digest = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(zip, context.RequestAborted).ConfigureAwait(false));
                zip.Position = 0;
                (record, findings) = SumDbRecord.FromZip(zip, module, GoModulesLimits.Default, "zip");
            }
            finally
            {
                gate.Release();
            }
            if (record is null)
            {
                var errors = findings.Where(f => !GoSumCodes.IsWarning(f.Code)).ToList();
                var tooLarge = errors.Any(f => f.Code is GoSumCodes.ZipTooLarge or GoSumCodes.ZipBomb or GoSumCodes.ZipTooManyEntries);
                return ApiProblems.Create(tooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, "not a valid module zip",
                    $"the zip breaks the module zip rules of {module}: " + string.Join("; ", errors.Take(5).Select(f => $"{f.Message} [{f.Code}]")) +
                    (errors.Count > 5 ? $" (and {errors.Count - 5} more)" : ""));
            }

            PublishOutcome outcome;
            try
            {
                outcome = await service.PublishAsync(record, AttestClaims.ClientIdOf(context.User), "upload", digest, context.RequestAborted).ConfigureAwait(false);
            }
            catch (AuditEntryFailedException e)
            {
                return ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, "audit ledger unavailable", e.Message);
            }
            var result = outcome.Result;
            if (result.Outcome == SumDbAddOutcome.Conflict)
                return TypedResults.Problem(
                    title: "module version already recorded",
                    detail: $"{module} is already recorded with {outcome.Recorded.Hash} (go.mod {outcome.Recorded.GoModHash}); this zip hashes to {record.Hash} " +
                            $"(go.mod {record.GoModHash}). The first record of a version is final: publish a new version instead.",
                    statusCode: StatusCodes.Status409Conflict,
                    extensions: new Dictionary<string, object?>
                    {
                        ["module"] = module.Path,
                        ["version"] = module.Version,
                        ["recordedHash"] = outcome.Recorded.Hash,
                        ["recordedGoModHash"] = outcome.Recorded.GoModHash,
                        ["offeredHash"] = record.Hash,
                        ["offeredGoModHash"] = record.GoModHash,
                        ["recordId"] = result.Row.Index,
                        ["ledgerIndex"] = outcome.LedgerIndex,
                    });
            var body = new PublishedModule(module.Path, module.Version, record.Hash, record.GoModHash, [.. record.Text.TrimEnd('\n').Split('\n')],
                result.Row.Index, result.Checkpoint.Size, result.Outcome == SumDbAddOutcome.Existing, outcome.LedgerIndex, digest,
                [.. findings.Select(f => new CheckFinding(f.Code, "warning", f.Message, module.ToString()))]);
            return Results.Json(body, SumDbJsonContext.Default.PublishedModule,
                statusCode: result.Outcome == SumDbAddOutcome.Added ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        }
    }
}
