import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_RECEIVER_PORT } from '../../src/notifications/config';
import { METRIC_NAMES } from '../../src/observability/metrics';
import { DEFAULT_METRICS_PORT } from '../../src/observability/worker-telemetry';
import { PROJECT_ROOT } from '../support/processes';
import { dashboardMetricNames, readDashboard } from './dashboard-metrics';

/** What a histogram exports besides its name. */
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

describe('the Grafana dashboard and the Prometheus scrape config', () => {
  it('is valid JSON whose every panel queries something', () => {
    const dashboard = readDashboard();
    expect(dashboard.panels.length).toBeGreaterThan(0);
    for (const panel of dashboard.panels)
      expect({ panel: panel.title, targets: panel.targets.length }).not.toEqual({
        panel: panel.title,
        targets: 0,
      });
  });

  it('queries only bridgekeeper metrics we export, and shows every one of them', () => {
    const ours = dashboardMetricNames().filter((name) => name.startsWith('bridgekeeper_'));
    const unknown = ours.filter(
      (name) => !METRIC_NAMES.includes(name) && !METRIC_NAMES.includes(name.replace(HISTOGRAM_SUFFIX, '')),
    );
    expect(unknown).toEqual([]);
    const shown = new Set(
      ours.map((name) => (METRIC_NAMES.includes(name) ? name : name.replace(HISTOGRAM_SUFFIX, ''))),
    );
    expect(METRIC_NAMES.filter((name) => !shown.has(name))).toEqual([]);
  });

  it('scrapes the worker and the receiver on their default ports', () => {
    const config = parse(readFileSync(path.join(PROJECT_ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = Object.fromEntries(
      config.scrape_configs.map((job) => [job.job_name, job.static_configs.flatMap((c) => c.targets)]),
    );
    expect(targets).toEqual({
      'bridgekeeper-worker': [`worker:${DEFAULT_METRICS_PORT}`],
      'bridgekeeper-receiver': [`receiver:${DEFAULT_RECEIVER_PORT}`],
    });
    expect(config.scrape_configs.map((job) => job.metrics_path)).toEqual(['/metrics', '/metrics']);
  });
});
