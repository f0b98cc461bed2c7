using System.Buffers.Binary;
using System.Net;

namespace Starling.Net.Epoll;

/// <summary>
/// An IPv4 or IPv6 address and port kept inline (24 bytes in the connection), from a struct sockaddr. An
/// <see cref="IPEndPoint"/> of a dual-mode listener's client (an IPv4-mapped IPv6 address) is 112 bytes in three
/// objects; it is built only when someone asks.
/// </summary>
internal readonly struct PeerAddress
{
    private const ushort AddressFamilyInet = 2;
    private const ushort AddressFamilyInet6 = 10;

    private readonly ulong _high;
    private readonly ulong _low;
    private readonly uint _scope;
    private readonly ushort _port;
    private readonly ushort _family;

    private PeerAddress(ushort family, ulong high, ulong low, uint scope, ushort port)
    {
        _family = family;
        _high = high;
        _low = low;
        _scope = scope;
        _port = port;
    }

    /// <summary>Reads a sockaddr_in or sockaddr_in6; anything else gives an address that has no end point.</summary>
    public static PeerAddress Read(ReadOnlySpan<byte> address)
    {
        if (address.Length < 2)
        {
            return default;
        }

        // sa_family is in host byte order; ports and addresses in network byte order (kept as they are).
        ushort family = BitConverter.ToUInt16(address);
        if (family == AddressFamilyInet && address.Length >= 8)
        {
            return new PeerAddress(family, BitConverter.ToUInt32(address[4..]), 0, 0, BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
        }

        if (family == AddressFamilyInet6 && address.Length >= 28)
        {
            return new PeerAddress(family, BitConverter.ToUInt64(address[8..]), BitConverter.ToUInt64(address[16..]), BitConverter.ToUInt32(address[24..]), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
        }

        return default;
    }

    /// <summary>A new end point each time; null when the address was not IPv4 or IPv6.</summary>
    public IPEndPoint? ToEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        switch (_family)
        {
            case AddressFamilyInet:
                BitConverter.TryWriteBytes(bytes, (uint)_high);
                return new IPEndPoint(new IPAddress(bytes[..4]), _port);
            case AddressFamilyInet6:
                BitConverter.TryWriteBytes(bytes, _high);
                BitConverter.TryWriteBytes(bytes[8..], _low);
                return new IPEndPoint(new IPAddress(bytes, _scope), _port);
            default:
                return null;
        }
    }
}
