using System.Reflection;
using System.Runtime.InteropServices;

namespace Attest.Core.Crypto;

/// <summary>
/// The few libsodium functions Attest needs (Ed25519, and later scrypt and secretbox for cosign key
/// files). .NET has no Ed25519, and NSec/BouncyCastle are not in the package feed here, so we bind
/// Debian's libsodium23 directly. Kept to raw calls; the typed API is <see cref="Ed25519"/>.
/// </summary>
internal static partial class Sodium
{
    private const string Library = "libsodium";

    public const int Ed25519PublicKeyBytes = 32;
    public const int Ed25519SecretKeyBytes = 64;
    public const int Ed25519SeedBytes = 32;
    public const int Ed25519SignatureBytes = 64;

    private static readonly Lazy<bool> Initialized = new(() =>
    {
        NativeLibrary.SetDllImportResolver(typeof(Sodium).Assembly, Resolve);
        // sodium_init returns 0 on success, 1 if already initialised, -1 on failure.
        if (sodium_init() < 0) throw new InvalidOperationException("libsodium failed to initialise");
        return true;
    });

    public static void EnsureInitialized()
    {
        try
        {
            _ = Initialized.Value;
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException(
                "libsodium is required for Ed25519 (Debian package libsodium23: apt-get install libsodium23)", e);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return IntPtr.Zero;
        // Debian ships only the versioned soname without the -dev package.
        foreach (var candidate in new[] { "libsodium.so.23", "libsodium.so.26", "libsodium.so", "libsodium" })
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        return IntPtr.Zero;
    }

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    internal static partial int crypto_sign_ed25519_verify_detached(
        ReadOnlySpan<byte> sig, ReadOnlySpan<byte> m, ulong mlen, ReadOnlySpan<byte> pk);

    [LibraryImport(Library)]
    internal static partial int crypto_sign_ed25519_detached(
        Span<byte> sig, out ulong siglen, ReadOnlySpan<byte> m, ulong mlen, ReadOnlySpan<byte> sk);

    [LibraryImport(Library)]
    internal static partial int crypto_sign_ed25519_seed_keypair(Span<byte> pk, Span<byte> sk, ReadOnlySpan<byte> seed);

    public const int SecretBoxKeyBytes = 32;
    public const int SecretBoxNonceBytes = 24;
    public const int SecretBoxMacBytes = 16;

    [LibraryImport(Library)]
    internal static partial int crypto_pwhash_scryptsalsa208sha256_ll(
        ReadOnlySpan<byte> passwd, nuint passwdlen, ReadOnlySpan<byte> salt, nuint saltlen, ulong N, uint r, uint p, Span<byte> buf, nuint buflen);

    [LibraryImport(Library)]
    internal static partial int crypto_secretbox_easy(
        Span<byte> c, ReadOnlySpan<byte> m, ulong mlen, ReadOnlySpan<byte> n, ReadOnlySpan<byte> k);

    [LibraryImport(Library)]
    internal static partial int crypto_secretbox_open_easy(
        Span<byte> m, ReadOnlySpan<byte> c, ulong clen, ReadOnlySpan<byte> n, ReadOnlySpan<byte> k);
}
