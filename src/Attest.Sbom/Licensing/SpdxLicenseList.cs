using System.Collections.Frozen;
using System.Reflection;

namespace Attest.Sbom.Licensing;

/// <summary>The SPDX licence list and exception list (identifiers only, embedded data; see <c>Data/*.txt</c> for
/// the source). Lookups are case-insensitive (SPDX 2.3 Annex D: licence ids are matched case-insensitively) and
/// return the canonical spelling.</summary>
public static class SpdxLicenseList
{
    private static readonly Lazy<FrozenDictionary<string, string>> Licenses = new(() => Load("Attest.Sbom.spdx-license-ids.txt"));
    private static readonly Lazy<FrozenDictionary<string, string>> Exceptions = new(() => Load("Attest.Sbom.spdx-exception-ids.txt"));

    public static int LicenseCount => Licenses.Value.Count;

    public static bool TryGetLicense(string id, out string canonical) => Licenses.Value.TryGetValue(id, out canonical!);

    public static bool TryGetException(string id, out string canonical) => Exceptions.Value.TryGetValue(id, out canonical!);

    private static FrozenDictionary<string, string> Load(string resource)
    {
        using var stream = typeof(SpdxLicenseList).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} is missing");
        using var reader = new StreamReader(stream);
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            map.TryAdd(line, line);
        }
        return map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }
}
