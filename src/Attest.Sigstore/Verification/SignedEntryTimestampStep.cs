using System.Globalization;
using Attest.Core;
using Attest.Core.Crypto;

namespace Attest.Sigstore.Verification;

/// <summary>
/// Rekor v1 signed entry timestamps (inclusion promises): the log's signature over the RFC 8785 canonical JSON of
/// <c>{"body","integratedTime","logID","logIndex"}</c>, with the log key valid at the integrated time. A verified SET
/// makes the integrated time an observer timestamp. (reference §1.0 "SET"; conformance set-invalid-signature_fail, incorrect-public-key_fail)
/// </summary>
internal sealed class SignedEntryTimestampStep : IVerificationStep
{
    public Finding? Verify(VerificationContext context)
    {
        foreach (var (entry, log, _) in context.Entries)
        {
            if (entry.SignedEntryTimestamp is not { } set) continue;
            var at = $"Transparency log entry {entry.LogIndex}";
            var integrated = DateTimeOffset.FromUnixTimeSeconds(Math.Min(entry.IntegratedTime, 253402300799));
            if (!log.ValidFor.Contains(integrated))
                return VerificationContext.Finding(SigstoreCodes.TlogKeyNotValid, $"{at} was integrated at {integrated:O}, outside the validity {log.ValidFor} of {log.BaseUrl}'s key.");
            var payload = CanonicalPayload(entry.CanonicalizedBody, entry.IntegratedTime, entry.LogId, entry.LogIndex);
            if (!log.Key!.VerifyData(payload, set, log.Key.DefaultScheme))
                return VerificationContext.Finding(SigstoreCodes.TlogSetInvalid, $"{at}'s signed entry timestamp does not verify with the key of {log.BaseUrl}.");
            context.Timestamps.Add(new VerifiedTimestamp(TimestampSource.TransparencyLog, integrated, log.BaseUrl));
        }
        return null;
    }

    /// <summary>The JCS form of the SET payload. Members are already in code-unit order, values are base64, ASCII hex and integers, so no general canonicaliser is needed.</summary>
    internal static byte[] CanonicalPayload(byte[] body, long integratedTime, byte[] logId, long logIndex)
    {
        // Written as ASCII bytes in one buffer: the body is the bulk of it and needs no intermediate strings.
        var buffer = new byte[64 + ((body.Length + 2) / 3 * 4) + (logId.Length * 2) + 40];
        var span = buffer.AsSpan();
        var at = 0;
        Append(span, ref at, "{\"body\":\""u8);
        System.Buffers.Text.Base64.EncodeToUtf8(body, span[at..], out _, out var written);
        at += written;
        Append(span, ref at, "\",\"integratedTime\":"u8);
        integratedTime.TryFormat(span[at..], out written, default, CultureInfo.InvariantCulture);
        at += written;
        Append(span, ref at, ",\"logID\":\""u8);
        Convert.TryToHexStringLower(logId, span[at..], out written);
        at += written;
        Append(span, ref at, "\",\"logIndex\":"u8);
        logIndex.TryFormat(span[at..], out written, default, CultureInfo.InvariantCulture);
        at += written;
        Append(span, ref at, "}"u8);
        return buffer[..at];
    }

    private static void Append(Span<byte> buffer, ref int at, ReadOnlySpan<byte> text)
    {
        text.CopyTo(buffer[at..]);
        at += text.Length;
    }
}
