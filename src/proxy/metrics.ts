// The proxy's own families on /metrics, after the run families the exporter renders from the
// collector: the upstream gate, traffic by route, and TTFT / ITL / TPOT / e2e by model (the
// collector's request type is the model). Read when scraped; nothing is kept per sample.
import { cpuUsage, memoryUsage } from "node:process";
import { LATENCY_METRICS, PROXY_METRICS, type LatencyMetricName, type ProxyMetricName } from "../metrics/registry.js";
import { METRIC_PREFIX } from "../report/prometheus.js";
import { Exposition } from "../report/prometheus-text.js";
import type { LiveTrafficProxy } from "./server.js";

/** Per-model latency families, named tokenstorm_model_<metric>_seconds{model}. */
const BY_MODEL: LatencyMetricName[] = ["ttft", "itl", "tpot", "e2e"];

function proxyName(name: ProxyMetricName): string {
  return `${METRIC_PREFIX}proxy_${name}`;
}

export function renderProxyMetrics(proxy: LiveTrafficProxy): string {
  const { gate } = proxy;
  const text = new Exposition()
    .gauge(proxyName("queue_depth"), PROXY_METRICS.queue_depth, gate.depth)
    .gauge(proxyName("queue_depth_max"), PROXY_METRICS.queue_depth_max, gate.maxDepthSeen)
    .gauge(proxyName("upstream_in_flight"), PROXY_METRICS.upstream_in_flight, gate.inFlight)
    .gauge(proxyName("max_upstream"), PROXY_METRICS.max_upstream, gate.maxUpstream)
    .counter(proxyName("rejected_total"), PROXY_METRICS.rejected_total, gate.rejected)
    .counter(proxyName("unmeasured_total"), PROXY_METRICS.unmeasured_total, proxy.unmeasured)
    .histogram(proxyName("queue_wait_seconds"), PROXY_METRICS.queue_wait_seconds, proxy.queueWait);
  for (const [route, count] of proxy.requestsByRoute) text.counter(proxyName("requests_by_route_total"), PROXY_METRICS.requests_by_route_total, count, { route });
  for (const [model, count] of proxy.inFlightByModel) text.gauge(proxyName("in_flight_by_model"), PROXY_METRICS.in_flight_by_model, count, { model });
  for (const metric of BY_MODEL) {
    for (const [model, set] of proxy.collector.byType) {
      text.histogram(`${METRIC_PREFIX}model_${metric}_seconds`, `${LATENCY_METRICS[metric]}, by model (seconds)`, set.latency[metric], { model });
    }
  }
  // The standard process families, so the proxy's own cost can be watched (and benchmarked).
  const cpu = cpuUsage();
  text
    .counter("process_cpu_seconds_total", "User and system CPU time of the proxy process (seconds)", (cpu.user + cpu.system) / 1e6)
    .gauge("process_resident_memory_bytes", "Resident memory of the proxy process (bytes)", memoryUsage.rss());
  return text.toString();
}
