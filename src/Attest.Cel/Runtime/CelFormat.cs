using System.Globalization;

namespace Attest.Cel;

/// <summary>Names of runtime types and short renderings of values, for messages.</summary>
internal static class CelFormat
{
    public static string TypeName(object value) => value switch
    {
        CelNull => "null_type",
        bool => "bool",
        long => "int",
        ulong => "uint",
        double => "double",
        string => "string",
        CelBytes => "bytes",
        CelList => "list",
        CelMap => "map",
        DateTimeOffset => "google.protobuf.Timestamp",
        TimeSpan => "google.protobuf.Duration",
        CelTypeValue => "type",
        CelError => "error",
        _ => value.GetType().Name,
    };

    public static string Describe(object value) => value switch
    {
        string s => s.Length <= 40 ? $"'{s}'" : $"'{s[..40]}…'",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        ulong u => u.ToString(CultureInfo.InvariantCulture) + "u",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
