using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Attest.Core.IO;

/// <summary>What <c>lstat</c>/<c>fstat</c> say about a file: its type, size, owner and permission bits.</summary>
public readonly record struct FileStatus(FileKind Kind, long Size, uint OwnerId, UnixFileMode Mode, uint Links)
{
    public bool IsRegular => Kind == FileKind.Regular;
}

public enum FileKind
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

/// <summary>A path that is not a regular file where one was required (a FIFO, device, socket, directory or link).</summary>
public sealed class IrregularFileException(string path, FileKind kind)
    : IOException($"{path}: not a regular file ({Describe(kind)})")
{
    public string Path { get; } = path;

    public FileKind Kind { get; } = kind;

    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "it does not exist",
        FileKind.Directory => "a directory",
        FileKind.SymbolicLink => "a symbolic link, not followed",
        FileKind.Fifo => "a named pipe",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => "not a regular file",
    };
}

/// <summary>
/// Opens files for reading only when they are regular files. <see cref="File.OpenRead"/> on a named pipe blocks until a
/// writer appears, and a character device such as <c>/dev/zero</c> streams forever while reporting length 0: a walk
/// over a directory that is not entirely trusted must neither open the one nor read the other. On Linux the path is
/// <c>lstat</c>-ed (links are not followed), opened non-blocking (a pipe's open returns at once), and the open file is
/// <c>fstat</c>-ed again and must be the same regular file, so swapping the path between the two steps gains nothing.
/// </summary>
public static partial class RegularFile
{
    /// <summary>The file's status without following a final symbolic link (<c>lstat</c>).</summary>
    public static FileStatus Status(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsLinux() && Native.Available && Native.TryStatx(path, out var status, out _)) return status;
        return Managed(path);
    }

    /// <summary>Opens <paramref name="path"/> for reading; <see cref="IrregularFileException"/> when it is not a regular file.</summary>
    public static FileStream OpenRead(string path, int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsLinux() && Native.Available)
        {
            Native.TryStatx(path, out var before, out var identity);
            if (before.Kind == FileKind.Missing) throw new FileNotFoundException($"{path}: no such file", path);
            if (!before.IsRegular) throw new IrregularFileException(path, before.Kind);
            var handle = Native.OpenNonBlocking(path);
            try
            {
                var after = Native.Fstat(handle, path);
                if (!after.Status.IsRegular || after.Identity != identity)
                    throw new IrregularFileException(path, after.Status.IsRegular ? FileKind.Other : after.Status.Kind);
                return new FileStream(handle, FileAccess.Read, Math.Max(bufferSize, 1), isAsync: false);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }
        var status = Managed(path);
        if (status.Kind == FileKind.Missing) throw new FileNotFoundException($"{path}: no such file", path);
        if (!status.IsRegular) throw new IrregularFileException(path, status.Kind);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, Math.Max(bufferSize, 1), options);
    }

    /// <summary>The effective user id of this process (0 where there is none).</summary>
    public static uint CurrentUserId => OperatingSystem.IsWindows() ? 0 : Native.geteuid();

    /// <summary>Without native calls: links and directories are known; anything else that reports length 0 is not
    /// trusted to be a regular file.</summary>
    private static FileStatus Managed(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) return new FileStatus(FileKind.SymbolicLink, 0, 0, 0, 1);
        if (Directory.Exists(path)) return new FileStatus(FileKind.Directory, 0, 0, 0, 1);
        if (!info.Exists) return new FileStatus(FileKind.Missing, 0, 0, 0, 0);
        var mode = OperatingSystem.IsWindows() ? default : info.UnixFileMode;
        return new FileStatus(info.Length > 0 || OperatingSystem.IsWindows() ? FileKind.Regular : FileKind.Other, info.Length, 0, mode, 1);
    }

    /// <summary>statx(2) (glibc ≥ 2.28) has one layout on every architecture, unlike struct stat.</summary>
    private static partial class Native
    {
        private const string Libc = "libc";
        private const int AtFdCwd = -100;
        private const int AtSymlinkNoFollow = 0x100;
        private const int AtEmptyPath = 0x1000;
        private const uint StatxBasic = 0x7ff; // type, mode, nlink, uid, gid, times, ino, size, blocks
        private const int ORdOnly = 0, ONoCtty = 0x100, ONonBlock = 0x800, OCloExec = 0x80000; // asm-generic and x86-64 agree
        private const int Enoent = 2, Enotdir = 20, Eintr = 4;

        private static readonly Lazy<bool> Probe = new(() =>
        {
            try
            {
                return TryStatx("/", out _, out _);
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                return false;
            }
        });

        public static bool Available => Probe.Value;

        public static bool TryStatx(string path, out FileStatus status, out (ulong Device, ulong Inode) identity)
        {
            Span<byte> buffer = stackalloc byte[256];
            if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasic, buffer) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                identity = default;
                if (errno is Enoent or Enotdir)
                {
                    status = new FileStatus(FileKind.Missing, 0, 0, 0, 0);
                    return true;
                }
                status = default;
                if (errno == Eintr) return TryStatx(path, out status, out identity);
                // Permission denied on a parent, and the like: report it the way the managed APIs do.
                throw new UnauthorizedAccessException($"{path}: cannot be examined (errno {errno})");
            }
            (status, identity) = Decode(buffer);
            return true;
        }

        public static SafeFileHandle OpenNonBlocking(string path)
        {
            while (true)
            {
                var fd = open(path, ORdOnly | ONoCtty | ONonBlock | OCloExec);
                if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr) continue;
                if (errno is Enoent or Enotdir) throw new FileNotFoundException($"{path}: no such file", path);
                throw new UnauthorizedAccessException($"{path}: cannot be opened (errno {errno})");
            }
        }

        public static (FileStatus Status, (ulong, ulong) Identity) Fstat(SafeFileHandle handle, string path)
        {
            Span<byte> buffer = stackalloc byte[256];
            if (statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxBasic, buffer) != 0)
                throw new IOException($"{path}: cannot be examined after opening (errno {Marshal.GetLastPInvokeError()})");
            return Decode(buffer);
        }

        private static (FileStatus, (ulong, ulong)) Decode(ReadOnlySpan<byte> b)
        {
            var nlink = BitConverter.ToUInt32(b[16..]);
            var uid = BitConverter.ToUInt32(b[20..]);
            var mode = BitConverter.ToUInt16(b[28..]);
            var inode = BitConverter.ToUInt64(b[32..]);
            var size = BitConverter.ToUInt64(b[40..]);
            var device = ((ulong)BitConverter.ToUInt32(b[136..]) << 32) | BitConverter.ToUInt32(b[140..]);
            var kind = (mode & 0xF000) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0xA000 => FileKind.SymbolicLink,
                0x1000 => FileKind.Fifo,
                0x2000 => FileKind.CharacterDevice,
                0x6000 => FileKind.BlockDevice,
                0xC000 => FileKind.Socket,
                _ => FileKind.Other,
            };
            return (new FileStatus(kind, (long)Math.Min(size, long.MaxValue), uid, (UnixFileMode)(mode & 0xFFF), nlink), (device, inode));
        }

        [LibraryImport(Libc, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        private static partial int statx(int dirfd, string path, int flags, uint mask, Span<byte> buffer);

        [LibraryImport(Libc, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        private static partial int open(string path, int flags);

        [LibraryImport(Libc)]
        internal static partial uint geteuid();
    }
}
