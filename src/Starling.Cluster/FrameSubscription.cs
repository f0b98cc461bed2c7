using System.Buffers;
using NATS.Client.Core;

namespace Starling.Cluster;

/// <summary>
/// A NATS subscription whose messages are handled on the connection's socket reader as they are parsed, not queued
/// to a channel for a loop to read: a crossing message takes one thread hand-off fewer (tens of microseconds each
/// when the reader has to wake a sleeping thread) and no <c>NatsMsg</c> is built for it. The handler only routes
/// into bounded outbound queues, so it does not hold the reader up.
/// </summary>
internal sealed class FrameSubscription : NatsSubBase
{
    private readonly Action<string, ReadOnlyMemory<byte>> _handler;

    private FrameSubscription(INatsConnection connection, string subject, string? queueGroup, Action<string, ReadOnlyMemory<byte>> handler)
        : base(connection, connection.SubscriptionManager, subject, queueGroup, opts: null)
    {
        _handler = handler;
    }

    /// <summary>Subscribes <paramref name="subject"/> (in <paramref name="queueGroup"/> when given); the server has it once this returns and a PING was answered.</summary>
    public static async Task<FrameSubscription> SubscribeAsync(INatsConnection connection, string subject, string? queueGroup, Action<string, ReadOnlyMemory<byte>> handler, CancellationToken cancellationToken)
    {
        var subscription = new FrameSubscription(connection, subject, queueGroup, handler);
        await connection.AddSubAsync(subscription, cancellationToken).ConfigureAwait(false);
        return subscription;
    }

    protected override ValueTask ReceiveInternalAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headersBuffer, ReadOnlySequence<byte> payloadBuffer)
    {
        // The buffers belong to the reader and are reused once this returns; a one-segment payload (the usual case)
        // is read in place, and what routing keeps (the payload) the decoder copies.
        ReadOnlyMemory<byte> payload = payloadBuffer.IsSingleSegment ? payloadBuffer.First : payloadBuffer.ToArray();
        _handler(subject, payload);
        return ValueTask.CompletedTask;
    }

    protected override void TryComplete()
    {
    }
}
