namespace Attest.Fuzz.Targets;

/// <summary>A per-process scratch directory: the parsers that the server runs on uploaded files read them from disk
/// (bounded reads included), so their targets write each input there first.</summary>
internal static class ScratchFile
{
    public static readonly string Directory = Create();

    public static string Write(string name, byte[] content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static string Create()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("attest-fuzz-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return directory;
    }
}
