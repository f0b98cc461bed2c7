namespace Starling.TestSupport;

/// <summary>A real nats-server (Debian's, which scripts/test.sh installs) with JetStream's files in its directory.</summary>
public sealed class NatsServer : LocalServer
{
    private NatsServer()
        : base("nats-server", "nats", (port, directory) => ["-a", "127.0.0.1", "-p", Text(port), "-js", "-sd", directory])
    {
    }

    public string Url => "nats://127.0.0.1:" + Text(Port);

    public static NatsServer Start() => new();
}
