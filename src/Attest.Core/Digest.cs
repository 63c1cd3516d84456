using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Attest.Core;

/// <summary>A content digest in OCI form (<c>sha256:&lt;64 lowercase hex&gt;</c>).</summary>
public readonly record struct Digest
{
    private Digest(string algorithm, byte[] value)
    {
        Algorithm = algorithm;
        _value = value;
    }

    private readonly byte[] _value;

    /// <summary>Lowercase algorithm name: <c>sha256</c>, <c>sha384</c> or <c>sha512</c>.</summary>
    public string Algorithm { get; }

    public ReadOnlySpan<byte> Value => _value;

    public string Hex => Convert.ToHexStringLower(_value);

    public override string ToString() => $"{Algorithm}:{Hex}";

    public bool Equals(Digest other) =>
        Algorithm == other.Algorithm && (_value ?? []).AsSpan().SequenceEqual(other._value ?? []);

    public override int GetHashCode() => HashCode.Combine(Algorithm, _value is { Length: >= 4 } v ? BitConverter.ToInt32(v) : 0);

    public static Digest Sha256(ReadOnlySpan<byte> content) => new("sha256", SHA256.HashData(content));

    public static Digest Sha256(Stream content) => new("sha256", SHA256.HashData(content));

    public static Digest FromBytes(string algorithm, ReadOnlySpan<byte> value)
    {
        var expected = ExpectedLength(algorithm)
            ?? throw new ArgumentException($"unsupported digest algorithm '{algorithm}'", nameof(algorithm));
        if (value.Length != expected)
            throw new ArgumentException($"{algorithm} digest must be {expected} bytes, got {value.Length}", nameof(value));
        return new Digest(algorithm, value.ToArray());
    }

    /// <summary>Parses <c>algorithm:hex</c>; only lowercase hex of the algorithm's exact length is accepted.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Digest? digest, out string? error)
    {
        digest = null;
        if (string.IsNullOrEmpty(text)) { error = "digest is empty"; return false; }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) { error = $"digest '{Truncate(text)}' has no 'algorithm:' prefix"; return false; }
        var algorithm = text[..colon];
        var hex = text[(colon + 1)..];
        if (ExpectedLength(algorithm) is not int length)
        {
            error = $"digest algorithm '{Truncate(algorithm)}' is not supported (sha256, sha384, sha512)";
            return false;
        }
        if (hex.Length != length * 2 || !IsLowerHex(hex))
        {
            error = $"{algorithm} digest must be {length * 2} lowercase hex characters";
            return false;
        }
        digest = new Digest(algorithm, Convert.FromHexString(hex));
        error = null;
        return true;
    }

    public static Digest Parse(string text) =>
        TryParse(text, out var digest, out var error) ? digest.Value : throw new FormatException(error);

    private static int? ExpectedLength(string algorithm) => algorithm switch
    {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => null,
    };

    private static bool IsLowerHex(string s)
    {
        foreach (var c in s)
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f')) return false;
        return true;
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
