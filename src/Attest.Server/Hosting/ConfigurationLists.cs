namespace Attest.Server.Hosting;

/// <summary>List settings of the configuration.</summary>
internal static class ConfigurationLists
{
    /// <summary>
    /// A list setting given either as items (<c>Allowed:0</c>, <c>Allowed:1</c>) or as one comma-separated value
    /// (<c>--Attest:Registries:Allowed=ghcr.io,*.example.com</c>, an environment variable, a Helm value). The binder
    /// alone ignores the second form, which for an allowlist would silently mean "any"; a value that names nothing is
    /// refused for the same reason. <paramref name="what"/> names one item and <paramref name="unset"/> what leaving
    /// the setting out means, in the message.
    /// </summary>
    public static string[] Read(IConfigurationSection section, string key, string[] items, string what, string unset)
    {
        var value = section[key];
        if (value is null) return items;
        var listed = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (listed.Length == 0)
            throw new StartupException($"{section.Path}:{key} is set but names no {what}; leave it unset {unset}");
        return [.. items, .. listed];
    }
}
