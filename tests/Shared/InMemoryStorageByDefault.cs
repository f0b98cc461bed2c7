using System.Runtime.CompilerServices;

namespace Starling.Tests.Shared;

/// <summary>
/// Brokers that tests start (in this process, or as child processes, which inherit the environment) keep their state
/// in memory unless a test asks for a store itself (a command-line setting wins over the environment): the default
/// SQLite data directory would otherwise carry sessions and retained messages from one test, or one run, into the next.
/// </summary>
internal static class InMemoryStorageByDefault
{
#pragma warning disable CA2255 // a test assembly, not a library: it must run before any test builds a host
    [ModuleInitializer]
    internal static void Initialize() => Environment.SetEnvironmentVariable("Starling__Storage__Type", "memory");
#pragma warning restore CA2255
}
