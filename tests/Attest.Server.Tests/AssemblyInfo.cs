using System.Runtime.Versioning;

// The server tests run the real server and inspect Unix file modes; the rig is Linux-only.
[assembly: SupportedOSPlatform("linux")]
