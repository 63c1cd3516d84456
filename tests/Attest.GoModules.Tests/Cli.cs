using System.CommandLine;
using Attest.Cli;

namespace Attest.GoModules.Tests;

/// <summary>Runs the <c>attest</c> command tree in process, capturing standard output and error.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = AttestCommand.Build().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return new Result(code, output.ToString(), error.ToString());
    }
}
