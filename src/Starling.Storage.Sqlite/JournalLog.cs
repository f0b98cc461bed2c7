using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Starling.Broker.Routing;
using Starling.Broker.Storage;

namespace Starling.Storage.Sqlite;

/// <summary>
/// The journal's log: a batch made only of per-message entries (deliveries and incoming QoS 2 ids, the steady state
/// of a loaded broker) is committed as one record of the log file (<see cref="JournalLogFile"/>) instead of one row
/// change per entry in an SQLite transaction. The log is applied to the tables later, many batches at once, when most
/// deliveries it added were acknowledged within it and so cost the tables nothing (<see cref="JournalBatch"/>); a
/// start after a crash replays what is left.
/// </summary>
/// <remarks>
/// An entry: its kind (1 byte), the client id (length-prefixed UTF-8), the sequence (varint) and the packet id (2
/// bytes); a <see cref="JournalEntryKind.DeliveryAdded"/> also carries its QoS, retain flag, subscription ids and the
/// message as <see cref="StoredMessageCodec"/> encodes it. A record's payload holds its entry count first.
/// </remarks>
internal static class JournalLog
{
    /// <summary>Whether <paramref name="kind"/> can go to the log (the others are applied to the tables at once, after the log).</summary>
    public static bool IsLogged(JournalEntryKind kind) => kind is JournalEntryKind.DeliveryAdded or JournalEntryKind.DeliverySent
        or JournalEntryKind.DeliveryReleased or JournalEntryKind.DeliveryRemoved or JournalEntryKind.IncomingAdded or JournalEntryKind.IncomingReleased;

    /// <summary>
    /// Encodes <paramref name="batch"/> (every entry <see cref="IsLogged"/>) as one record of the log file: the
    /// returned span starts with <see cref="JournalLogFile.HeaderSize"/> bytes left for its header.
    /// </summary>
    public static Span<byte> Encode(IReadOnlyList<JournalEntry> batch, Func<ApplicationMessage, byte[]> encodeMessage, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        buffer.GetSpan(JournalLogFile.HeaderSize)[..JournalLogFile.HeaderSize].Clear();
        buffer.Advance(JournalLogFile.HeaderSize);
        WriteVarint(buffer, (ulong)batch.Count);
        foreach (var entry in batch)
        {
            WriteByte(buffer, (byte)entry.Kind);
            WriteString(buffer, entry.ClientId);
            WriteVarint(buffer, (ulong)entry.Sequence);
            BinaryPrimitives.WriteUInt16LittleEndian(buffer.GetSpan(2), entry.PacketId);
            buffer.Advance(2);
            if (entry.Kind == JournalEntryKind.DeliveryAdded)
            {
                var delivery = entry.Delivery!.Value;
                WriteByte(buffer, (byte)delivery.QoS);
                WriteByte(buffer, delivery.Retain ? (byte)1 : (byte)0);
                if (delivery.SubscriptionIds is { } ids)
                {
                    WriteVarint(buffer, (ulong)ids.Length + 1);
                    foreach (uint id in ids)
                    {
                        WriteVarint(buffer, id);
                    }
                }
                else
                {
                    WriteVarint(buffer, 0); // none, as against an empty list
                }

                byte[] message = encodeMessage(delivery.Message);
                WriteVarint(buffer, (ulong)message.Length);
                buffer.Write(message);
            }
        }

        return MemoryMarshal.AsMemory(buffer.WrittenMemory).Span;
    }

    /// <summary>
    /// Applies the records of the log file at <paramref name="path"/> numbered after <paramref name="appliedBatch"/>
    /// (left there by a crash) to the tables, in order, and records the last one applied, in one transaction: at open,
    /// before anything is loaded.
    /// </summary>
    /// <returns>How many entries were applied, and the number of the last batch the tables now hold.</returns>
    public static (int Entries, long LastBatch) Replay(SqliteConnection connection, string path, long appliedBatch)
    {
        using var transaction = connection.BeginTransaction();
        using var rows = new DeliveryRows(connection);
        int applied = 0;
        long last = appliedBatch;
        foreach (var (batch, payload) in JournalLogFile.Read(path))
        {
            if (batch <= appliedBatch)
            {
                continue; // in the tables already
            }

            if (batch != last + 1)
            {
                throw new InvalidDataException($"The journal log '{path}' continues at batch {batch} after batch {last}: batches in between are missing.");
            }

            applied += Apply(payload, rows, transaction);
            last = batch;
        }

        if (last != appliedBatch)
        {
            rows.SetApplied(transaction, last);
        }

        transaction.Commit();
        return (applied, last);
    }

    /// <summary>Applies one record's entries in order; <see cref="InvalidDataException"/> when it is not one this code wrote.</summary>
    internal static int Apply(byte[] blob, DeliveryRows rows, SqliteTransaction transaction)
    {
        var reader = new Reader(blob);
        ulong count = reader.Varint();
        for (ulong i = 0; i < count; i++)
        {
            var kind = (JournalEntryKind)reader.Byte();
            string clientId = reader.String();
            long sequence = (long)reader.Varint();
            ushort packetId = reader.UInt16();
            switch (kind)
            {
                case JournalEntryKind.DeliveryAdded:
                    byte qos = reader.Byte();
                    bool retain = reader.Byte() != 0;
                    ulong idCount = reader.Varint();
                    byte[]? ids = null;
                    if (idCount > 0)
                    {
                        var list = new uint[checked((int)Math.Min(idCount - 1, (ulong)blob.Length))];
                        for (int j = 0; j < list.Length; j++)
                        {
                            list[j] = (uint)reader.Varint();
                        }

                        ids = SubscriptionIdBytes.Encode(list);
                    }

                    rows.Add(transaction, clientId, sequence, packetId, qos, retain, ids, reader.Bytes());
                    break;
                case JournalEntryKind.DeliverySent:
                    rows.Sent(transaction, clientId, sequence, packetId);
                    break;
                case JournalEntryKind.DeliveryReleased:
                    rows.Released(transaction, clientId, sequence);
                    break;
                case JournalEntryKind.DeliveryRemoved:
                    rows.Removed(transaction, clientId, sequence);
                    break;
                case JournalEntryKind.IncomingAdded:
                    rows.IncomingAdded(transaction, clientId, packetId);
                    break;
                case JournalEntryKind.IncomingReleased:
                    rows.IncomingReleased(transaction, clientId, packetId);
                    break;
                default:
                    throw new InvalidDataException($"The journal log holds an entry of kind {(int)kind}, which it never writes.");
            }
        }

        if (!reader.AtEnd)
        {
            throw new InvalidDataException("The journal log holds bytes after its last entry.");
        }

        return (int)count;
    }

    private static void WriteByte(ArrayBufferWriter<byte> buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    private static void WriteVarint(ArrayBufferWriter<byte> buffer, ulong value)
    {
        var span = buffer.GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        buffer.Advance(n);
    }

    private static void WriteString(ArrayBufferWriter<byte> buffer, string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteVarint(buffer, (ulong)length);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
    }

    /// <summary>Reads a blob, every length checked against what is left before it is used.</summary>
    private ref struct Reader(byte[] data)
    {
        private int _position;

        public readonly bool AtEnd => _position == data.Length;

        public byte Byte()
        {
            Need(1);
            return data[_position++];
        }

        public ushort UInt16()
        {
            Need(2);
            ushort value = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(_position));
            _position += 2;
            return value;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("The journal log holds a number longer than 64 bits.");
        }

        public string String()
        {
            int length = Length();
            string value = Encoding.UTF8.GetString(data, _position, length);
            _position += length;
            return value;
        }

        public byte[] Bytes()
        {
            int length = Length();
            byte[] value = data.AsSpan(_position, length).ToArray();
            _position += length;
            return value;
        }

        private int Length()
        {
            ulong length = Varint();
            Need(length);
            return (int)length;
        }

        private readonly void Need(ulong count)
        {
            if ((ulong)(data.Length - _position) < count)
            {
                throw new InvalidDataException("The journal log ends inside an entry.");
            }
        }
    }
}
