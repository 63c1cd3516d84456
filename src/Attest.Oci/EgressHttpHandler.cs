using System.Net;
using System.Net.Security;
using Attest.Core.Crypto;

namespace Attest.Oci;

/// <summary>
/// The HTTP handler behind every outbound call Attest makes to a host named in configuration or in a workload
/// (registries; a module proxy the checksum database fetches from): extra CAs, bounded connect time, and the
/// link-local guard checked at connection time, and no redirects of its own (the registry client's
/// <see cref="EgressHandler"/> follows them, checking every hop; other callers refuse them). Callers check the host against
/// <see cref="RegistryClientOptions.IsAllowed"/> before each request.
/// </summary>
public static class EgressHttpHandler
{
    public static SocketsHttpHandler Create(RegistryClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.AttemptTimeout,
        };
        if (!options.AllowLinkLocal) handler.ConnectCallback = ConnectRefusingLinkLocalAsync;
        if (options.CaCertificates is { Count: > 0 } extra)
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = TlsTrust.ChainsTo(extra, orSystemStore: true) };
        return handler;
    }

    /// <summary>
    /// Connects like the default handler, but first resolves the host and refuses if any address is link-local (the
    /// cloud metadata service) or unspecified. Checked at connection time, so token realms, redirects and DNS answers
    /// that change after a check are covered too.
    /// </summary>
    private static async ValueTask<Stream> ConnectRefusingLinkLocalAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        foreach (var address in addresses)
        {
            var mapped = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            var linkLocal = mapped.IsIPv6LinkLocal || (mapped.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && mapped.GetAddressBytes() is [169, 254, _, _]);
            if (linkLocal || mapped.Equals(IPAddress.Any) || mapped.Equals(IPAddress.IPv6Any))
            {
                throw new RegistryException(RegistryCodes.NotAllowed,
                    $"connection to {host} refused: it resolves to {mapped}, a link-local or unspecified address (Attest:Registries:AllowLinkLocal)");
            }
        }
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
