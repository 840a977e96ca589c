import type { Metrics } from '@parley/service-kit';
import { type Counter, Gauge, type Histogram } from 'prom-client';

/** One Asterisk as /metrics shows it. */
export interface AsteriskSample {
  name: string;
  connected: boolean;
  liveCalls: number;
  capacity: number;
}

/** The dialer's Prometheus series (registered once per process on the service-kit registry). */
export class DialerMetrics {
  readonly originations: Counter<string>;
  readonly originateLatency: Histogram<string>;
  readonly activeCalls: Gauge<string>;
  readonly queuedCalls: Gauge<string>;
  readonly outcomes: Counter<string>;
  readonly adoptions: Counter<string>;
  readonly leftoversRemoved: Counter<string>;
  readonly mediaLost: Counter<string>;
  readonly leaseRenewal: Histogram<string>;
  /** What the per-Asterisk gauges read at each scrape (set by the Dialer). */
  asterisks: () => AsteriskSample[] = () => [];

  constructor(metrics: Metrics) {
    this.originations = metrics.counter('parley_dialer_originations_total', 'Originate requests sent to Asterisk, by trunk and result', ['trunk_id', 'result']);
    this.originateLatency = metrics.histogram('parley_dialer_originate_latency_seconds', 'Time for Asterisk to accept an originate request', ['asterisk'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
    this.activeCalls = metrics.gauge('parley_dialer_active_calls', 'Calls this dialer tracks, by trunk', ['trunk_id']);
    this.queuedCalls = metrics.gauge('parley_dialer_queued_calls', 'Calls waiting for trunk capacity in this dialer, by trunk', ['trunk_id']);
    this.outcomes = metrics.counter('parley_dialer_call_outcomes_total', 'Ended calls by terminal status and error code', ['status', 'error_code', 'direction']);
    this.adoptions = metrics.counter('parley_dialer_adoptions_total', 'Calls found after a restart or reconnect: adopted live, or ended because their channel was gone', ['result']);
    this.leftoversRemoved = metrics.counter('parley_dialer_leftovers_removed_total', 'Bridges and ExternalMedia channels of ended calls removed from Asterisk (left by a dialer that died)', ['kind']);
    this.mediaLost = metrics.counter('parley_dialer_media_lost_calls_total', 'Answered calls hung up because the media process holding them died (adverts stopped and no answer to a status request): they end completed with media_lost');
    const perAsterisk = (name: string, help: string, value: (a: AsteriskSample) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['asterisk'],
        registers: [metrics.registry],
        collect: () => {
          const gauge = metrics.registry.getSingleMetric(name) as Gauge<string>;
          gauge.reset();
          for (const a of this.asterisks()) gauge.set({ asterisk: a.name }, value(a));
        },
      });
    perAsterisk('parley_dialer_asterisk_connected', "1 while this dialer's ARI events WebSocket to the Asterisk is up, else 0", (a) => (a.connected ? 1 : 0));
    perAsterisk('parley_dialer_asterisk_live_calls', 'Live calls on the Asterisk (this dialer\'s, plus other dialers\' as of the last registry reload)', (a) => a.liveCalls);
    perAsterisk('parley_dialer_asterisk_capacity', 'Most concurrent calls placed on the Asterisk (+Inf: no limit)', (a) => a.capacity);
    this.leaseRenewal = metrics.histogram('parley_dialer_lease_renewal_seconds', 'Time a renewal of the dialer\'s ownership lease took, by result (renewed, lost, error)', ['result'], [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
  }
}
