using Attest.Server.Hosting;
using Attest.Server.Identity;
using Microsoft.Extensions.Options;

namespace Attest.Server.Keyless;

/// <summary>Registers keyless signing (OIDC validation, CA, Rekor-compatible log, TSA) and opens its material at start-up.</summary>
public static class KeylessSetup
{
    public static IServiceCollection AddAttestKeyless(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new KeylessOptions();
        try
        {
            configuration.GetSection(KeylessOptions.Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException($"configuration section {KeylessOptions.Section} is invalid: {e.Message}", e);
        }
        var errors = options.Validate();
        if (errors.Count > 0) throw new StartupException(string.Join("; ", errors));
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<OidcTokenValidator>();
        services.AddSingleton<KeylessAuthorities>();
        services.AddSingleton<RekorLog>();
        return services;
    }

    public static void MapKeylessEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapFulcioEndpoints();
        endpoints.MapRekorEndpoints();
        endpoints.MapRekorV2Endpoints();
        endpoints.MapTimestampEndpoints();
    }

    /// <summary>Loads (or on first start creates) the CA, CT and TSA material, the issuers' key files and the registered
    /// keys. With a shared (PostgreSQL) ledger the generated material is in its database, the same for every replica.</summary>
    public static async Task InitializeAsync(WebApplication app, string dataDirectory, Secrets.ServerSecrets secrets, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(dataDirectory, "keys", "keyless");
        KeylessMaterial material = secrets.Store is { } store ? new KeylessMaterial.Database(store, directory) : new KeylessMaterial.Files(directory);
        try
        {
            await app.Services.GetRequiredService<KeylessAuthorities>().InitializeAsync(material, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException
                                       or Npgsql.NpgsqlException or Secrets.SecretStoreException)
        {
            throw new StartupException($"the keyless CA and TSA in {material.Location} cannot be opened: {e.Message}", e);
        }
        app.Services.GetRequiredService<OidcTokenValidator>().LoadKeyFiles();
        app.Services.GetRequiredService<RekorLog>().LoadRegisteredKeys();
    }
}
