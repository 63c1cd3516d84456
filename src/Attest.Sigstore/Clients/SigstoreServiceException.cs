namespace Attest.Sigstore.Clients;

/// <summary>
/// A Sigstore service (CA, transparency log, timestamp authority) refused a request or answered something unusable.
/// <see cref="Status"/> is the HTTP status of a refusal (4xx: the request or credential is at fault; 5xx: the service),
/// null when the answer itself is at fault. The message is one line, naming the service and its reason.
/// </summary>
public sealed class SigstoreServiceException : Exception
{
    public SigstoreServiceException(string service, int? status, string message) : base($"{service}: {message}")
    {
        Service = service;
        Status = status;
    }

    public string Service { get; }

    public int? Status { get; }

    /// <summary>The service said no to this request (a 4xx): retrying the same request will not help.</summary>
    public bool Refused => Status is >= 400 and < 500;
}
