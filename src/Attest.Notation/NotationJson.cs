using System.Text.Json.Serialization;

namespace Attest.Notation;

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(string))]
internal sealed partial class NotationJson : JsonSerializerContext;
