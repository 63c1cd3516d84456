using System.Net;
using System.Text;
using Attest.Oci;

namespace Attest.Fuzz.Targets;

/// <summary>
/// A registry's authentication challenge: the first line of the input is the <c>WWW-Authenticate</c> value of a 401
/// (CR and LF removed: no HTTP stack delivers them inside a header), the rest is what the token service answers.
/// <see cref="RegistryClient"/> answers the challenge (Basic or Bearer, realm, service, scope), fetches and reads the
/// token, and retries; <see cref="RegistryException"/> is its documented refusal.
/// </summary>
internal static class WwwAuthenticateTarget
{
    private static readonly ImageReference Image = ImageReference.Parse(FakeRegistry.Host + "/app:latest");
    private static readonly byte[] Manifest = Encoding.UTF8.GetBytes(
        """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}""");
    private static readonly StaticCredentials Credentials = new(new RegistryCredential("fuzz", "secret"));

    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var challenge = (newline < 0 ? text : text[..newline]).Replace("\r", "", StringComparison.Ordinal);
        var tokenResponse = newline < 0 ? [] : Encoding.UTF8.GetBytes(text[(newline + 1)..]);

        using var client = new RegistryClient(new RegistryClientOptions { MaxAttempts = 1, Credentials = Credentials }, TimeProvider.System,
            new FakeRegistry(request =>
            {
                if (request.RequestUri!.Host != FakeRegistry.Host || !request.RequestUri.AbsolutePath.StartsWith("/v2/", StringComparison.Ordinal))
                    return FakeRegistry.Content(tokenResponse, "application/json");
                if (request.Headers.Authorization is null)
                {
                    var unauthorized = new HttpResponseMessage(HttpStatusCode.Unauthorized);
                    unauthorized.Headers.TryAddWithoutValidation("WWW-Authenticate", challenge);
                    return unauthorized;
                }
                return FakeRegistry.Content(Manifest, "application/vnd.oci.image.manifest.v1+json");
            }));
        FakeRegistry.Expect(() => client.GetManifestAsync(Image));
    }

    private sealed class StaticCredentials(RegistryCredential credential) : IRegistryCredentialProvider
    {
        public RegistryCredential? GetCredential(string registry) => credential;
    }
}
