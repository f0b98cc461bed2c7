using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Starling.Examples.Tests;

/// <summary>Hand-written CONNECT packets, to check the exact CONNACK bytes a refused client receives.</summary>
internal static class RawMqtt
{
    /// <summary>A CONNECT (clean session, keep-alive 60) for protocol level 4 (3.1.1) or 5 (5.0).</summary>
    public static byte[] Connect(byte protocolLevel, string clientId, string? username, string? password)
    {
        var body = new List<byte>();
        AddString(body, "MQTT");
        body.Add(protocolLevel);
        byte flags = 0x02;
        if (username is not null)
        {
            flags |= 0x80;
        }

        if (password is not null)
        {
            flags |= 0x40;
        }

        body.Add(flags);
        body.AddRange([0x00, 0x3C]);
        if (protocolLevel == 5)
        {
            body.Add(0x00); // no properties
        }

        AddString(body, clientId);
        if (username is not null)
        {
            AddString(body, username);
        }

        if (password is not null)
        {
            AddString(body, password);
        }

        // Remaining length below 128 fits one byte.
        return [0x10, (byte)body.Count, .. body];
    }

    /// <summary>Sends <paramref name="packet"/> and returns every byte the broker sends until it closes the connection.</summary>
    public static async Task<byte[]> ExchangeAsync(int port, byte[] packet)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        if (packet.Length > 0)
        {
            await socket.SendAsync(packet, cts.Token);
        }

        var received = new List<byte>();
        var buffer = new byte[256];
        while (true)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, cts.Token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        return [.. received];
    }

    private static void AddString(List<byte> body, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        body.Add((byte)(bytes.Length >> 8));
        body.Add((byte)bytes.Length);
        body.AddRange(bytes);
    }
}
