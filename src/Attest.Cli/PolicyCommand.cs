using System.CommandLine;
using Attest.Oci;
using Attest.Policy;
using Attest.Policy.Admission;
using Attest.Policy.Evaluation;

namespace Attest.Cli;

/// <summary><c>attest policy lint DIR</c>: loads a policy directory as the server would and lists every problem.</summary>
internal static class PolicyCommand
{
    public static Command Build()
    {
        var directory = new Argument<DirectoryInfo>("DIR") { Description = "policy directory (*.yaml files)" };
        var lint = new Command("lint", "Check every policy file of a directory; exit 0 when all are valid, 1 when any is not, 2 when the directory cannot be read.")
        {
            directory,
        };
        lint.SetAction(parse =>
        {
            var dir = parse.GetValue(directory)!;
            try
            {
                var (set, errors) = PolicyDirectoryLoader.Load(dir.FullName);
                foreach (var error in errors) parse.InvocationConfiguration.Error.WriteLine(error.ToString());
                if (set is null) return AttestCommand.ExitCodes.Findings;
                foreach (var warning in set.Warnings) parse.InvocationConfiguration.Error.WriteLine($"{warning} (warning)");
                parse.InvocationConfiguration.Output.WriteLine($"{set.Documents.Count} policy {(set.Documents.Count == 1 ? "document" : "documents")} valid (revision {set.Revision})");
                return AttestCommand.ExitCodes.Success;
            }
            catch (PolicyDirectoryException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"attest: {e.Message}");
                return AttestCommand.ExitCodes.UnusableInput;
            }
        });
        return new Command("policy", "Work with policy files.") { lint, BuildTest() };
    }

    /// <summary><c>attest policy test --policy DIR --image REF</c>: the decision the webhook would make, explained.</summary>
    private static Command BuildTest()
    {
        var policy = new Option<DirectoryInfo>("--policy") { Description = "policy directory", Required = true };
        var image = new Option<string>("--image") { Description = "image reference (a tag is resolved to its digest first)", Required = true };
        var ns = new Option<string>("--namespace") { Description = "namespace of the workload", DefaultValueFactory = _ => "default" };
        var kind = new Option<string>("--kind") { Description = "workload kind", DefaultValueFactory = _ => "Pod" };
        var insecure = new Option<string[]>("--insecure-registry") { Description = "registry (host:port) reached over plain HTTP; repeatable" };
        var dockerConfig = new Option<FileInfo?>("--docker-config") { Description = "docker config.json with registry credentials" };
        var command = new Command("test", "Explain the admission decision for an image without a cluster; exit 0 admitted, 1 denied, 2 unusable input.")
        {
            policy, image, ns, kind, insecure, dockerConfig,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            PolicySet set;
            try
            {
                var (loaded, errors) = PolicyDirectoryLoader.Load(parse.GetValue(policy)!.FullName);
                foreach (var e in errors) error.WriteLine(e.ToString());
                if (loaded is null) return AttestCommand.ExitCodes.UnusableInput;
                set = loaded;
            }
            catch (PolicyDirectoryException e)
            {
                error.WriteLine($"attest: {e.Message}");
                return AttestCommand.ExitCodes.UnusableInput;
            }
            if (!ImageReference.TryParse(parse.GetValue(image), out var reference, out var referenceError))
            {
                error.WriteLine($"attest: {referenceError}");
                return AttestCommand.ExitCodes.UnusableInput;
            }
            IRegistryCredentialProvider? credentials = null;
            if (parse.GetValue(dockerConfig) is { } configFile)
            {
                try
                {
                    credentials = DockerConfigCredentials.ParseConfigJson(File.ReadAllBytes(configFile.FullName));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
                {
                    error.WriteLine($"attest: docker config {configFile.FullName} cannot be used: {e.Message}");
                    return AttestCommand.ExitCodes.UnusableInput;
                }
            }

            using var registry = new RegistryClient(new RegistryClientOptions
            {
                InsecureRegistries = new HashSet<string>(parse.GetValue(insecure) ?? [], StringComparer.OrdinalIgnoreCase),
                Credentials = credentials,
            });
            if (reference.Digest is null)
            {
                try
                {
                    var digest = await registry.ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
                    output.WriteLine($"{reference} resolves to {digest}");
                    reference = reference.WithDigest(digest);
                }
                catch (RegistryException e)
                {
                    error.WriteLine($"attest: {reference} cannot be resolved: {e.Message} [{e.Code}]");
                    return AttestCommand.ExitCodes.Findings;
                }
            }

            var time = TimeProvider.System;
            var evaluator = new AdmissionEvaluator(new RegistryEvidenceSource(registry), new AuthorityVerifier(time), new PolicyJudge(time), time, new EvaluatorOptions());
            var container = new ContainerImage(reference.ToString(), "/spec/containers/0/image", "test", "containers");
            var decision = await evaluator.EvaluateAsync(set, parse.GetValue(kind)!, parse.GetValue(ns), [container], null, cancellationToken).ConfigureAwait(false);
            var imageDecision = decision.Images[0];
            foreach (var reason in imageDecision.Reasons) output.WriteLine($"  [{reason.Code}] {reason.Message}");
            foreach (var outcome in imageDecision.Outcomes)
            {
                output.WriteLine($"policy '{outcome.Policy}' ({outcome.Mode.ToString().ToLowerInvariant()}): {(outcome.Passed ? "pass" : outcome.WaivedBy is { } waiver ? $"fail, waived by {waiver}" : "fail")}");
                foreach (var satisfied in outcome.SatisfiedBy) output.WriteLine($"  + {satisfied}");
                foreach (var reason in outcome.Reasons) output.WriteLine($"  - [{reason.Code}] {reason.Message}");
            }
            output.WriteLine($"verdict: {decision.Verdict.ToString().ToLowerInvariant()} (policy revision {set.Revision})");
            return decision.Verdict == Verdict.Deny ? AttestCommand.ExitCodes.Findings : AttestCommand.ExitCodes.Success;
        });
        return command;
    }
}
