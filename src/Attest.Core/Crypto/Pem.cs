using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Attest.Core.Crypto;

/// <summary>RFC 7468 PEM reading, bounded, for keys and certificates.</summary>
public static class Pem
{
    public const int MaxLength = 1 << 20;
    public const string PublicKeyLabel = "PUBLIC KEY";
    public const string RsaPublicKeyLabel = "RSA PUBLIC KEY";
    public const string CertificateLabel = "CERTIFICATE";

    public static bool TryReadFirst(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? label, [NotNullWhen(true)] out byte[]? der, [NotNullWhen(false)] out string? error)
    {
        label = null;
        der = null;
        if (text.Length > MaxLength) { error = $"PEM text is longer than {MaxLength} characters"; return false; }
        if (!PemEncoding.TryFind(text, out var fields)) { error = "no PEM block found"; return false; }
        label = text[fields.Label].ToString();
        der = new byte[fields.DecodedDataLength];
        if (!Convert.TryFromBase64Chars(text[fields.Base64Data], der, out var written) || written != der.Length)
        {
            label = null;
            der = null;
            error = "PEM body is not valid base64";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Every block with <paramref name="label"/>, in order, at most <paramref name="maxBlocks"/>.</summary>
    public static bool TryReadAll(ReadOnlySpan<char> text, string label, int maxBlocks, out List<byte[]> blocks, [NotNullWhen(false)] out string? error)
    {
        blocks = [];
        if (text.Length > MaxLength) { error = $"PEM text is longer than {MaxLength} characters"; return false; }
        while (PemEncoding.TryFind(text, out var fields))
        {
            if (text[fields.Label].SequenceEqual(label))
            {
                if (blocks.Count == maxBlocks) { error = $"more than {maxBlocks} PEM blocks"; return false; }
                var der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(text[fields.Base64Data], der, out var written) || written != der.Length)
                {
                    error = "PEM body is not valid base64";
                    return false;
                }
                blocks.Add(der);
            }
            text = text[fields.Location.End..];
        }
        error = blocks.Count == 0 ? $"no PEM block '{label}' found" : null;
        return error is null;
    }

    public static string Encode(string label, ReadOnlySpan<byte> der) => new(PemEncoding.Write(label, der));
}
