using AotStreaming.Configuration;
using AotStreaming.Delivery;
using AotStreaming.Dispatch;
using AotStreaming.Endpoints;
using AotStreaming.Ingress;

namespace AotStreaming.Hosting;

/// <summary>
/// Every options class, bound and validated once by <see cref="OptionsCheck"/>. Startup hands these instances to
/// Kestrel and to the services (as <c>IOptions&lt;T&gt;</c>), so nothing binds a section a second time.
/// </summary>
internal sealed record CheckedOptions(
    DeliveryOptions Delivery,
    DispatchOptions Dispatch,
    LimitsOptions Limits,
    IngressOptions Ingress,
    PostgresOptions Postgres);
