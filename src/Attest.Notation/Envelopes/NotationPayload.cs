using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Attest.Core;

namespace Attest.Notation.Envelopes;

/// <summary>The descriptor a signature is about (<c>targetArtifact</c> of the Notary payload): media type, digest, size,
/// optional artifact type and annotations.</summary>
public sealed record TargetArtifact(string MediaType, Digest Digest, long Size, string? ArtifactType, IReadOnlyDictionary<string, string> Annotations);

/// <summary>Reads the payload <c>{"targetArtifact": descriptor}</c> (signature-specification.md, "Payload"). Only read once
/// the signature has verified; still strict, since it decides which artifact the signature vouches for.</summary>
public static class NotationPayload
{
    public static bool TryParse(byte[] payload, [NotNullWhen(true)] out TargetArtifact? target, [NotNullWhen(false)] out Finding? failure)
    {
        target = null;
        try
        {
            using var document = JsonDocument.Parse(payload, JwsEnvelope.JsonOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("targetArtifact", out var descriptor) || descriptor.ValueKind != JsonValueKind.Object)
                return Fail("it has no 'targetArtifact' descriptor", out failure);
            if (!descriptor.TryGetProperty("mediaType", out var mediaType) || mediaType.ValueKind != JsonValueKind.String)
                return Fail("the descriptor has no 'mediaType'", out failure);
            if (!descriptor.TryGetProperty("digest", out var digestElement) || digestElement.ValueKind != JsonValueKind.String
                || !Digest.TryParse(digestElement.GetString(), out var digest, out var digestError))
                return Fail("the descriptor has no valid 'digest'", out failure);
            if (!descriptor.TryGetProperty("size", out var sizeElement) || !sizeElement.TryGetInt64(out var size) || size < 0)
                return Fail("the descriptor has no valid 'size'", out failure);
            string? artifactType = null;
            if (descriptor.TryGetProperty("artifactType", out var artifactTypeElement))
            {
                if (artifactTypeElement.ValueKind != JsonValueKind.String) return Fail("'artifactType' is not a string", out failure);
                artifactType = artifactTypeElement.GetString();
            }
            var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
            if (descriptor.TryGetProperty("annotations", out var annotationsElement))
            {
                if (annotationsElement.ValueKind != JsonValueKind.Object) return Fail("'annotations' is not an object", out failure);
                foreach (var annotation in annotationsElement.EnumerateObject())
                {
                    if (annotation.Value.ValueKind != JsonValueKind.String) return Fail($"annotation '{annotation.Name}' is not a string", out failure);
                    annotations[annotation.Name] = annotation.Value.GetString()!;
                }
            }
            _ = digestError;
            target = new TargetArtifact(mediaType.GetString()!, digest.Value, size, artifactType, annotations);
            failure = null;
            return true;
        }
        catch (JsonException e)
        {
            return Fail($"it is not JSON ({e.Message})", out failure);
        }
    }

    private static bool Fail(string message, out Finding failure)
    {
        failure = new Finding(NotationCodes.PayloadMismatch, $"the signed payload is not a Notary payload: {message}");
        return false;
    }
}
