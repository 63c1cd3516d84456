using Attest.Sbom.Model;

namespace Attest.Sbom.Reading;

internal static class HashAlgorithms
{
    /// <summary>Maps the spellings of CycloneDX (<c>SHA-256</c>), SPDX 2 (<c>SHA256</c>) and SPDX 3 (<c>sha256</c>).</summary>
    public static HashAlgorithm Parse(string text) => text switch
    {
        "SHA-256" or "SHA256" or "sha256" => HashAlgorithm.Sha256,
        "SHA-1" or "SHA1" or "sha1" => HashAlgorithm.Sha1,
        "SHA-512" or "SHA512" or "sha512" => HashAlgorithm.Sha512,
        "MD5" or "md5" => HashAlgorithm.Md5,
        _ => ParseSlow(text),
    };

    private static HashAlgorithm ParseSlow(string text) =>
        text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToUpperInvariant() switch
        {
            "MD5" => HashAlgorithm.Md5,
            "SHA1" => HashAlgorithm.Sha1,
            "SHA224" => HashAlgorithm.Sha224,
            "SHA256" => HashAlgorithm.Sha256,
            "SHA384" => HashAlgorithm.Sha384,
            "SHA512" => HashAlgorithm.Sha512,
            "SHA3256" => HashAlgorithm.Sha3_256,
            "SHA3384" => HashAlgorithm.Sha3_384,
            "SHA3512" => HashAlgorithm.Sha3_512,
            "BLAKE2B256" => HashAlgorithm.Blake2b256,
            "BLAKE2B384" => HashAlgorithm.Blake2b384,
            "BLAKE2B512" => HashAlgorithm.Blake2b512,
            "BLAKE3" => HashAlgorithm.Blake3,
            _ => HashAlgorithm.Other,
        };

    public static bool IsHex(string s)
    {
        foreach (var c in s)
            if (!char.IsAsciiHexDigit(c)) return false;
        return s.Length > 0;
    }
}
