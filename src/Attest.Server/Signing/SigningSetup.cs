using System.Security.Cryptography;
using System.Text;
using Attest.Ledger;
using Attest.Server.Hosting;
using Attest.Server.Secrets;
using Microsoft.Extensions.Options;

namespace Attest.Server.Signing;

/// <summary>Registers the signing API and, at start-up, opens the managed keys and dates the log.</summary>
public static class SigningSetup
{
    public static IServiceCollection AddAttestSigning(this IServiceCollection services, IConfiguration configuration, string ledgerOrigin)
    {
        var options = new SigningOptions();
        try
        {
            configuration.GetSection(SigningOptions.Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException($"configuration section {SigningOptions.Section} is invalid: {e.Message}", e);
        }
        var errors = options.Validate(ledgerOrigin);
        if (errors.Count > 0) throw new StartupException(string.Join("; ", errors));
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<ManagedKeyRing>();
        services.AddSingleton<SigningService>();
        services.AddSingleton<AttestTrustedRoot>();
        services.AddSingleton<RegistryPublisher>();
        return services;
    }

    public static async Task InitializeSigningAsync(WebApplication app, string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        var options = app.Services.GetRequiredService<IOptions<SigningOptions>>().Value;
        var keysDirectory = Path.Combine(dataDirectory, "keys", "signing");
        var secrets = app.Services.GetRequiredService<ServerSecrets>().Store;
        var location = secrets?.Location ?? keysDirectory;
        try
        {
            var ring = app.Services.GetRequiredService<ManagedKeyRing>();
            if (secrets is not null)
            {
                // Shared by every replica; a rotation through any of them is loaded here within seconds.
                await ring.InitializeAsync(new ManagedKeyStorage.Database(secrets), options.Algorithm, cancellationToken).ConfigureAwait(false);
                app.Services.GetRequiredService<SecretWatcher>().Subscribe(ring.ReloadAsync);
            }
            else
            {
                var password = options.KeyPassword is { } configured ? Encoding.UTF8.GetBytes(configured) : DevelopmentPassword(dataDirectory, logger);
                await ring.InitializeAsync(new ManagedKeyStorage.Files(keysDirectory, password), options.Algorithm, cancellationToken).ConfigureAwait(false);
            }

            var ledger = app.Services.GetRequiredService<LedgerHolder>().Ledger!;
            await foreach (var first in ledger.Store.ReadEntriesAsync(0, 1, cancellationToken).ConfigureAwait(false))
                if (LedgerEntryCodec.TryParse(first.Body, out var entry, out _))
                    app.Services.GetRequiredService<AttestTrustedRoot>().LogStart = entry.RecordedAt.AddSeconds(-1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or CryptographicException or SecretStoreException)
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
    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Generated a development password for the managed signing keys at {Path}; set Attest:Signing:KeyPassword (environment ATTEST_Attest__Signing__KeyPassword) for production")]
    public static partial void DevelopmentPassword(ILogger logger, string path);
}
