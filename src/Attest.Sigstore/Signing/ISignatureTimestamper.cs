namespace Attest.Sigstore.Signing;

/// <summary>An RFC 3161 timestamp authority as the bundle builder needs it: a timestamp over a signature's bytes
/// (the message imprint is their SHA-256), which verifiers use as the time the signature existed.</summary>
public interface ISignatureTimestamper
{
    /// <summary>The DER <c>TimeStampResp</c> (granted) for <paramref name="signature"/>; what a bundle's
    /// <c>rfc3161Timestamps[].signedTimestamp</c> carries.</summary>
    Task<byte[]> TimestampAsync(ReadOnlyMemory<byte> signature, CancellationToken cancellationToken = default);
}
