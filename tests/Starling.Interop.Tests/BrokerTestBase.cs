using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests;

/// <summary>Starts one broker per test class instance (xunit creates one per test), stopped afterwards.</summary>
public abstract class BrokerTestBase : IAsyncLifetime
{
    protected static readonly TimeSpan Short = TimeSpan.FromMilliseconds(700);

    protected BrokerFixture Broker { get; private set; } = null!;

    protected virtual string[] Settings => [];

    public async Task InitializeAsync() => Broker = await BrokerFixture.StartAsync(hooks: null, Settings);

    public async Task DisposeAsync() => await Broker.DisposeAsync();

    /// <summary>Waits until the broker has noticed a client went away (its session is kept but not connected).</summary>
    protected static async Task WaitForOfflineAsync(BrokerFixture broker, string clientId)
    {
        for (int i = 0; i < 200; i++)
        {
            if (broker.Broker.Sessions.TryGet(clientId, out var session) && !session.IsConnected)
            {
                return;
            }

            await Task.Delay(10);
        }

        Assert.Fail($"session {clientId} still connected");
    }

    protected static string Id(string name) => $"{name}-{Guid.NewGuid():N}"[..20];
}
