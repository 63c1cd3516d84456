using System.CommandLine;
using Attest.Oci;
using Attest.Policy;

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
        var registries = RegistryAccess.CreateOptions();
        var command = new Command("test", "Explain the admission decision for an image without a cluster; exit 0 admitted, 1 denied, 2 unusable input.")
        {
            policy, image, ns, kind,
        };
        foreach (var option in registries.All) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
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
            try
            {
                using var registry = registries.CreateClient(parse);
                return await ImageVerdict.EvaluateAsync(parse, set, reference, registry, parse.GetValue(kind)!, parse.GetValue(ns), cancellationToken).ConfigureAwait(false);
            }
            catch (CommandFailure e)
            {
                error.WriteLine($"attest: {e.Message}");
                return e.ExitCode;
            }
        });
        return command;
    }
}
