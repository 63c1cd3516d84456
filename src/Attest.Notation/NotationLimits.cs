namespace Attest.Notation;

/// <summary>Bounds on everything read from a signature envelope (hostile input).</summary>
public static class NotationLimits
{
    /// <summary>An envelope: a payload of one descriptor, up to 10 certificates and a timestamp token fit in far less.</summary>
    public const int MaxEnvelopeBytes = 256 << 10;

    /// <summary>Certificates in the chain of a signature or timestamp.</summary>
    public const int MaxChainLength = 10;

    /// <summary>Signed attributes (protected headers), standard and extended.</summary>
    public const int MaxHeaders = 64;

    /// <summary>Nesting of CBOR or JSON values in a header.</summary>
    public const int MaxDepth = 16;

    /// <summary>The payload (a descriptor with annotations).</summary>
    public const int MaxPayloadBytes = 64 << 10;
}
