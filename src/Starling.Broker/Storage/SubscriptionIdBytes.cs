using System.Buffers.Binary;

namespace Starling.Broker.Storage;

/// <summary>A delivery's 5.0 subscription identifiers as bytes, for a store's column or field: four little-endian bytes each.</summary>
public static class SubscriptionIdBytes
{
    public static byte[] Encode(uint[] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new byte[ids.Length * 4];
        for (int i = 0; i < ids.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), ids[i]);
        }

        return bytes;
    }

    public static uint[] Decode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var ids = new uint[bytes.Length / 4];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
        }

        return ids;
    }
}
