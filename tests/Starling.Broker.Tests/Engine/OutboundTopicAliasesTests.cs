using Starling.Broker.Connections;

namespace Starling.Broker.Tests.Engine;

/// <summary>The outbound topic alias table [MQTT-3.3.2-7]: sequential assignment, reuse, least-recently-used rebinding.</summary>
public sealed class OutboundTopicAliasesTests
{
    [Fact]
    public void NewTopics_GetSequentialAliases_AndRepeatsAreKnown()
    {
        var aliases = new OutboundTopicAliases(3);
        Assert.Equal(1, aliases.Get("a", out bool known));
        Assert.False(known);
        Assert.Equal(2, aliases.Get("b", out known));
        Assert.False(known);
        Assert.Equal(1, aliases.Get("a", out known));
        Assert.True(known);
    }

    [Fact]
    public void WhenFull_TheLeastRecentlyUsedAliasIsRebound()
    {
        var aliases = new OutboundTopicAliases(2);
        aliases.Get("a", out _);
        aliases.Get("b", out _);
        aliases.Get("a", out _); // "b" is now the least recently used
        Assert.Equal(2, aliases.Get("c", out bool known));
        Assert.False(known);
        Assert.Equal(1, aliases.Get("a", out known));
        Assert.True(known);
        Assert.Equal(2, aliases.Get("c", out known));
        Assert.True(known);
        aliases.Get("b", out known); // "b" lost its alias: sent in full again
        Assert.False(known);
    }
}
