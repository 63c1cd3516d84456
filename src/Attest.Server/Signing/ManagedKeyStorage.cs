using System.Globalization;
using System.Text;
using Attest.Server.Secrets;
using Attest.Sigstore.Cosign;

namespace Attest.Server.Signing;

/// <summary>Where the managed signing keys live: PKCS#8 private keys with their creation time, encrypted at rest with
/// the key-encryption password.</summary>
public abstract class ManagedKeyStorage
{
    /// <summary>Every stored key (creation time, PKCS#8 bytes the caller zeroes).</summary>
    public abstract Task<IReadOnlyList<(DateTimeOffset Created, byte[] Pkcs8)>> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new key. <paramref name="first"/>: only if there is no key yet (replicas starting together);
    /// the caller reloads to learn which first key won.</summary>
    public abstract Task SaveAsync(DateTimeOffset created, string keyId, byte[] pkcs8, bool first, CancellationToken cancellationToken);

    /// <summary>One cosign-format encrypted file per key (<c>&lt;created&gt;-&lt;keyid&gt;.key</c>, owner-only) in a directory.</summary>
    public sealed class Files(string directory, byte[] password) : ManagedKeyStorage
    {
        private const string FileTimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";

        public override Task<IReadOnlyList<(DateTimeOffset, byte[])>> LoadAsync(CancellationToken cancellationToken)
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
            else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            IReadOnlyList<(DateTimeOffset, byte[])> keys = [.. Directory.GetFiles(directory, "*.key").Order(StringComparer.Ordinal).Select(Load)];
            return Task.FromResult(keys);
        }

        public override async Task SaveAsync(DateTimeOffset created, string keyId, byte[] pkcs8, bool first, CancellationToken cancellationToken)
        {
            var path = Path.Combine(directory, $"{created.UtcDateTime.ToString(FileTimeFormat, CultureInfo.InvariantCulture)}-{keyId[..16]}.key");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using var stream = new FileStream(path, options);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(CosignKeyFile.Encrypt(pkcs8, password)), cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        private (DateTimeOffset, byte[]) Load(string path)
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (!DateTimeOffset.TryParseExact(name.Split('-')[0], FileTimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
                throw new InvalidDataException($"managed key file {path} is not named <created>-<keyid>.key");
            if (!CosignKeyFile.TryDecrypt(File.ReadAllText(path), password, out var pkcs8, out var error))
                throw new InvalidDataException($"managed key file {path} cannot be opened: {error}");
            return (created, pkcs8);
        }
    }

    /// <summary>Rows of the shared database's secret store (kind <c>managed-signing-key</c>), each encrypted as a key file is.</summary>
    public sealed class Database(SecretStore store) : ManagedKeyStorage
    {
        public override async Task<IReadOnlyList<(DateTimeOffset, byte[])>> LoadAsync(CancellationToken cancellationToken)
        {
            var secrets = await store.ListAsync(ServerSecrets.Kinds.ManagedSigningKey, cancellationToken).ConfigureAwait(false);
            // Copies: the store caches what it decrypted, and the caller zeroes what it is given.
            return [.. secrets.Select(s => (s.CreatedAt, s.Value.ToArray()))];
        }

        public override async Task SaveAsync(DateTimeOffset created, string keyId, byte[] pkcs8, bool first, CancellationToken cancellationToken)
        {
            var name = $"{created.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}-{keyId[..16]}";
            if (first) await store.TryAddFirstAsync(ServerSecrets.Kinds.ManagedSigningKey, name, pkcs8, cancellationToken).ConfigureAwait(false);
            else if (!await store.AddAsync(ServerSecrets.Kinds.ManagedSigningKey, name, pkcs8, cancellationToken).ConfigureAwait(false))
                throw new InvalidOperationException($"a managed key named {name} already exists");
        }
    }
}
