namespace Attest.GoModules.Uploads;

/// <summary>Why an uploaded module tree cannot be checked: a sentence for the uploader, and whether the cause is its
/// size (the server answers 413) rather than its shape (400).</summary>
public sealed record UploadProblem(string Message, bool TooLarge = false)
{
    public static UploadProblem Invalid(string message) => new(message);

    public static UploadProblem Oversized(string message) => new(message, TooLarge: true);
}
