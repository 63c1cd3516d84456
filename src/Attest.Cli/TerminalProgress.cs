using Spectre.Console;

namespace Attest.Cli;

/// <summary>
/// Progress of the verbs that can run longer than a moment (replaying or exporting a ledger, hashing a module cache):
/// a Spectre.Console bar on standard error while it is a terminal, nothing at all when output goes to a pipe, a file
/// or a log (and nothing when the command tree runs in process with its own writers, as tests do).
/// </summary>
internal sealed class TerminalProgress : IProgress<long>
{
    private readonly ProgressTask _task;

    private TerminalProgress(ProgressTask task) => _task = task;

    public void Report(long value) => _task.Value = Math.Min(value, _task.MaxValue);

    /// <summary>Whether a bar would be drawn for this invocation.</summary>
    public static bool IsShown(TextWriter error) => error == Console.Error && !Console.IsErrorRedirected;

    /// <summary>Runs <paramref name="work"/>, given a progress sink (null when nothing is shown) counting up to
    /// <paramref name="total"/> (indeterminate when unknown).</summary>
    public static async Task<T> RunAsync<T>(TextWriter error, string description, long? total, Func<IProgress<long>?, Task<T>> work)
    {
        if (!IsShown(error)) return await work(null).ConfigureAwait(false);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: total is > 0 ? total.Value : 1);
                task.IsIndeterminate = total is null;
                // Drawn at once, not at the first refresh tick: work shorter than the tick would otherwise show no
                // bar at all, and whether it showed would depend on the machine's speed.
                context.Refresh();
                var result = await work(new TerminalProgress(task)).ConfigureAwait(false);
                task.Value = task.MaxValue;
                return result;
            }).ConfigureAwait(false);
    }

    /// <summary><see cref="RunAsync{T}"/> for synchronous work reporting (done, total) from any thread.</summary>
    public static T Run<T>(TextWriter error, string description, Func<Action<int, int>?, T> work)
    {
        if (!IsShown(error)) return work(null);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: 1);
                task.IsIndeterminate = true;
                context.Refresh(); // drawn at once, as above
                var gate = new object();
                var result = work((done, total) =>
                {
                    lock (gate)
                    {
                        task.IsIndeterminate = false;
                        task.MaxValue = Math.Max(1, total);
                        task.Value = done;
                    }
                });
                task.Value = task.MaxValue;
                return result;
            });
    }
}
