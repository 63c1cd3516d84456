// The oracle tests drive the Debian Go toolchain and module-cache permissions: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
