using Microsoft.Extensions.Configuration.Memory;

namespace Attest.Server.Hosting;

/// <summary>
/// Attest's own events at Information, the framework's at Warning: ASP.NET Core's Information lines (routing,
/// authentication, endpoint execution) were most of what a short session logged, and hid Attest's own. Kestrel's
/// "Now listening on" lines stay. These are defaults beneath every other configuration source, so
/// <c>Logging:LogLevel:Microsoft.AspNetCore=Information</c> still turns the chatter back on for a diagnosis.
/// </summary>
internal static class FrameworkLogLevels
{
    private static readonly Dictionary<string, string?> Defaults = new(StringComparer.Ordinal)
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:System"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
    };

    public static void AddDefaults(IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Defaults });
}
