using System.Security.Cryptography;
using Attest.Core;

namespace Attest.Server.Hosting;

/// <summary>
/// The service's signing key on disk: an ECDSA P-256 PKCS#8 PEM file, generated on first start as a
/// development key. The file is created owner-only (0600) inside an owner-only directory (0700), and a
/// key file that others can read is refused, as ssh refuses one.
/// </summary>
public static class SigningKeyStore
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Loads the key at <paramref name="path"/>, creating it first if it does not exist.</summary>
    public static (ECDsa Key, bool Created) LoadOrCreate(string path)
    {
        var fullPath = Path.GetFullPath(path);
        var created = false;
        if (!File.Exists(fullPath))
        {
            Create(fullPath);
            created = true;
        }
        return (Load(fullPath), created);
    }

    /// <summary>The key's identity as published in logs and trust roots: SHA-256 of its SubjectPublicKeyInfo.</summary>
    public static string KeyId(ECDsa key) => Digest.Sha256(key.ExportSubjectPublicKeyInfo()).ToString();

    private static void Create(string fullPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        WriteOwnerOnly(fullPath, key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Writes a secret file owner-only (0600) inside an owner-only directory (0700): to a temporary name
    /// created owner-only, then renamed, so there is no moment where it is readable by others or half-written.</summary>
    internal static void WriteOwnerOnly(string fullPath, string text)
    {
        var directory = Path.GetDirectoryName(fullPath)!;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        var temporary = fullPath + ".tmp-" + Environment.ProcessId;
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnlyFile;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, fullPath, overwrite: false);
    }

    /// <summary>Reads a secret file, refusing one that group or others can access (as ssh refuses such a key).</summary>
    internal static string ReadOwnerOnly(string fullPath, string what)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(fullPath);
            if ((mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
                throw new StartupException(
                    $"{what} {fullPath} is accessible by group or others (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {fullPath}");
        }
        try
        {
            return File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"{what} {fullPath} cannot be read: {e.Message}", e);
        }
    }

    private static ECDsa Load(string fullPath) => FromPem(ReadOwnerOnly(fullPath, "signing key"), $"signing key {fullPath}");

    /// <summary>An ECDSA private key from PEM; <paramref name="what"/> names it in the error.</summary>
    internal static ECDsa FromPem(string pem, string what)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new StartupException($"{what} is not a PEM ECDSA private key", e);
        }
        return key;
    }
}
