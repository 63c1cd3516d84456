using Attest.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Attest.Server.Tests.Hosting;

public sealed class SecretBearingLogCategoriesTests
{
    private const string Dispatcher = "OpenIddict.Server.OpenIddictServerDispatcher";
    private const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>A logger factory configured as the server's is (configuration, then the cap), with one console provider.</summary>
    private static ServiceProvider Logging(Dictionary<string, string?> settings, bool capped = true)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.AddConfiguration(configuration.GetSection("Logging"));
            logging.AddConsole();
            if (capped) logging.Services.AddSingleton<IPostConfigureOptions<LoggerFilterOptions>, SecretBearingLogCategories>();
        });
        return services.BuildServiceProvider();
    }

    private static bool Enabled(ServiceProvider provider, string category, LogLevel level) =>
        provider.GetRequiredService<ILoggerFactory>().CreateLogger(category).IsEnabled(level);

    public static TheoryData<string, string> TraceEverywhere => new()
    {
        { "Logging:LogLevel:Default", "Trace" },
        { "Logging:LogLevel:OpenIddict", "Trace" },
        { "Logging:LogLevel:OpenIddict.Server", "Debug" },
        { "Logging:LogLevel:" + Dispatcher, "Information" },
        { "Logging:LogLevel:OpenIddict.*", "Trace" },
        { "Logging:LogLevel:*ServerDispatcher", "Trace" },
        { "Logging:LogLevel:Op*Dispatcher", "Trace" },
        { "Logging:Console:LogLevel:Default", "Trace" },
        { "Logging:Console:LogLevel:OpenIddict.Server", "Trace" },
        { "Logging:Console:LogLevel:Microsoft.AspNetCore", "Trace" },
        { "Logging:LogLevel:" + HostingDiagnostics, "Information" },
    };

    [Theory]
    [MemberData(nameof(TraceEverywhere))]
    public void Configuration_cannot_lower_the_secret_bearing_categories_below_warning(string key, string level)
    {
        using var provider = Logging(new() { [key] = level });
        Assert.False(Enabled(provider, Dispatcher, LogLevel.Information));
        Assert.False(Enabled(provider, Dispatcher, LogLevel.Trace));
        Assert.False(Enabled(provider, HostingDiagnostics, LogLevel.Information));
        Assert.True(Enabled(provider, Dispatcher, LogLevel.Warning));
        Assert.True(Enabled(provider, HostingDiagnostics, LogLevel.Warning));
    }

    [Fact]
    public void Without_the_cap_a_configured_rule_opens_them()
    {
        // The configurations above do reach these loggers when nothing caps them: what the test guards is real.
        using var provider = Logging(new() { ["Logging:Console:LogLevel:Default"] = "Trace", ["Logging:LogLevel:OpenIddict"] = "Warning" }, capped: false);
        Assert.True(Enabled(provider, Dispatcher, LogLevel.Trace));
    }

    [Fact]
    public void Other_categories_keep_their_configured_levels()
    {
        using var provider = Logging(new() { ["Logging:LogLevel:Default"] = "Trace", ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug", ["Logging:LogLevel:Open"] = "Trace" });
        Assert.True(Enabled(provider, "Attest.Server.Admission.AdmissionEndpoints", LogLevel.Trace));
        Assert.True(Enabled(provider, "Microsoft.AspNetCore.Routing.EndpointMiddleware", LogLevel.Debug));
        Assert.True(Enabled(provider, "OpenTelemetry.Exporter", LogLevel.Trace));
        Assert.False(Enabled(provider, Dispatcher, LogLevel.Information));
    }
}
