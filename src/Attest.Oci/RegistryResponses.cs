using System.Net;
using Attest.Core.IO;

namespace Attest.Oci;

/// <summary>How registry and token-service answers are read: bounded in size, and which statuses are worth a retry.</summary>
internal static class RegistryResponses
{
    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>The whole body, at most <paramref name="maxBytes"/> (an announced or actual larger body is
    /// <see cref="RegistryCodes.TooLarge"/>, naming <paramref name="what"/>).</summary>
    public static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, long maxBytes, string what, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is long announced && announced > maxBytes)
            throw new RegistryException(RegistryCodes.TooLarge, $"{what} is {announced} bytes, more than the {maxBytes} allowed");
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await BoundedRead.ReadAllAsync(stream, maxBytes, cancellationToken).ConfigureAwait(false)
            ?? throw new RegistryException(RegistryCodes.TooLarge, $"{what} is more than the {maxBytes} bytes allowed");
    }
}
