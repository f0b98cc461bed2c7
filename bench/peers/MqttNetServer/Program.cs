using System.Net;
using System.Runtime.InteropServices;
using MQTTnet.Server;

// A minimal MQTTnet 5 server: a peer broker for bench/compare.
// Usage: mqttnet-server PORT [BIND_ADDRESS] [MAX_PENDING_MESSAGES_PER_CLIENT]
// MQTTnet drops the oldest message once 1,000 are pending for one client (its default). The harness raises
// that limit (default here 1,000,000) so that MQTTnet is not penalised by a limit the other brokers do not have.
var port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1883;
var bind = args.Length > 1 ? IPAddress.Parse(args[1]) : IPAddress.Loopback;
var maxPending = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;

var options = new MqttServerOptionsBuilder()
    .WithDefaultEndpoint()
    .WithDefaultEndpointBoundIPAddress(bind)
    .WithDefaultEndpointPort(port)
    .WithMaxPendingMessagesPerClient(maxPending)
    .Build();
options.DefaultEndpointOptions.NoDelay = true;

using var server = new MqttServerFactory().CreateMqttServer(options);
await server.StartAsync().ConfigureAwait(false);
Console.WriteLine($"MQTTnet server listening on {bind}:{port} (MaxPendingMessagesPerClient={maxPending}, NoDelay=true)");

using var stopping = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.Cancel();
}

using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
try
{
    await Task.Delay(Timeout.Infinite, stopping.Token).ConfigureAwait(false);
}
catch (OperationCanceledException)
{
}

await server.StopAsync().ConfigureAwait(false);
