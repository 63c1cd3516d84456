namespace Attest.Server.Hosting;

/// <summary>A configuration or environment problem that stops start-up. Its message is the one line printed.</summary>
public sealed class StartupException : Exception
{
    public StartupException(string message) : base(message) { }
    public StartupException(string message, Exception inner) : base(message, inner) { }
}
