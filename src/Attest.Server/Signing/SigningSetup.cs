using System.Security.Cryptography;
using System.Text;
using Attest.Ledger;
using Attest.Oci;
using Attest.Server.Hosting;
using Attest.Server.Secrets;
using Microsoft.Extensions.Options;

namespace Attest.Server.Signing;

/// <summary>Registers the signing API and, at start-up, opens the managed keys and dates the log.</summary>
public static class SigningSetup
{
    /// <summary>Registers the signing API; returns the validated options (the managed keys are opened before the host
    /// is built, by <see cref="OpenSigningAsync"/>).</summary>
    public static SigningOptions AddAttestSigning(this IServiceCollection services, IConfiguration configuration, string ledgerOrigin)
    {
        var options = services.AddValidatedOptions<SigningOptions>(configuration, SigningOptions.Section, o => o.Validate(ledgerOrigin));
        services.AddSingleton<SigningService>();
        services.AddSingleton<RegistryPublisher>();
        return options;
    }

    /// <summary>Opens the managed keys (creating the first one) and dates the log for Attest's trusted root; registers
    /// both, finished. With a shared ledger the keys are in its database, and reloaded when another replica rotates.</summary>
    public static async Task OpenSigningAsync(IServiceCollection services, AuditLedger ledger, ServiceKeys serviceKeys, SigningOptions options, string ledgerOrigin,
        string dataDirectory, ServerSecrets secrets, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var keysDirectory = Path.Combine(dataDirectory, "keys", "signing");
        var location = secrets.Store?.Location ?? keysDirectory;
        try
        {
            var ring = new ManagedKeyRing(ledger, time);
            if (secrets.Store is { } store)
            {
                // Shared by every replica; a rotation through any of them is loaded here within seconds.
                await ring.InitializeAsync(new ManagedKeyStorage.Database(store), options.Algorithm, cancellationToken).ConfigureAwait(false);
                secrets.Subscribe(ring.ReloadAsync);
            }
            else
            {
                var password = options.KeyPassword is { } configured ? Encoding.UTF8.GetBytes(configured) : DevelopmentPassword(dataDirectory, logger);
                await ring.InitializeAsync(new ManagedKeyStorage.Files(keysDirectory, password), options.Algorithm, cancellationToken).ConfigureAwait(false);
            }
            services.AddSingleton(ring);

            var logStart = default(DateTimeOffset);
            await foreach (var first in ledger.Store.ReadEntriesAsync(0, 1, cancellationToken).ConfigureAwait(false))
                if (LedgerEntryCodec.TryParse(first.Body, out var entry, out _))
                    logStart = entry.RecordedAt.AddSeconds(-1);
            services.AddSingleton(provider => new AttestTrustedRoot(serviceKeys, provider.GetRequiredService<Keyless.KeylessAuthorities>(), options, ledgerOrigin,
                logStart, provider.GetRequiredService<IOptions<Identity.KeylessOptions>>().Value));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or CryptographicException or SecretStoreException
                                       or Npgsql.NpgsqlException)
        {
            throw new StartupException($"managed signing keys in {location} cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>A random password kept beside the keys (owner-only) when none is configured: fine for development,
    /// pointless against anyone who can read the data directory, so it is logged as a warning.</summary>
    private static byte[] DevelopmentPassword(string dataDirectory, ILogger logger)
    {
        var path = Path.Combine(dataDirectory, "keys", "signing-keys.password");
        if (!File.Exists(path))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var stream = new FileStream(path, options);
            stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
            SigningLog.DevelopmentPassword(logger, path);
        }
        return Encoding.UTF8.GetBytes(File.ReadAllText(path).Trim());
    }
}

internal static partial class SigningLog
{
    [LoggerMessage(EventId = LogEvents.DevelopmentKeyPassword, Level = LogLevel.Warning, Message = "Generated a development password for the managed signing keys at {Path}; set Attest:Signing:KeyPassword (environment ATTEST_Attest__Signing__KeyPassword) for production")]
    public static partial void DevelopmentPassword(ILogger logger, string path);
}
