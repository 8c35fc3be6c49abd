using AotStreaming.Delivery;
using AotStreaming.Dispatch;

namespace AotStreaming.Filtering;

/// <summary>A subscription waiting for the database's verdict on one status, and its held outbox place.</summary>
internal readonly record struct FilterRecipient(Subscription Subscription, PendingFrame Pending);
