using System.Buffers;
using Starling.Broker.Connections;

namespace Starling.Broker.Tests.Engine;

/// <summary>The send buffer copies small payloads and shares large ones, and a batch's segments come out in write order.</summary>
public class SendBufferTests
{
    private static byte[] Bytes(int count, byte value) => Enumerable.Repeat(value, count).ToArray();

    private static byte[] Flatten(in SendBatch batch)
    {
        if (batch.Shared is null)
        {
            return batch.Buffer.AsSpan(0, batch.Written).ToArray();
        }

        var segments = new List<ArraySegment<byte>>();
        batch.FillSegments(segments);
        return segments.SelectMany(s => s).ToArray();
    }

    [Fact]
    public void SmallPayloads_AreCopied_IntoOneArray()
    {
        var buffer = new SendBuffer();
        buffer.Write<byte>([1, 2]);
        buffer.WritePayload(Bytes(SendBuffer.SharedPayloadThreshold - 1, 7));

        var batch = buffer.Take();

        Assert.Null(batch.Shared);
        Assert.Equal(SendBuffer.SharedPayloadThreshold + 1, batch.TotalBytes);
        Assert.Equal([1, 2, .. Bytes(SendBuffer.SharedPayloadThreshold - 1, 7)], Flatten(batch));
        buffer.Release(batch);
    }

    [Fact]
    public void LargePayloads_AreShared_NotCopied_AndKeepTheirPlace()
    {
        var buffer = new SendBuffer();
        var first = Bytes(4096, 0xAA);
        var second = Bytes(SendBuffer.SharedPayloadThreshold, 0xBB);
        buffer.Write<byte>([1, 2, 3]);
        buffer.WritePayload(first);
        buffer.Write<byte>([4]);
        buffer.WritePayload(second);
        buffer.WritePayload(second); // the same payload twice in a row: two segments, no header between
        buffer.Write<byte>([5, 6]);

        Assert.Equal(3 + 4096 + 1 + (2 * SendBuffer.SharedPayloadThreshold) + 2, buffer.Length);
        var batch = buffer.Take();

        Assert.True(buffer.IsEmpty);
        Assert.Equal(3, batch.Shared!.Count);
        Assert.Same(first, batch.Shared[0].Payload.Array); // the subscriber's batch refers to the message's own bytes
        Assert.Equal([1, 2, 3, .. first, 4, .. second, .. second, 5, 6], Flatten(batch));
        buffer.Release(batch);
        Assert.Empty(batch.Shared); // released: the messages are no longer held
    }

    [Fact]
    public void ABusyBuffer_WritesItsNextBatch_IntoTheArrayOfTheLastOne()
    {
        var buffer = new SendBuffer();
        buffer.Write<byte>([1]);
        buffer.Release(buffer.Take());
        buffer.Write<byte>([1]);
        buffer.Release(buffer.Take());
        Assert.False(buffer.KeepsArray); // two batches (a CONNACK, a SUBACK) keep nothing

        buffer.Write<byte>([2]);
        var second = buffer.Take();
        buffer.Release(second);
        Assert.True(buffer.KeepsArray);

        buffer.Write<byte>([3]);
        var third = buffer.Take();
        Assert.Same(second.Buffer, third.Buffer); // no round trip through the shared pool
        Assert.Equal([3], Flatten(third));
        buffer.Release(third);
    }

    [Fact]
    public void TrimIdle_GivesTheKeptArrayBack_OnlyAfterAQuietInterval()
    {
        var buffer = new SendBuffer();
        for (int i = 0; i < 3; i++)
        {
            buffer.Write<byte>([1]);
            buffer.Release(buffer.Take());
        }

        buffer.TrimIdle(); // busy since the last trim: keeps it
        Assert.True(buffer.KeepsArray);
        buffer.TrimIdle(); // nothing sent since: idle
        Assert.False(buffer.KeepsArray);
    }

    [Fact]
    public void ABurstsLargeArray_IsNotKept()
    {
        var buffer = new SendBuffer();
        buffer.Write<byte>([1]);
        buffer.Release(buffer.Take());
        buffer.Write<byte>([1]);
        buffer.Release(buffer.Take());
        buffer.Write(new byte[300_000]); // the third batch would be kept, but it is above the 256 KB kept at most
        buffer.Release(buffer.Take());

        Assert.False(buffer.KeepsArray);
    }

    [Fact]
    public void SharedPayloadLists_AreReused_EvenAfterABatchWithoutSharedPayloads()
    {
        var buffer = new SendBuffer();
        var large = Bytes(SendBuffer.SharedPayloadThreshold, 1);
        buffer.WritePayload(large);
        var first = buffer.Take();
        buffer.WritePayload(large); // written while the first batch is being sent: a second list
        buffer.Release(first);
        var second = buffer.Take();
        buffer.Release(second); // nothing written meanwhile: two lists are spare now

        buffer.WritePayload(large);
        var third = buffer.Take();
        buffer.WritePayload(large);
        var fourth = buffer.Take();

        // Both lists came back; neither was dropped for a new one (whose growth would allocate again).
        Assert.NotSame(first.Shared, second.Shared);
        Assert.True(
            (ReferenceEquals(third.Shared, first.Shared) && ReferenceEquals(fourth.Shared, second.Shared))
            || (ReferenceEquals(third.Shared, second.Shared) && ReferenceEquals(fourth.Shared, first.Shared)));
        buffer.Release(third);
        buffer.Release(fourth);
    }

    [Fact]
    public void AMemoryThatIsNotAnArray_IsCopied()
    {
        using var owner = new NativeMemoryOwner(2048);
        var buffer = new SendBuffer();
        buffer.WritePayload(owner.Memory);

        var batch = buffer.Take();

        Assert.Null(batch.Shared);
        Assert.Equal(2048, batch.Written);
        buffer.Release(batch);
    }

    /// <summary>Memory that does not expose an array (as a host could hand the broker): MemoryManager's TryGetArray says no.</summary>
    private sealed class NativeMemoryOwner(int length) : System.Buffers.MemoryManager<byte>
    {
        private readonly byte[] _bytes = new byte[length];

        public override Span<byte> GetSpan() => _bytes;

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
