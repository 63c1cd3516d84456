using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Attest.Core.Json;

/// <summary>
/// Reading documents a signature or a decision depends on: a member name given twice is refused, not resolved by
/// "last one wins". Parsers disagree on duplicates (first wins, last wins, error), so a document that one component
/// checks and another acts on must not be allowed to mean two things. One mechanism for every such reader: the
/// source-generated contracts are used as they are, under a copy of their options that refuses duplicates (nested
/// <see cref="JsonElement"/> values included).
/// </summary>
public static class StrictJson
{
    private static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> StrictOptions = new();

    /// <summary>The contract of <typeparamref name="T"/> from <paramref name="typeInfo"/>'s resolver, refusing duplicate member names.</summary>
    public static JsonTypeInfo<T> Of<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (!typeInfo.Options.AllowDuplicateProperties) return typeInfo;
        var strict = StrictOptions.GetValue(typeInfo.Options, static options =>
        {
            var copy = new JsonSerializerOptions(options) { AllowDuplicateProperties = false };
            copy.MakeReadOnly(populateMissingResolver: false);
            return copy;
        });
        return (JsonTypeInfo<T>)strict.GetTypeInfo(typeof(T));
    }

    /// <summary>Document options refusing duplicate member names, with the given depth limit.</summary>
    public static JsonDocumentOptions DocumentOptions(int maxDepth) => new() { MaxDepth = maxDepth, AllowDuplicateProperties = false };
}
