using Attest.Ledger;
using Attest.Policy;
using Microsoft.Extensions.Options;

namespace Attest.Server.Hosting;

/// <summary>
/// Watches the policy directory (subdirectories included) and the directory of every file a policy references
/// elsewhere (keys, trusted roots, Notary trust store certificates and directories), and reloads after changes settle
/// (files are often written in several steps; a Kubernetes ConfigMap swaps a symlink). A new revision (policy files or trust material changed) is recorded in the
/// ledger and replaces the current set atomically; an invalid one is refused with every error logged and kept for
/// <c>/readyz</c>, and the last good set stays in force (an edit never leaves the webhook without policies).
/// </summary>
internal sealed partial class PolicyReloader(
    PolicyState state, AuditLedger ledger, IOptions<AttestServerOptions> options, TimeProvider time, ILogger<PolicyReloader> logger,
    Signing.AttestTrustedRoot trustedRoot) : BackgroundService
{
    /// <summary>Quiet time after the last change before reloading.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    /// <summary>Directories outside the policy directory watched at most (each costs an inotify watch).</summary>
    public const int MaxWatchedDirectories = 32;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = Path.GetFullPath(options.Value.PolicyDirectory);
        var changed = new SemaphoreSlim(0);
        void Signal()
        {
            if (changed.CurrentCount == 0) changed.Release();
        }
        using var watchers = new PolicyWatchers(directory, Signal, (where, error) => Log.WatchFailed(logger, where, error));
        watchers.Watch(state.Current?.Files.Select(f => Path.GetFullPath(Path.Combine(directory, f.Path))) ?? []);

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await changed.WaitAsync(stoppingToken).ConfigureAwait(false);
                // Let a burst of writes finish: wait until no change arrives for Settle.
                while (await changed.WaitAsync(Settle, stoppingToken).ConfigureAwait(false)) { }
                var referenced = await ReloadAsync(directory, stoppingToken).ConfigureAwait(false);
                watchers.Watch(referenced);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reloads, and returns the files the policies reference now (read or not), to keep watching them.</summary>
    private async Task<IReadOnlyList<string>> ReloadAsync(string directory, CancellationToken cancellationToken)
    {
        try
        {
            var load = PolicyDirectoryLoader.Load(directory, trustedRoot.NamedForPolicies(), time);
            if (load.Set is not { } set)
            {
                Refuse(directory, [.. load.Errors.Select(e => e.ToString())]);
                return load.ReferencedPaths;
            }
            if (set.Revision == state.Current?.Revision)
            {
                // The same files as in force: whatever was refused in between has been undone.
                if (state.Refused is not null) state.Publish(set);
                return load.ReferencedPaths;
            }
            // Recorded first: a policy set is never in force without its ledger entry.
            await ledger.AppendAsync(AttestServer.PolicyLoadedEntry(set), cancellationToken).ConfigureAwait(false);
            state.Publish(set);
            Telemetry.AttestInstruments.PolicyReloaded(applied: true);
            Log.Reloaded(logger, set.Documents.Count, directory, set.Revision);
            StartupLog.WarnAbout(logger, set);
            return load.ReferencedPaths;
        }
        catch (PolicyDirectoryException e)
        {
            Refuse(directory, [e.Message]);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The new set could not be recorded in the ledger; it does not come into force.
            Refuse(directory, [$"not recorded in the ledger: {e.Message}"]);
        }
        return [];
    }

    private void Refuse(string directory, IReadOnlyList<string> errors)
    {
        state.Refuse(new PolicyRefusal(errors, time.GetUtcNow()));
        Telemetry.AttestInstruments.PolicyReloaded(applied: false);
        Log.ReloadRefused(logger, directory, errors.Count, string.Join("; ", errors.Take(10)), state.Current?.Revision ?? "none");
    }

    /// <summary>One recursive watcher on the policy directory, and one on each other directory holding a referenced file
    /// or referenced itself.</summary>
    private sealed class PolicyWatchers(string directory, Action signal, Action<string, string> failed) : IDisposable
    {
        private readonly Dictionary<string, FileSystemWatcher> _watchers = new(StringComparer.Ordinal);

        public void Watch(IEnumerable<string> referencedFiles)
        {
            var wanted = new HashSet<string>(StringComparer.Ordinal) { directory };
            foreach (var file in referencedFiles)
            {
                // A referenced directory (a Notary trust store) is watched itself: a certificate added there counts.
                var parent = Directory.Exists(file) ? file : Path.GetDirectoryName(file);
                if (parent is null || IsWithin(parent, directory) || wanted.Count > MaxWatchedDirectories) continue;
                wanted.Add(parent);
            }
            foreach (var stale in _watchers.Keys.Where(k => !wanted.Contains(k)).ToList())
            {
                _watchers[stale].Dispose();
                _watchers.Remove(stale);
            }
            foreach (var path in wanted.Where(w => !_watchers.ContainsKey(w)))
            {
                try
                {
                    var watcher = new FileSystemWatcher(path)
                    {
                        IncludeSubdirectories = path == directory,
                        NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                    };
                    watcher.Changed += (_, _) => signal();
                    watcher.Created += (_, _) => signal();
                    watcher.Deleted += (_, _) => signal();
                    watcher.Renamed += (_, _) => signal();
                    watcher.Error += (_, e) => failed(path, e.GetException().Message);
                    watcher.EnableRaisingEvents = true;
                    _watchers[path] = watcher;
                }
                catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
                {
                    failed(path, e.Message); // a directory that does not exist (yet): the policy load names the missing file
                }
            }
        }

        private static bool IsWithin(string path, string root) =>
            path == root || path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

        public void Dispose()
        {
            foreach (var watcher in _watchers.Values) watcher.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.PoliciesReloaded, Level = LogLevel.Information, Message = "Reloaded {Count} policy documents from {Directory} (revision {Revision})")]
        public static partial void Reloaded(ILogger logger, int count, string directory, string revision);

        [LoggerMessage(EventId = LogEvents.PolicyReloadRefused, Level = LogLevel.Error, Message = "Policies in {Directory} were not reloaded ({Count} errors: {Errors}); revision {Revision} stays in force")]
        public static partial void ReloadRefused(ILogger logger, string directory, int count, string errors, string revision);

        [LoggerMessage(EventId = LogEvents.PolicyWatchFailed, Level = LogLevel.Warning, Message = "Watching {Directory} failed: {Error}; policy changes there need a restart until it recovers")]
        public static partial void WatchFailed(ILogger logger, string directory, string error);
    }
}
