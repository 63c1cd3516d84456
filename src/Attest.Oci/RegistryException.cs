namespace Attest.Oci;

/// <summary>A registry call failed. <see cref="Code"/> is stable (callers turn it into a finding or a denial
/// reason); <see cref="IsTransient"/> says whether trying again later may help (and whether a failure may be
/// cached: transient ones never are).</summary>
public sealed class RegistryException : Exception
{
    public RegistryException(string code, string message, bool isTransient = false, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        IsTransient = isTransient;
    }

    public string Code { get; }

    public bool IsTransient { get; }
}

/// <summary>Stable reason codes of registry failures.</summary>
public static class RegistryCodes
{
    public const string Unreachable = "registry.unreachable";
    public const string Timeout = "registry.timeout";
    public const string ServerError = "registry.server-error";
    public const string AuthRequired = "registry.auth.required";
    public const string AuthDenied = "registry.auth.denied";
    public const string AuthFailed = "registry.auth.token-failed";
    public const string NotFound = "registry.not-found";
    public const string TooLarge = "registry.too-large";
    public const string DigestMismatch = "registry.digest.mismatch";
    public const string Malformed = "registry.malformed";
    public const string Unexpected = "registry.unexpected-status";
    public const string Rejected = "registry.rejected";
    public const string NotAllowed = "registry.not-allowed";
}
