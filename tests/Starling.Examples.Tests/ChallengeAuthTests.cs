using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;
using Starling.Examples.ChallengeAuth;
using Starling.Hosting;
using Starling.Mqtt.Packets;
using MqttReasonCode = Starling.Mqtt.MqttReasonCode;
using NetVersion = MQTTnet.Formatter.MqttProtocolVersion;
using StarlingProperties = Starling.Mqtt.MqttProperties;
using StarlingVersion = Starling.Mqtt.MqttProtocolVersion;

namespace Starling.Examples.Tests;

/// <summary>A broker running the ChallengeAuth example's hook with users alice/secret and bob/hunter2.</summary>
public sealed class ChallengeAuthBroker : IAsyncLifetime
{
    public TestBroker Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await TestBroker.StartAsync(
        builder =>
        {
            builder.Services.Configure<ChallengeAuthOptions>(builder.Configuration.GetSection(ChallengeAuthOptions.Section));
            builder.Services.AddStarlingHook<ChallengeAuthHook>();
        },
        "--ChallengeAuth:Users:alice=secret",
        "--ChallengeAuth:Users:bob=hunter2");

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

/// <summary>
/// The client side of STARLING-HMAC-SHA256 for MQTTnet 5: answers the broker's AUTH 0x18 challenge with
/// HMAC-SHA256(password, nonce) and checks the broker's proof HMAC-SHA256(password, nonce || "server").
/// The proofs are computed here independently of the example's helpers.
/// </summary>
internal sealed class HmacChallengeHandler(string password) : IMqttEnhancedAuthenticationHandler
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(password);

    /// <summary>The broker's last challenge.</summary>
    public byte[]? Nonce { get; private set; }

    /// <summary>How many challenges the handler answered.</summary>
    public int Challenges { get; private set; }

    /// <summary>Completed with the Authentication Data of the AUTH 0x00 that ends a re-authentication.</summary>
    public TaskCompletionSource<byte[]?> Reauthenticated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task HandleEnhancedAuthenticationAsync(MqttEnhancedAuthenticationEventArgs eventArgs)
    {
        Assert.Equal(ChallengeAuthHook.Method, eventArgs.AuthenticationMethod);
        switch (eventArgs.ReasonCode)
        {
            case MqttAuthenticateReasonCode.ContinueAuthentication:
                Nonce = eventArgs.AuthenticationData;
                Challenges++;
                var proof = HMACSHA256.HashData(_key, Nonce);
                await eventArgs.SendAsync(new SendMqttEnhancedAuthenticationDataOptions { Data = proof }, eventArgs.CancellationToken);
                break;
            case MqttAuthenticateReasonCode.Success:
                Reauthenticated.TrySetResult(eventArgs.AuthenticationData);
                break;
            default:
                Reauthenticated.TrySetException(new InvalidOperationException($"Unexpected AUTH {eventArgs.ReasonCode}"));
                break;
        }
    }

    /// <summary>Whether <paramref name="proof"/> is the broker's proof for the last challenge: only a broker that knows the password can make it.</summary>
    public bool IsServerProofValid(byte[]? proof) =>
        proof is not null && Nonce is not null && CryptographicOperations.FixedTimeEquals(proof, HMACSHA256.HashData(_key, (byte[])[.. Nonce, .. "server"u8]));
}

public sealed class ChallengeAuthTests(ChallengeAuthBroker fixture) : IClassFixture<ChallengeAuthBroker>
{
    private const string Method = ChallengeAuthHook.Method;

    private int Port => fixture.Broker.Port;

    private static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value);

    private static byte[] ClientProof(string password, byte[] nonce) => HMACSHA256.HashData(Utf8(password), nonce);

    private static byte[] ServerProof(string password, byte[] nonce) => HMACSHA256.HashData(Utf8(password), (byte[])[.. nonce, .. "server"u8]);

    private MqttClientOptions EnhancedOptions(string method, string user, HmacChallengeHandler handler) =>
        Mqtt.Options(Port, NetVersion.V500)
            .WithEnhancedAuthentication(method, Utf8(user))
            .WithEnhancedAuthenticationHandler(handler)
            .Build();

    // ---- MQTTnet 5 ----

    [Theory]
    [InlineData("alice", "secret")]
    [InlineData("bob", "hunter2")]
    public async Task MqttNetRightPasswordConnectsAndVerifiesTheBroker(string user, string password)
    {
        var handler = new HmacChallengeHandler(password);
        using var client = Mqtt.NewClient();
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        var result = await client.ConnectAsync(EnhancedOptions(Method, user, handler), cts.Token);

        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        Assert.Equal(1, handler.Challenges);
        Assert.Equal(ChallengeAuthHook.NonceLength, handler.Nonce!.Length);
        Assert.Equal(Method, result.AuthenticationMethod);
        Assert.True(handler.IsServerProofValid(result.AuthenticationData), "The CONNACK does not carry a valid server proof.");

        // The connection works.
        await Mqtt.SubscribeAsync(client, ("challenge/" + user, MqttQualityOfServiceLevel.AtLeastOnce));
        await client.DisconnectAsync();
    }

    [Theory]
    [InlineData("alice", "wrong")]
    [InlineData("alice", "hunter2")] // another user's password
    [InlineData("alice", "")]
    [InlineData("bob", "Hunter2")]
    public async Task MqttNetWrongPasswordIsNotAuthorized(string user, string password)
    {
        var handler = new HmacChallengeHandler(password);
        using var client = Mqtt.NewClient();
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        var result = await client.ConnectAsync(EnhancedOptions(Method, user, handler), cts.Token);

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, result.ResultCode);
        Assert.Equal("bad proof", result.ReasonString);
        Assert.Equal(1, handler.Challenges);
        Assert.False(client.IsConnected);
    }

    [Theory]
    [InlineData("mallory")]
    [InlineData("Alice")] // user names are case-sensitive
    [InlineData("")]
    public async Task MqttNetUnknownUserIsBadUserNameOrPassword(string user)
    {
        var handler = new HmacChallengeHandler("secret");
        using var client = Mqtt.NewClient();
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        var result = await client.ConnectAsync(EnhancedOptions(Method, user, handler), cts.Token);

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, result.ResultCode);
        Assert.Equal(0, handler.Challenges); // refused at CONNECT, no challenge sent
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task MqttNetUnknownMethodIsBadAuthenticationMethod()
    {
        var handler = new HmacChallengeHandler("secret");
        using var client = Mqtt.NewClient();
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        var result = await client.ConnectAsync(EnhancedOptions("SCRAM-SHA-256", "alice", handler), cts.Token);

        Assert.Equal(MqttClientConnectResultCode.BadAuthenticationMethod, result.ResultCode);
        Assert.Equal(0, handler.Challenges);
    }

    [Theory]
    [InlineData(NetVersion.V500)]
    [InlineData(NetVersion.V311)]
    public async Task MqttNetWithoutEnhancedAuthenticationIsRefused(NetVersion version)
    {
        // The hook's OnConnectAsync refuses every client that did not authenticate with its method,
        // even with a right user name and password in CONNECT (3.1.1: return code 5, read back as 0x87).
        using var client = Mqtt.NewClient();
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        var result = await client.ConnectAsync(Mqtt.Options(Port, version, "alice", "secret").Build(), cts.Token);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, result.ResultCode);
    }

    [Fact]
    public async Task MqttNetReauthenticates()
    {
        var handler = new HmacChallengeHandler("secret");
        using var client = Mqtt.NewClient();
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        var result = await client.ConnectAsync(EnhancedOptions(Method, "alice", handler), cts.Token);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        var firstNonce = handler.Nonce!;

        await client.SendEnhancedAuthenticationExchangeDataAsync(
            new MqttEnhancedAuthenticationExchangeData { ReasonCode = MqttAuthenticateReasonCode.ReAuthenticate, AuthenticationData = Utf8("alice") },
            cts.Token);
        var finalData = await handler.Reauthenticated.Task.WaitAsync(Mqtt.Timeout);

        Assert.Equal(2, handler.Challenges);
        Assert.NotEqual(firstNonce, handler.Nonce); // a fresh challenge each time
        Assert.True(handler.IsServerProofValid(finalData), "The AUTH 0x00 does not carry a valid server proof.");
        Assert.True(client.IsConnected);
        await client.PingAsync(cts.Token);
        await client.DisconnectAsync();
    }

    // ---- Raw packets through Starling's codec ----

    private static ConnectPacket Connect(string method, string user) => new()
    {
        ProtocolVersion = StarlingVersion.V500,
        ClientId = "raw-" + Guid.NewGuid().ToString("N")[..12],
        CleanSession = true,
        KeepAlive = 60,
        Properties = new StarlingProperties { AuthenticationMethod = method, AuthenticationData = Utf8(user) },
    };

    private static AuthPacket Auth(MqttReasonCode code, byte[] data, string method = Method) =>
        new() { ReasonCode = code, Properties = new StarlingProperties { AuthenticationMethod = method, AuthenticationData = data } };

    /// <summary>The broker's challenge: AUTH 0x18 naming the method, with a 32-byte nonce.</summary>
    private static async Task<byte[]> ReceiveChallengeAsync(RawClient client)
    {
        var challenge = await client.ReceiveAsync<AuthPacket>();
        Assert.Equal(MqttReasonCode.ContinueAuthentication, challenge.ReasonCode);
        Assert.Equal(Method, challenge.Properties?.AuthenticationMethod);
        var nonce = challenge.Properties!.AuthenticationData!.Value.ToArray();
        Assert.Equal(ChallengeAuthHook.NonceLength, nonce.Length);
        return nonce;
    }

    /// <summary>CONNECT → AUTH 0x18 → AUTH 0x18 → CONNACK 0x00, checking every packet; returns the connected client.</summary>
    private async Task<RawClient> ConnectRawAsync(string user, string password)
    {
        var client = await RawClient.ConnectAsync(Port, Starling.Mqtt.MqttProtocolVersion.V500);
        await client.SendAsync(Connect(Method, user));
        var nonce = await ReceiveChallengeAsync(client);
        await client.SendAsync(Auth(MqttReasonCode.ContinueAuthentication, ClientProof(password, nonce)));

        var connack = await client.ReceiveAsync<ConnAckPacket>();
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        Assert.Equal(Method, connack.Properties?.AuthenticationMethod);
        Assert.Equal(ServerProof(password, nonce), connack.Properties!.AuthenticationData!.Value.ToArray());
        return client;
    }

    [Fact]
    public async Task RawExchangeThenReauthentication()
    {
        await using var client = await ConnectRawAsync("alice", "secret");

        // Re-authentication: AUTH 0x19 (user) → AUTH 0x18 (nonce) → AUTH 0x18 (proof) → AUTH 0x00 (server proof).
        await client.SendAsync(Auth(MqttReasonCode.ReAuthenticate, Utf8("alice")));
        var nonce = await ReceiveChallengeAsync(client);
        await client.SendAsync(Auth(MqttReasonCode.ContinueAuthentication, ClientProof("secret", nonce)));
        var done = await client.ReceiveAsync<AuthPacket>();
        Assert.Equal(MqttReasonCode.Success, done.ReasonCode);
        Assert.Equal(Method, done.Properties?.AuthenticationMethod);
        Assert.Equal(ServerProof("secret", nonce), done.Properties!.AuthenticationData!.Value.ToArray());

        // The connection carries on, and can re-authenticate again.
        await client.SendAsync(PingReqPacket.Instance);
        await client.ReceiveAsync<PingRespPacket>();
        await client.SendAsync(Auth(MqttReasonCode.ReAuthenticate, Utf8("alice")));
        var secondNonce = await ReceiveChallengeAsync(client);
        Assert.NotEqual(nonce, secondNonce);
        await client.SendAsync(Auth(MqttReasonCode.ContinueAuthentication, ClientProof("secret", secondNonce)));
        Assert.Equal(MqttReasonCode.Success, (await client.ReceiveAsync<AuthPacket>()).ReasonCode);
    }

    [Fact]
    public async Task RawWrongProofGetsConnAck0x87()
    {
        await using var client = await RawClient.ConnectAsync(Port, Starling.Mqtt.MqttProtocolVersion.V500);
        await client.SendAsync(Connect(Method, "alice"));
        var nonce = await ReceiveChallengeAsync(client);
        await client.SendAsync(Auth(MqttReasonCode.ContinueAuthentication, ClientProof("wrong", nonce)));

        var connack = await client.ReceiveAsync<ConnAckPacket>();
        Assert.Equal(MqttReasonCode.NotAuthorized, connack.ReasonCode);
        Assert.Equal("bad proof", connack.Properties?.ReasonString);
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task RawUnknownUserGetsConnAck0x86WithoutChallenge()
    {
        await using var client = await RawClient.ConnectAsync(Port, Starling.Mqtt.MqttProtocolVersion.V500);
        await client.SendAsync(Connect(Method, "mallory"));
        var connack = await client.ReceiveAsync<ConnAckPacket>();
        Assert.Equal(MqttReasonCode.BadUserNameOrPassword, connack.ReasonCode);
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task RawUnknownMethodGetsConnAck0x8C()
    {
        await using var client = await RawClient.ConnectAsync(Port, Starling.Mqtt.MqttProtocolVersion.V500);
        await client.SendAsync(Connect("SCRAM-SHA-256", "alice"));
        var connack = await client.ReceiveAsync<ConnAckPacket>();
        Assert.Equal(MqttReasonCode.BadAuthenticationMethod, connack.ReasonCode);
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task RawFailedReauthenticationGetsDisconnect0x87()
    {
        await using var client = await ConnectRawAsync("alice", "secret");
        await client.SendAsync(Auth(MqttReasonCode.ReAuthenticate, Utf8("alice")));
        var nonce = await ReceiveChallengeAsync(client);
        await client.SendAsync(Auth(MqttReasonCode.ContinueAuthentication, ClientProof("wrong", nonce)));

        var disconnect = await client.ReceiveAsync<DisconnectPacket>();
        Assert.Equal(MqttReasonCode.NotAuthorized, disconnect.ReasonCode);
        Assert.Equal("bad proof", disconnect.Properties?.ReasonString);
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task RawReauthenticationAsAnotherUserGetsDisconnect0x87()
    {
        // bob's password is right, but the connection was authenticated as alice.
        await using var client = await ConnectRawAsync("alice", "secret");
        await client.SendAsync(Auth(MqttReasonCode.ReAuthenticate, Utf8("bob")));

        var disconnect = await client.ReceiveAsync<DisconnectPacket>();
        Assert.Equal(MqttReasonCode.NotAuthorized, disconnect.ReasonCode);
        Assert.Equal("user mismatch", disconnect.Properties?.ReasonString);
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task RawAuthWithAnotherMethodGetsDisconnect0x82()
    {
        await using var client = await ConnectRawAsync("alice", "secret");
        await client.SendAsync(Auth(MqttReasonCode.ReAuthenticate, Utf8("alice"), method: "SCRAM-SHA-256"));

        var disconnect = await client.ReceiveAsync<DisconnectPacket>();
        Assert.Equal(MqttReasonCode.ProtocolError, disconnect.ReasonCode);
        Assert.True(await client.ClosedAsync());
    }
}
