using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Attest.Server.Hosting;

/// <summary>
/// A setting under <c>Attest:</c> that no options type reads stops start-up, naming it and the nearest valid one: a
/// misspelt <c>--Attest:DataDirectroy=/srv/attest</c> would otherwise be ignored, and the server would run on the
/// default. The valid settings are the public settable properties of every options type that declares its section in
/// a <c>public const string Section</c> (the convention every options type of the server follows), walked through
/// nested options and list items.
/// </summary>
internal static class UnknownSettings
{
    private const string Root = AttestServerOptions.Section;

    /// <summary>Throws a <see cref="StartupException"/> naming every unknown setting under <c>Attest:</c>.</summary>
    public static void Check(IConfiguration configuration)
    {
        var known = KnownSettings(typeof(UnknownSettings).Assembly);
        var unknown = configuration.GetSection(Root).AsEnumerable()
            .Where(kv => kv.Value is not null && !IsKnown(kv.Key, known))
            .Select(kv => kv.Key)
            .Order(StringComparer.OrdinalIgnoreCase)
            .ToList();
        if (unknown.Count == 0) return;
        throw new StartupException(string.Join("; ", unknown.Take(10).Select(key =>
            $"unknown setting {key}" + (Nearest(key, known) is { } nearest ? $" (did you mean {nearest}?)" : "") )) +
            (unknown.Count > 10 ? $" (and {unknown.Count - 10} more)" : "") + "; the settings are listed in README.md under Configuration");
    }

    /// <summary>Every valid setting path; a segment <c>*</c> stands for any list index or name.</summary>
    internal static IReadOnlyList<string> KnownSettings(Assembly assembly)
    {
        var paths = new List<string>();
        foreach (var type in assembly.GetTypes())
        {
            if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is not { IsLiteral: true } field ||
                field.GetRawConstantValue() is not string section ||
                !(section == Root || section.StartsWith(Root + ":", StringComparison.Ordinal)))
                continue;
            Walk(type, section, paths, depth: 0);
        }
        return paths;
    }

    private static void Walk(Type type, string prefix, List<string> paths, int depth)
    {
        if (depth > 6) return;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } || property.GetIndexParameters().Length > 0) continue;
            var path = $"{prefix}:{property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name}";
            AddValue(property.PropertyType, path, paths, depth);
        }
    }

    private static void AddValue(Type type, string path, List<string> paths, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(type))
        {
            paths.Add(path);
            return;
        }
        if (ElementType(type) is { } element)
        {
            // A list: items by index or name; a list of strings may also be one comma-separated value.
            if (IsScalar(element)) paths.Add(path);
            AddValue(element, path + ":*", paths, depth + 1);
            return;
        }
        Walk(type, path, paths, depth + 1);
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) ||
        type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid);

    private static Type? ElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type)) return null;
        var generic = type.IsGenericType ? type.GetGenericArguments() : [];
        // Dictionaries bind their values by key; lists their items by index.
        return generic.Length switch { 1 => generic[0], 2 => generic[1], _ => null };
    }

    private static bool IsKnown(string key, IReadOnlyList<string> known)
    {
        var segments = key.Split(':');
        return known.Any(path => Matches(path.Split(':'), segments));
    }

    private static bool Matches(string[] pattern, string[] key) =>
        pattern.Length == key.Length &&
        pattern.Zip(key).All(p => p.First == "*" || string.Equals(p.First, p.Second, StringComparison.OrdinalIgnoreCase));

    /// <summary>The valid setting closest to <paramref name="key"/> by edit distance, when it is close enough to be a misspelling.</summary>
    private static string? Nearest(string key, IReadOnlyList<string> known)
    {
        var segments = key.Split(':');
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var path in known)
        {
            var pattern = path.Split(':');
            // A wildcard takes the key's own segment there, so Issuers:0:Isuer is compared with Issuers:0:Issuer.
            var candidate = string.Join(':', pattern.Select((p, i) => p == "*" && i < segments.Length ? segments[i] : p));
            var distance = Distance(key.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }
        // More than a third of the last segment changed is not a misspelling but another name.
        return best is not null && bestDistance <= Math.Max(2, segments[^1].Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
