using System.CommandLine;
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
                parse.InvocationConfiguration.Output.WriteLine($"{set.Documents.Count} policy documents valid (revision {set.Revision})");
                return AttestCommand.ExitCodes.Success;
            }
            catch (PolicyDirectoryException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"attest: {e.Message}");
                return AttestCommand.ExitCodes.UnusableInput;
            }
        });
        return new Command("policy", "Work with policy files.") { lint };
    }
}
