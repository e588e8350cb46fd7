/** Prometheus metrics of the server (`/metrics`). One registry per server, so tests can run several. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly queueDepth = new Gauge({ name: 'nagare_queue_depth', help: 'Builds waiting for an agent', registers: [this.registry] });
  readonly buildsByStatus = new Gauge({ name: 'nagare_builds', help: 'Builds by status', labelNames: ['status'], registers: [this.registry] });
  readonly buildsFinished = new Counter({ name: 'nagare_builds_finished_total', help: 'Builds finished, by status', labelNames: ['status'], registers: [this.registry] });
  readonly leaseExpiries = new Counter({ name: 'nagare_lease_expiries_total', help: 'Jobs whose agent stopped renewing the lease', registers: [this.registry] });
  readonly buildDuration = new Histogram({ name: 'nagare_build_duration_seconds', help: 'Build duration from start to completion', buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600], registers: [this.registry] });
  readonly queueDuration = new Histogram({ name: 'nagare_queue_duration_seconds', help: 'Time builds waited in the queue', buckets: [0.01, 0.05, 0.1, 0.25, 1, 5, 30, 300], registers: [this.registry] });
  readonly logBytes = new Counter({ name: 'nagare_log_bytes_total', help: 'Build log bytes stored', registers: [this.registry] });
}
