using Microsoft.Extensions.Options;

namespace Attest.Server.Hosting;

/// <summary>
/// Log categories whose lines below Warning quote secrets, held at Warning whatever the configuration says: the
/// host's per-request lines carry the full URL with its query string, and OpenIddict's Information to Trace lines quote
/// whole requests and responses (access tokens, client assertions, introspection answers). A plain
/// <c>AddFilter</c> is only a rule among the configured ones, and a more specific configured rule
/// (<c>Logging:LogLevel:OpenIddict.Server=Trace</c>, or any rule for one provider such as
/// <c>Logging:Console:LogLevel:Default=Trace</c>) would win over it. This runs after configuration is bound: rules
/// for these categories are raised to Warning, and every provider named by a rule gets the cap as well.
/// </summary>
internal sealed class SecretBearingLogCategories : IPostConfigureOptions<LoggerFilterOptions>
{
    internal static readonly string[] Categories = ["Microsoft.AspNetCore.Hosting.Diagnostics", "OpenIddict"];

    private const LogLevel Floor = LogLevel.Warning;

    public void PostConfigure(string? name, LoggerFilterOptions options)
    {
        var rules = options.Rules;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (!Reaches(rule.CategoryName)) continue;
            // A filter function decides below the level; it is dropped with the lower level.
            if (rule.LogLevel is { } level && level >= Floor && rule.Filter is null) continue;
            rules[i] = new LoggerFilterRule(rule.ProviderName, rule.CategoryName, rule.LogLevel is { } given && given > Floor ? given : Floor, filter: null);
        }
        foreach (var provider in rules.Select(r => r.ProviderName).Distinct(StringComparer.Ordinal).ToList())
            foreach (var category in Categories)
                rules.Add(new LoggerFilterRule(provider, category, Floor, filter: null));
    }

    /// <summary>Whether a rule's category (a prefix, possibly with one '*') can select loggers within the capped
    /// categories more specifically than the cap's own rule does.</summary>
    private static bool Reaches(string? ruleCategory)
    {
        if (ruleCategory is null) return false;
        var star = ruleCategory.IndexOf('*', StringComparison.Ordinal);
        var prefix = star < 0 ? ruleCategory : ruleCategory[..star];
        return Categories.Any(category => prefix.StartsWith(category, StringComparison.Ordinal)
                                          || (star >= 0 && category.StartsWith(prefix, StringComparison.Ordinal) && ruleCategory.Length > category.Length));
    }
}
