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
        endpoints.MapTimestampEndpoints();
    }

    /// <summary>Loads (or on first start creates) the CA, CT and TSA material, the issuers' key files and the registered keys.</summary>
    public static void Initialize(WebApplication app, string dataDirectory)
    {
        try
        {
            app.Services.GetRequiredService<KeylessAuthorities>().Initialize(dataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new StartupException($"the keyless CA and TSA in {Path.Combine(dataDirectory, "keys", "keyless")} cannot be opened: {e.Message}", e);
        }
        app.Services.GetRequiredService<OidcTokenValidator>().LoadKeyFiles();
        app.Services.GetRequiredService<RekorLog>().LoadRegisteredKeys();
    }
}
