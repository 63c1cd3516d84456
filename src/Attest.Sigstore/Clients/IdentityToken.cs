using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Attest.Sigstore.Clients;

/// <summary>
/// An OIDC identity token as the signing client reads it, without verifying it (the CA does that): the issuer, the
/// subject and expiry for messages, and the challenge the proof of possession signs, which is what Fulcio's principal
/// is and sigstore-js signs: the e-mail address when the token has a verified one, else <c>sub</c>.
/// </summary>
public sealed record IdentityToken(string Raw, string? Issuer, string? Subject, string Challenge, DateTimeOffset? Expires)
{
    /// <summary>Far beyond any identity token (GitHub's are about 1 KB).</summary>
    public const int MaxLength = 32 * 1024;

    public static bool TryParse(string? text, [NotNullWhen(true)] out IdentityToken? token, [NotNullWhen(false)] out string? error)
    {
        token = null;
        var raw = text?.Trim() ?? "";
        if (raw.Length == 0) return Fail("the identity token is empty", out error);
        if (raw.Length > MaxLength) return Fail($"the identity token is longer than {MaxLength} characters", out error);
        var parts = raw.Split('.');
        if (parts.Length != 3) return Fail("the identity token is not a JWT (header.payload.signature)", out error);
        byte[] payload;
        try
        {
            payload = FromBase64Url(parts[1]);
        }
        catch (FormatException)
        {
            return Fail("the identity token's payload is not base64url", out error);
        }
        try
        {
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 16 });
            var claims = document.RootElement;
            if (claims.ValueKind != JsonValueKind.Object) return Fail("the identity token's payload is not a JSON object", out error);
            var issuer = String(claims, "iss");
            var subject = String(claims, "sub");
            var email = String(claims, "email");
            var verified = claims.TryGetProperty("email_verified", out var v) && v.ValueKind == JsonValueKind.True;
            var challenge = email is not null && verified ? email : subject;
            if (challenge is null) return Fail("the identity token has no sub claim", out error);
            DateTimeOffset? expires = claims.TryGetProperty("exp", out var exp) && exp.ValueKind == JsonValueKind.Number && exp.TryGetInt64(out var seconds)
                && seconds is > 0 and < 253402300800 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
            token = new IdentityToken(raw, issuer, subject, challenge, expires);
            error = null;
            return true;
        }
        catch (JsonException)
        {
            return Fail("the identity token's payload is not JSON", out error);
        }
    }

    /// <summary>The raw token is a bearer credential: never printed.</summary>
    public override string ToString() => $"IdentityToken {{ Issuer = {Issuer}, Subject = {Subject}, Expires = {Expires:O} }}";

    private static string? String(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException() };
        return Convert.FromBase64String(padded);
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }
}
