using System.Diagnostics.CodeAnalysis;
using Attest.Core;

namespace Attest.Notation.Envelopes;

/// <summary>Reads an envelope by the media type of the signature manifest's layer, as the specification says to.</summary>
public static class NotationEnvelope
{
    public static bool IsEnvelopeMediaType(string? mediaType) => mediaType is NotationMediaTypes.Jws or NotationMediaTypes.Cose;

    public static bool TryParse(string mediaType, ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out SignatureEnvelope? envelope, [NotNullWhen(false)] out Finding? failure)
    {
        switch (mediaType)
        {
            case NotationMediaTypes.Jws: return JwsEnvelope.TryParse(bytes, out envelope, out failure);
            case NotationMediaTypes.Cose: return CoseEnvelope.TryParse(bytes, out envelope, out failure);
            default:
                envelope = null;
                failure = new Finding(NotationCodes.EnvelopeMalformed, $"the signature layer's media type '{mediaType}' is not {NotationMediaTypes.Jws} or {NotationMediaTypes.Cose}");
                return false;
        }
    }
}
