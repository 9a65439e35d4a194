import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../support/processes';

export const DASHBOARD_PATH = path.join(PROJECT_ROOT, 'deploy', 'grafana', 'bridgekeeper-dashboard.json');

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

/** Every metric name the dashboard's queries read, as written (histograms with their _bucket suffix). */
export function dashboardMetricNames(): string[] {
  const names = readDashboard().panels.flatMap((panel) =>
    panel.targets.flatMap((target) => [...target.expr.matchAll(/\b(?:bridgekeeper|temporal)_[a-z0-9_]+/g)].map(String)),
  );
  return [...new Set(names)].sort();
}
