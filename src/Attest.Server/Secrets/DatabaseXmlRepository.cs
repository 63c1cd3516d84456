using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Attest.Server.Secrets;

/// <summary>
/// ASP.NET Core data-protection keys (they protect access tokens) in the shared database's secret store, so a token
/// one replica issued is accepted by every other, and the keys are encrypted with the key-encryption password like
/// every other key there. Data protection reads the ring at start and again when it meets a payload protected by a key
/// it does not know yet (a key another replica created).
/// </summary>
public sealed class DatabaseXmlRepository(ServerSecrets secrets) : IXmlRepository
{
    /// <summary>An XML key element is a few kilobytes; anything larger is not one.</summary>
    private const int MaxElementBytes = 64 * 1024;

    private SecretStore Store => secrets.Store ?? throw new InvalidOperationException("the key store is not open yet");

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        // Data protection's interface is synchronous; these calls are rare (start-up, new keys, key-ring refresh).
        var stored = Store.ListAsync(ServerSecrets.Kinds.DataProtection).GetAwaiter().GetResult();
        return [.. stored.Where(s => s.Value.Length <= MaxElementBytes).Select(s => XElement.Parse(Encoding.UTF8.GetString(s.Value)))];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        var name = string.IsNullOrEmpty(friendlyName) ? Store.NewName() : friendlyName;
        Store.AddAsync(ServerSecrets.Kinds.DataProtection, name, Encoding.UTF8.GetBytes(element.ToString(SaveOptions.DisableFormatting))).GetAwaiter().GetResult();
    }
}
