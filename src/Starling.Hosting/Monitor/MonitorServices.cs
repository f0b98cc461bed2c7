using Starling.Broker;

namespace Starling.Hosting.Monitor;

/// <summary>The monitor's parts, created once in the broker's host and shared by its endpoints.</summary>
internal sealed class MonitorServices
{
    public MonitorServices(MqttBroker broker, MonitorOptions options)
    {
        Broker = broker;
        Options = options;
        Explorer = new TopicExplorer(options, broker);
        Trace = new PacketTrace(options);
        Observer = new MonitorObserver(broker, Explorer, Trace);
        Sampler = new StatsSampler(broker, Explorer, Observer);
    }

    public MqttBroker Broker { get; }

    public MonitorOptions Options { get; }

    public TopicExplorer Explorer { get; }

    public PacketTrace Trace { get; }

    public MonitorObserver Observer { get; }

    public StatsSampler Sampler { get; }
}
