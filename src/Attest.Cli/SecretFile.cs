namespace Attest.Cli;

/// <summary>Secrets the CLI writes (client credentials) go to new files readable by their owner only, mode 0600 from
/// the first byte: never to an existing file (which may be a link, or readable by others) and never through a shell
/// redirect, which creates files with the umask's mode.</summary>
internal static class SecretFile
{
    /// <summary>Creates the file (failing if it exists), before the secret exists, so that a name that cannot be used
    /// is found before anything is created on a server.</summary>
    public static FileStream CreateNew(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }
}
