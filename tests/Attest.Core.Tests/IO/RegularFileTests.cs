using System.Diagnostics;
using Attest.Core.IO;
using Attest.Testing;

namespace Attest.Core.Tests.IO;

/// <summary>Only regular files are opened: a named pipe neither blocks the open nor is read, a device is refused,
/// and a symbolic link is not followed, whatever it points at.</summary>
public sealed class RegularFileTests
{
    [Fact]
    public async Task Named_pipe_is_refused_without_blocking()
    {
        using var directory = new TempDirectory("attest-regular-file");
        var pipe = Path.Combine(directory.Path, "pipe");
        MakeFifo(pipe);
        // A plain open blocks until a writer appears; this must answer at once.
        var open = Task.Run(() => RegularFile.OpenRead(pipe));
        var error = await Assert.ThrowsAsync<IrregularFileException>(() => open.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(FileKind.Fifo, error.Kind);
        Assert.Equal(FileKind.Fifo, RegularFile.Status(pipe).Kind);
    }

    [Fact]
    public void Device_and_links_are_refused_and_regular_files_open()
    {
        Assert.Equal(FileKind.CharacterDevice, Assert.Throws<IrregularFileException>(() => RegularFile.OpenRead("/dev/zero")).Kind);
        using var directory = new TempDirectory("attest-regular-file");
        var file = Path.Combine(directory.Path, "file");
        File.WriteAllText(file, "content");
        var link = Path.Combine(directory.Path, "link");
        File.CreateSymbolicLink(link, file);
        var toDevice = Path.Combine(directory.Path, "zero");
        File.CreateSymbolicLink(toDevice, "/dev/zero");
        Assert.Equal(FileKind.SymbolicLink, Assert.Throws<IrregularFileException>(() => RegularFile.OpenRead(link)).Kind);
        Assert.Equal(FileKind.SymbolicLink, Assert.Throws<IrregularFileException>(() => RegularFile.OpenRead(toDevice)).Kind);
        Assert.Equal(FileKind.Directory, Assert.Throws<IrregularFileException>(() => RegularFile.OpenRead(directory.Path)).Kind);
        Assert.Throws<FileNotFoundException>(() => RegularFile.OpenRead(Path.Combine(directory.Path, "missing")));

        using var stream = RegularFile.OpenRead(file);
        Assert.Equal("content", new StreamReader(stream).ReadToEnd());
        var status = RegularFile.Status(file);
        Assert.True(status.IsRegular);
        Assert.Equal(7, status.Size);
        Assert.Equal(RegularFile.CurrentUserId, status.OwnerId);
    }

    internal static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
