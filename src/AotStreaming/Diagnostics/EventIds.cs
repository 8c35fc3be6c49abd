namespace AotStreaming.Diagnostics;

/// <summary>
/// The registry of log event id ranges (one range per stage, so an operator can filter journald by stage):
/// 100s Ingress, 200s Decoding and Routing, 300s Dispatch, Filtering and Delivery, 400s Endpoints,
/// 500s Auth and Postgres, 900s Hosting.
/// </summary>
internal static class EventIds
{
    public const int Ingress = 100;
    public const int Routing = 200;
    public const int Dispatch = 300;
    public const int Endpoints = 400;
    public const int Postgres = 500;
    public const int Hosting = 900;
}
