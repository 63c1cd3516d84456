using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Attest.Core;
using Attest.Sbom;
using Attest.Policy;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;

namespace Attest.Cli;

/// <summary><c>attest sbom check FILE</c>: reads an SBOM (or an attestation carrying one) and checks it against the
/// options given; exit 0 pass, 1 findings, 2 unusable input.</summary>
internal static class SbomCommand
{
    public static Command Build()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "SPDX 2.2/2.3 JSON, SPDX 3 JSON-LD, CycloneDX JSON, or an in-toto statement / DSSE envelope carrying one" };
        var subject = new Option<string?>("--subject") { Description = "artifact digest the SBOM must describe (sha256:HEX)" };
        var denyLicense = new Option<string[]>("--deny-license") { Description = "licence id that no component may be bound by (repeatable)", AllowMultipleArgumentsPerToken = false };
        var allowLicense = new Option<string[]>("--allow-license") { Description = "licence id on the allow list (repeatable; when given, every other licence is reported)" };
        var denyComponent = new Option<string[]>("--deny-component") { Description = "package URL with a version range, e.g. pkg:npm/left-pad@<1.3.0 (repeatable)" };
        var ntia = new Option<bool>("--ntia") { Description = "require the NTIA minimum elements" };
        var maxAge = CliDurations.Option("--max-age", "oldest creation time accepted, as policy files write it: 720h, 30d, 90m");
        var maxComponents = new Option<int?>("--max-components") { Description = "most components accepted" };
        var json = new Option<bool>("--json") { Description = "print the result as JSON" };
        var policyFile = new Option<string?>("--policy") { Description = "policy file or directory; every SbomPolicy document in it is checked too" };
        var check = new Command("check", "Check an SBOM: schema validity, licences, denied components, NTIA minimum elements, subject binding, age. Exit 0 pass, 1 findings, 2 unusable input.")
        {
            file, subject, denyLicense, allowLicense, denyComponent, ntia, maxAge, maxComponents, json, policyFile,
        };
        check.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var allowed = parse.GetValue(allowLicense) ?? [];
            var policy = new SbomPolicy
            {
                DeniedLicenses = parse.GetValue(denyLicense) ?? [],
                AllowedLicenses = allowed.Length > 0 ? allowed : null,
                DeniedComponents = parse.GetValue(denyComponent) ?? [],
                RequireNtiaMinimumElements = parse.GetValue(ntia),
                MaxAge = parse.GetValue(maxAge),
                MaxComponents = parse.GetValue(maxComponents),
            };
            var policyErrors = policy.Validate();
            var filePolicies = new List<SbomPolicy>();
            if (parse.GetValue(policyFile) is { } policyPath)
            {
                try
                {
                    var (set, errors) = PolicyDirectoryLoader.LoadFile(policyPath);
                    foreach (var e in errors) error.WriteLine(e.ToString());
                    if (set is null) return AttestCommand.ExitCodes.UnusableInput;
                    filePolicies.AddRange(set.SbomPolicies);
                }
                catch (PolicyDirectoryException e)
                {
                    error.WriteLine($"attest: {e.Message}");
                    return AttestCommand.ExitCodes.UnusableInput;
                }
            }
            Digest? digest = null;
            if (parse.GetValue(subject) is { } subjectText)
            {
                if (Digest.TryParse(subjectText, out var d, out var digestError)) digest = d;
                else policyErrors = [.. policyErrors, $"--subject: {digestError}"];
            }
            if (policyErrors.Count > 0)
            {
                foreach (var e in policyErrors) error.WriteLine($"attest: {e}");
                return AttestCommand.ExitCodes.UnusableInput;
            }
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                error.WriteLine($"attest: {path.FullName} does not exist");
                return AttestCommand.ExitCodes.UnusableInput;
            }

            var read = SbomReader.ReadFile(path.FullName);
            // The command-line rules and every SbomPolicy document of --policy; a finding both report is listed once.
            var checker = new SbomChecker(TimeProvider.System);
            var findings = filePolicies.Prepend(policy)
                .SelectMany(p => checker.Check(read, p, digest))
                .DistinctBy(f => (f.Code, f.Message))
                .ToList();
            var exit = !read.IsUsable ? AttestCommand.ExitCodes.UnusableInput
                : findings.Count > 0 ? AttestCommand.ExitCodes.Findings
                : AttestCommand.ExitCodes.Success;

            if (parse.GetValue(json))
            {
                var result = new SbomCheckOutput(
                    path.FullName,
                    exit switch { 0 => "passed", 1 => "failed", _ => "unusable" },
                    read.Document?.Format.ToString(),
                    read.Document?.SpecVersion,
                    read.Document?.Components.Count,
                    read.Attestation?.PredicateType,
                    [.. findings.Select(f => new FindingOutput(f.Code, f.Message, f.Evidence))]);
                output.WriteLine(JsonSerializer.Serialize(result, SbomCliJson.Default.SbomCheckOutput));
            }
            else
            {
                if (read.Document is { } doc)
                    output.WriteLine($"{path.Name}: {doc.Format} {doc.SpecVersion}, {doc.Components.Count} components{(read.Attestation is { } a ? $", from attestation {a.PredicateType}" : "")}");
                foreach (var f in findings) output.WriteLine(f.ToString());
                output.WriteLine(exit switch { 0 => "passed", 1 => $"failed: {findings.Count} finding(s)", _ => "unusable input" });
            }
            return exit;
        });
        return new Command("sbom", "Work with SBOMs (SPDX, CycloneDX, and attestations carrying them).") { check };
    }
}

/// <summary>The <c>--json</c> result of <c>attest sbom check</c>.</summary>
internal sealed record SbomCheckOutput(
    string File, string Verdict, string? Format, string? SpecVersion, int? Components, string? PredicateType, IReadOnlyList<FindingOutput> Findings);

internal sealed record FindingOutput(string Code, string Message, IReadOnlyDictionary<string, string>? Evidence);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SbomCheckOutput))]
internal sealed partial class SbomCliJson : JsonSerializerContext;
