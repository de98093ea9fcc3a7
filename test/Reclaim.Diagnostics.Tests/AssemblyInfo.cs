using System.Runtime.Versioning;

// The endpoint's tests run on Linux: Unix domain sockets, file modes, /proc, SO_PEERCRED. (The Windows named pipe
// compiles in the package but is not tested here.)
[assembly: SupportedOSPlatform("linux")]
