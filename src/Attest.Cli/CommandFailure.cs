namespace Attest.Cli;

/// <summary>A verb cannot go on: the message is the one line printed on stderr, the exit code what the verb returns.</summary>
internal sealed class CommandFailure(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
