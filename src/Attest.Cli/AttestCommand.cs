using System.CommandLine;

namespace Attest.Cli;

/// <summary>The <c>attest</c> command tree. Each verb lives in its own class and is added here; verbs translate
/// arguments and exit codes, the libraries decide.</summary>
public static class AttestCommand
{
    /// <summary>Exit codes shared by every verb.</summary>
    public static class ExitCodes
    {
        public const int Success = 0;
        public const int Findings = 1;
        public const int UnusableInput = 2;
    }

    /// <summary>Runs a command line. <c>attest attest …</c> is dispatched here: System.CommandLine cannot hold a verb
    /// named like the root command (dotnet/command-line-api#2260), so that verb is a root command of its own.</summary>
    public static int Invoke(string[] args) => args is [SignCommand.AttestVerb, .. var rest]
        ? SignCommand.BuildAttestRoot().Parse(rest).Invoke()
        : Build().Parse(args).Invoke();

    public static RootCommand Build()
    {
        var root = new RootCommand(
            "attest: verify Sigstore and cosign signatures, go.sum and SBOMs against policy, sign artifacts, and audit the append-only ledger. " +
            $"Also: attest {SignCommand.AttestVerb} --predicate FILE --type URI IMAGE|FILE ({SignCommand.AttestDescription[..1].ToLowerInvariant()}{SignCommand.AttestDescription[1..]})");
        root.Subcommands.Add(PolicyCommand.Build());
        root.Subcommands.Add(VerifyBundleCommand.Build());
        root.Subcommands.Add(SbomCommand.Build());
        root.Subcommands.Add(LedgerCommand.Build());
        root.Subcommands.Add(WitnessCommand.Build());
        root.Subcommands.Add(GoSumCommand.Build());
        root.Subcommands.Add(ClientCommand.Build());
        root.Subcommands.Add(ClientCommand.BuildToken());
        root.Subcommands.Add(SignCommand.BuildSign());
        root.Subcommands.Add(VerifyImageCommand.Build());
        return root;
    }
}
