import ConcordConfig
import Hummingbird
import Logging
import Metrics
import Prometheus

/// `GET /metrics` in Prometheus' text format, on its own address (`metrics_bind`), for a scraper on
/// the same machine or network. It exposes counts and ages, never names or keys.
public enum MetricsEndpoint {
    /// Makes swift-metrics report into a fresh registry; call once per process, before any metric.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    public static func application(registry: PrometheusCollectorRegistry, at address: ConsoleAddress, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return Application(router: router, configuration: .init(address: .hostname(address.host, port: address.port),
                                                                serverName: "concord-metrics"), logger: logger)
    }
}
