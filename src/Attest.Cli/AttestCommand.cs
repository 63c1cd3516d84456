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

    public static RootCommand Build()
    {
        var root = new RootCommand(
            "attest: verify Sigstore and cosign signatures, go.sum and SBOMs against policy, sign artifacts, and audit the append-only ledger.");
        root.Subcommands.Add(PolicyCommand.Build());
        root.Subcommands.Add(VerifyBundleCommand.Build());
        root.Subcommands.Add(SbomCommand.Build());
        root.Subcommands.Add(LedgerCommand.Build());
        root.Subcommands.Add(WitnessCommand.Build());
        root.Subcommands.Add(GoSumCommand.Build());
        root.Subcommands.Add(ClientCommand.Build());
        root.Subcommands.Add(ClientCommand.BuildToken());
        return root;
    }
}
