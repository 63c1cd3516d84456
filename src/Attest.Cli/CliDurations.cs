using System.CommandLine;
using Attest.Policy;

namespace Attest.Cli;

/// <summary>Duration options written as policy files write them (<c>720h</c>, <c>30d</c>), not as .NET's <c>d.hh:mm:ss</c>.</summary>
internal static class CliDurations
{
    public static Option<TimeSpan?> Option(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (Durations.TryParse(text, out var duration, out var problem)) return duration;
            result.AddError($"{name} {problem}");
            return null;
        },
    };
}
