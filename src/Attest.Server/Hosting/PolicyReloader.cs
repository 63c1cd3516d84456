using Attest.Policy;
using Microsoft.Extensions.Options;

namespace Attest.Server.Hosting;

/// <summary>
/// Watches the policy directory and reloads it after changes settle (files are often written in several steps).
/// A valid new set replaces the current one atomically; an invalid one is refused with every error logged, and the
/// last good set stays in force (an edit never leaves the webhook without policies).
/// </summary>
internal sealed partial class PolicyReloader(
    PolicyState state, LedgerHolder ledger, IOptions<AttestServerOptions> options, ILogger<PolicyReloader> logger, Signing.AttestTrustedRoot trustedRoot) : BackgroundService
{
    /// <summary>Quiet time after the last change before reloading.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = Path.GetFullPath(options.Value.PolicyDirectory);
        var changed = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        void Signal(object? sender, EventArgs e)
        {
            if (changed.CurrentCount == 0) changed.Release();
        }
        watcher.Changed += Signal;
        watcher.Created += Signal;
        watcher.Deleted += Signal;
        watcher.Renamed += Signal;
        watcher.Error += (_, e) => Log.WatchFailed(logger, directory, e.GetException().Message);
        watcher.EnableRaisingEvents = true;

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await changed.WaitAsync(stoppingToken).ConfigureAwait(false);
                // Let a burst of writes finish: wait until no change arrives for Settle.
                while (await changed.WaitAsync(Settle, stoppingToken).ConfigureAwait(false)) { }
                await ReloadAsync(directory, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ReloadAsync(string directory, CancellationToken cancellationToken)
    {
        try
        {
            var (set, errors) = PolicyDirectoryLoader.Load(directory, trustedRoot.NamedForPolicies());
            if (set is null)
            {
                Log.ReloadRefused(logger, directory, errors.Count, string.Join("; ", errors.Take(10)), state.Current?.Revision ?? "none");
                return;
            }
            if (set.Revision == state.Current?.Revision) return;
            // Recorded first: a policy set is never in force without its ledger entry.
            if (ledger.Ledger is { } log) await log.AppendAsync(AttestServer.PolicyLoadedEntry(set), cancellationToken).ConfigureAwait(false);
            state.Publish(set);
            Log.Reloaded(logger, set.Documents.Count, directory, set.Revision);
        }
        catch (PolicyDirectoryException e)
        {
            Log.ReloadRefused(logger, directory, 1, e.Message, state.Current?.Revision ?? "none");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The new set could not be recorded in the ledger; it does not come into force.
            Log.ReloadRefused(logger, directory, 1, $"not recorded in the ledger: {e.Message}", state.Current?.Revision ?? "none");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Reloaded {Count} policy documents from {Directory} (revision {Revision})")]
        public static partial void Reloaded(ILogger logger, int count, string directory, string revision);

        [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "Policies in {Directory} were not reloaded ({Count} errors: {Errors}); revision {Revision} stays in force")]
        public static partial void ReloadRefused(ILogger logger, string directory, int count, string errors, string revision);

        [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Watching {Directory} failed: {Error}; policy changes need a restart until it recovers")]
        public static partial void WatchFailed(ILogger logger, string directory, string error);
    }
}
