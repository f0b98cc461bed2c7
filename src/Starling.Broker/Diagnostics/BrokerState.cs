namespace Starling.Broker.Diagnostics;

/// <summary>The broker's gauges, read when metrics are collected (never on the hot path).</summary>
public readonly record struct BrokerState(int Connections, int SessionsOnline, int SessionsOffline, int Subscriptions, int RetainedMessages, long Inflight, long Queued);
