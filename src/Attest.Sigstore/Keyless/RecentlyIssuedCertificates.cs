using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Attest.Sigstore.Keyless;

/// <summary>
/// The certificates a <see cref="CertificateAuthority"/> issued lately, by the SHA-256 of their DER. A keyless client
/// logs its signature seconds after it got its certificate, and a certificate byte for byte equal to one this process
/// signed needs no signature check of its own; hashing it costs a small fraction of that check. Bounded: two
/// generations of <c>capacity</c> hashes each, the older dropped when the newer fills; a certificate not found here is
/// simply verified. Thread-safe.
/// </summary>
internal sealed class RecentlyIssuedCertificates(int capacity)
{
    private readonly Lock _lock = new();
    private HashSet<Sha256Value> _current = [];
    private HashSet<Sha256Value> _previous = [];

    public void Add(ReadOnlySpan<byte> certificateDer)
    {
        var hash = Sha256Value.Of(certificateDer);
        lock (_lock)
        {
            if (_current.Count >= capacity)
            {
                _previous = _current;
                _current = [];
            }
            _current.Add(hash);
        }
    }

    public bool Contains(ReadOnlySpan<byte> certificateDer)
    {
        var hash = Sha256Value.Of(certificateDer);
        lock (_lock) return _current.Contains(hash) || _previous.Contains(hash);
    }

    /// <summary>A SHA-256 value as four words: a set key without a string or array per certificate.</summary>
    private readonly record struct Sha256Value(ulong A, ulong B, ulong C, ulong D)
    {
        public static Sha256Value Of(ReadOnlySpan<byte> data)
        {
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(data, hash);
            var words = MemoryMarshal.Cast<byte, ulong>(hash);
            return new Sha256Value(words[0], words[1], words[2], words[3]);
        }
    }
}
