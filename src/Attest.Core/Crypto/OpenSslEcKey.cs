using System.Runtime.InteropServices;

namespace Attest.Core.Crypto;

/// <summary>
/// An ECDSA public key held as an OpenSSL <c>EC_KEY</c> and checked with <c>ECDSA_verify</c>, the library .NET itself
/// uses on Linux, called without .NET's provider-based wrapper. Why: on OpenSSL 3.0 (Debian 12) importing a key through
/// <see cref="System.Security.Cryptography.ECDsa"/> costs about 145 µs (provider and decoder lookups under a global lock,
/// plus a full order multiplication in <c>EC_KEY_check_key</c>), nearly twice a P-256 verification; every keyless
/// bundle brings a fresh leaf key, so that import was the largest cost after the signatures themselves. Here import is
/// a new <c>EC_KEY</c> on a copy of the curve's cached group + <c>o2i_ECPublicKey</c> (about 3 µs), which still rejects
/// coordinates outside the field and points off the curve. The order check is omitted on purpose: P-256, P-384 and P-521 have cofactor 1, so
/// every point on the curve other than infinity (which an uncompressed encoding cannot express) has the group's order.
/// Used only when libcrypto.so.3 exports all of these functions; otherwise <see cref="PublicKey"/> falls back to .NET.
/// </summary>
internal sealed unsafe class OpenSslEcKey : SafeHandle
{
    /// <summary>
    /// Verifications after which a key gets its own table of multiples (<see cref="OpenSslKeyTable"/>). A key used this
    /// often is trust material the process holds (a CA, log or policy key), not a bundle's leaf, which checks one or
    /// two signatures. The table pays for itself within a few verifications on P-384 and a few hundred on P-256.
    /// </summary>
    internal const int TableAfterVerifications = 64;

    private readonly KeyAlgorithm _algorithm;
    private int _verifications;
    private OpenSslKeyTable? _table;

    private OpenSslEcKey(KeyAlgorithm algorithm) : base(IntPtr.Zero, ownsHandle: true) => _algorithm = algorithm;

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Whether the OpenSSL functions are there (Linux with OpenSSL 3).</summary>
    public static bool Available => Functions.Loaded;

    /// <summary>OpenSSL's NID of a supported curve.</summary>
    private static int CurveNid(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => 415, // NID_X9_62_prime256v1
        KeyAlgorithm.EcdsaP384 => 715, // NID_secp384r1
        _ => 716, // NID_secp521r1
    };

    /// <summary>Bytes of one field element (a coordinate, or r and s of a signature) of a supported curve; 0 for other keys.</summary>
    public static int FieldBytes(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => 32,
        KeyAlgorithm.EcdsaP384 => 48,
        KeyAlgorithm.EcdsaP521 => 66,
        _ => 0,
    };

    /// <summary>
    /// Imports an uncompressed point (<c>04 ‖ X ‖ Y</c>, as the SPKI bit string carries it); null when the encoding is not
    /// exactly that or the point is not on the curve.
    /// </summary>
    public static OpenSslEcKey? TryImport(KeyAlgorithm algorithm, ReadOnlySpan<byte> uncompressedPoint)
    {
        var fieldBytes = FieldBytes(algorithm);
        // Compressed and hybrid forms are refused, as .NET refuses them: one accepted encoding per key.
        if (!Available || fieldBytes == 0 || uncompressedPoint.Length != 1 + 2 * fieldBytes || uncompressedPoint[0] != 0x04) return null;
        // A new key on a copy of the curve's cached group: building the group from its curve name every time cost
        // more than decoding the point (about 10 µs against 3).
        var raw = Functions.NewKey();
        if (raw == IntPtr.Zero || Functions.SetGroup(raw, Functions.Groups[(int)algorithm]) != 1)
        {
            if (raw != IntPtr.Zero) Functions.Free(raw);
            Functions.ClearErrors();
            return null;
        }
        var key = new OpenSslEcKey(algorithm);
        key.SetHandle(raw);
        fixed (byte* start = uncompressedPoint)
        {
            var cursor = start;
            var decoded = Functions.DecodePoint(&raw, &cursor, uncompressedPoint.Length);
            if (decoded == IntPtr.Zero || cursor != start + uncompressedPoint.Length)
            {
                Functions.ClearErrors();
                key.Dispose();
                return null;
            }
        }
        return key;
    }

    /// <summary>Verifies a DER <c>ECDSA-Sig-Value</c> over a digest. OpenSSL rejects any non-canonical DER (it re-encodes and compares).</summary>
    public bool VerifyDigest(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> derSignature)
    {
        var added = false;
        try
        {
            DangerousAddRef(ref added);
            if (Volatile.Read(ref _table) is { } table) return table.VerifyDigest(digest, derSignature);
            if (Interlocked.Increment(ref _verifications) == TableAfterVerifications && OpenSslKeyTable.Available)
            {
                // Built off the request path: a P-256 table takes about 40 ms. Until it is there, ECDSA_verify serves.
                ThreadPool.UnsafeQueueUserWorkItem(static key => key.BuildTable(), this, preferLocal: false);
            }
            int result;
            fixed (byte* d = digest)
            fixed (byte* s = derSignature)
            {
                result = Functions.Verify(0, d, digest.Length, s, derSignature.Length, handle);
            }
            // 0 is "does not verify", -1 a malformed signature; both leave errors on this thread's OpenSSL queue, which
            // .NET's own calls on the same thread must not find.
            if (result != 1) Functions.ClearErrors();
            return result == 1;
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }

    /// <summary>Builds this key's table now, if it has none (tests call it directly; otherwise it follows heavy use).</summary>
    internal bool BuildTable()
    {
        var added = false;
        try
        {
            DangerousAddRef(ref added);
            if (Volatile.Read(ref _table) is not null) return true;
            var table = OpenSslKeyTable.TryBuild(Functions.Groups[(int)_algorithm], Functions.PublicPoint(handle));
            if (table is null) return false;
            if (Interlocked.CompareExchange(ref _table, table, null) is not null) table.Dispose();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false; // the key went away before its turn came
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }

    /// <summary>Whether verifications now use the key's own table.</summary>
    internal bool HasTable => Volatile.Read(ref _table) is not null;

    protected override bool ReleaseHandle()
    {
        Functions.Free(handle);
        return true;
    }

    /// <summary>The libcrypto exports, resolved once; <see cref="Loaded"/> is false when any is missing.</summary>
    private static class Functions
    {
        public static readonly bool Loaded;
        public static readonly delegate* unmanaged<IntPtr> NewKey;
        public static readonly delegate* unmanaged<IntPtr, IntPtr, int> SetGroup;

        /// <summary>One EC_GROUP per supported curve, indexed by <see cref="KeyAlgorithm"/> (P-256, P-384, P-521 are 0-2),
        /// for the life of the process.
        /// Keys get their own copy (EC_KEY_set_group duplicates it), so these are only ever read.</summary>
        public static readonly IntPtr[] Groups = new IntPtr[3];
        public static readonly delegate* unmanaged<IntPtr*, byte**, long, IntPtr> DecodePoint;
        public static readonly delegate* unmanaged<int, byte*, int, byte*, int, IntPtr, int> Verify;
        public static readonly delegate* unmanaged<IntPtr, void> Free;
        public static readonly delegate* unmanaged<IntPtr, IntPtr> PublicPoint;
        private static readonly delegate* unmanaged<void> ClearErrorQueue;

        static Functions()
        {
            if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("ATTEST_OPENSSL_EC") == "0") return;
            if (!NativeLibrary.TryLoad("libcrypto.so.3", out var library)) return;
            if (!NativeLibrary.TryGetExport(library, "EC_KEY_new", out var newKey)
                || !NativeLibrary.TryGetExport(library, "EC_KEY_set_group", out var setGroup)
                || !NativeLibrary.TryGetExport(library, "EC_GROUP_new_by_curve_name", out var newGroup)
                || !NativeLibrary.TryGetExport(library, "o2i_ECPublicKey", out var decode)
                || !NativeLibrary.TryGetExport(library, "ECDSA_verify", out var verify)
                || !NativeLibrary.TryGetExport(library, "EC_KEY_free", out var free)
                || !NativeLibrary.TryGetExport(library, "EC_KEY_get0_public_key", out var publicPoint)
                || !NativeLibrary.TryGetExport(library, "ERR_clear_error", out var clear))
            {
                return;
            }
            NewKey = (delegate* unmanaged<IntPtr>)newKey;
            SetGroup = (delegate* unmanaged<IntPtr, IntPtr, int>)setGroup;
            var newGroupByCurveName = (delegate* unmanaged<int, IntPtr>)newGroup;
            foreach (var curve in new[] { KeyAlgorithm.EcdsaP256, KeyAlgorithm.EcdsaP384, KeyAlgorithm.EcdsaP521 })
            {
                Groups[(int)curve] = newGroupByCurveName(CurveNid(curve));
                if (Groups[(int)curve] == IntPtr.Zero) return; // not an OpenSSL with these curves: use .NET
            }
            // OpenSSL 3.0's generic code (P-384 here; P-256 and, where built in, P-521 have their own with a table)
            // computes u1·G from scratch on every verification. A table of multiples of G on the shared group, which
            // every key's copy of the group shares by reference, made P-384 verification about 5% faster, and the
            // per-key tables (OpenSslKeyTable) need it. Without the export, verification is only slower.
            if (NativeLibrary.TryGetExport(library, "EC_GROUP_precompute_mult", out var precompute))
            {
                var precomputeGenerator = (delegate* unmanaged<IntPtr, IntPtr, int>)precompute;
                foreach (var curve in new[] { KeyAlgorithm.EcdsaP384, KeyAlgorithm.EcdsaP521 })
                {
                    if (precomputeGenerator(Groups[(int)curve], IntPtr.Zero) != 1) ((delegate* unmanaged<void>)clear)();
                }
            }
            DecodePoint = (delegate* unmanaged<IntPtr*, byte**, long, IntPtr>)decode;
            Verify = (delegate* unmanaged<int, byte*, int, byte*, int, IntPtr, int>)verify;
            Free = (delegate* unmanaged<IntPtr, void>)free;
            PublicPoint = (delegate* unmanaged<IntPtr, IntPtr>)publicPoint;
            ClearErrorQueue = (delegate* unmanaged<void>)clear;
            Loaded = true;
        }

        public static void ClearErrors() => ClearErrorQueue();
    }
}
