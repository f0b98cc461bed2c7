using System.Buffers.Binary;
using System.Net;

namespace Starling.Net.Epoll;

/// <summary>Reads a struct sockaddr (IPv4 or IPv6) that accept4 or getsockname filled in.</summary>
internal static class SocketAddressReader
{
    private const ushort AddressFamilyInet = 2;
    private const ushort AddressFamilyInet6 = 10;

    public static IPEndPoint? Read(ReadOnlySpan<byte> address)
    {
        if (address.Length < 2)
        {
            return null;
        }

        // sa_family is in host byte order; sin_port / sin6_port in network byte order.
        ushort family = BitConverter.ToUInt16(address);
        if (family == AddressFamilyInet && address.Length >= 8)
        {
            return new IPEndPoint(new IPAddress(address.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
        }

        if (family == AddressFamilyInet6 && address.Length >= 28)
        {
            uint scope = BitConverter.ToUInt32(address[24..]);
            return new IPEndPoint(new IPAddress(address.Slice(8, 16), scope), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
        }

        return null;
    }
}
