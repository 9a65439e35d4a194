import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../support/processes';

/**
 * docker-compose.yml, checked without a Docker engine: against the Compose Specification's own JSON schema
 * (dev/compose/compose-spec.json, from github.com/compose-spec/compose-go/v2 v2.16.2, the loader `docker compose`
 * is built on), after interpolating variables the way Compose does, and against the house rules for a deployment:
 * pinned images, documented variables, health checks, ports on 127.0.0.1, no secret in the file.
 */
const COMPOSE_FILE = path.join(PROJECT_ROOT, 'docker-compose.yml');
const SCHEMA_FILE = path.join(PROJECT_ROOT, 'dev', 'compose', 'compose-spec.json');
const DEPLOYING = readFileSync(path.join(PROJECT_ROOT, 'docs', 'deploying.md'), 'utf8');

interface Reference {
  name: string;
  /** The default Compose falls back to, if the reference has one (`${A:-x}`, `${A-x}`). */
  fallback?: string;
  required: boolean;
}

/** `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}` (no nesting here). */
const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Compose's interpolation with an empty environment: defaults apply, a required variable gets a stand-in value. */
function interpolate(text: string, seen: Reference[]): string {
  return text.replace(REFERENCE, (match, braced?: string, operator?: string, word?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const required = operator?.endsWith('?') ?? false;
    const fallback = operator?.endsWith('-') ? (word ?? '') : undefined;
    seen.push({ name, fallback, required });
    return fallback ?? `stand-in-${name.toLowerCase()}`;
  });
}

function loadCompose(): { raw: Record<string, unknown>; resolved: Record<string, unknown>; refs: Reference[] } {
  const text = readFileSync(COMPOSE_FILE, 'utf8');
  const refs: Reference[] = [];
  const raw = parse(text, { merge: true }) as Record<string, unknown>;
  // Compose interpolates values, never keys: walk the parsed document, not the text.
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return interpolate(value, refs);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(inner)]));
    }
    return value;
  };
  return { raw, resolved: walk(raw) as Record<string, unknown>, refs };
}

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: unknown; disable?: boolean };
  ports?: (string | { host_ip?: string; published?: string | number })[];
  environment?: Record<string, unknown> | string[];
  restart?: string;
  volumes?: (string | { type?: string; source?: string })[];
}

const compose = loadCompose();
const services = compose.resolved.services as Record<string, Service>;
const rawServices = compose.raw.services as Record<string, Service>;
const dependsOn = (service: Service): [string, string][] =>
  Array.isArray(service.depends_on)
    ? service.depends_on.map((name) => [name, 'service_started'])
    : Object.entries(service.depends_on ?? {}).map(([name, dep]) => [name, dep.condition ?? 'service_started']);
/** One-shot jobs: what others wait on to complete (the schema and namespace setup). */
const oneShot = new Set(
  Object.values(services).flatMap((service) =>
    dependsOn(service)
      .filter(([, condition]) => condition === 'service_completed_successfully')
      .map(([name]) => name),
  ),
);

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    // compose-go registers Go's duration syntax (5s, 1m30s) for the schema's "duration" format; so do we.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
    const valid = validate(compose.resolved);
    expect(valid ? [] : validate.errors!.map((error) => `${error.instancePath} ${error.message}`)).toEqual([]);
  });

  it('pins every image to a version tag, and runs Temporal’s current self-hosted images, server and tools alike', () => {
    const images = Object.entries(services).map(([name, service]) => [name, service.image ?? '(none)'] as const);
    const unpinned = images.filter(([, image]) => !/^[a-z0-9./-]+:[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*$/.test(image));
    expect(unpinned).toEqual([]);
    expect(images.filter(([, image]) => /:latest$|auto-setup/.test(image))).toEqual([]);
    const tag = (image: string) => image.split(':')[1]!;
    const server = tag(services.temporal!.image!);
    expect(server).toMatch(/^1\.(29|[3-9]\d)\.\d+$/);
    for (const name of ['temporal-schema', 'temporal-namespace']) {
      expect(services[name]!.image).toMatch(new RegExp(`^temporalio/admin-tools:${server.replace(/\./g, '\\.')}\\b`));
    }
    expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:/);
  });

  it('builds bridgekeeper’s image from this repository for the worker and the receiver, tagged with its version', () => {
    const { version } = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const name of ['worker', 'receiver']) {
      expect(services[name]).toMatchObject({ build: '.', image: `bridgekeeper:${version}` });
      const entry = (services[name]!.command as string[])[1]!;
      expect(existsSync(path.join(PROJECT_ROOT, entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')))).toBe(true);
    }
  });

  it('documents in docs/deploying.md every variable that has no default', () => {
    const undocumented = compose.refs
      .filter((ref) => ref.fallback === undefined && !DEPLOYING.includes(`\`${ref.name}\``))
      .map((ref) => ref.name);
    expect([...new Set(undocumented)]).toEqual([]);
    // And every one the operator may set, so that the section on compose is the whole list.
    const missing = [...new Set(compose.refs.map((ref) => ref.name))].filter(
      (name) => !DEPLOYING.includes(`\`${name}\``),
    );
    expect(missing).toEqual([]);
  });

  it('gives every long-running service a health check, and waits on health or completion', () => {
    const longRunning = Object.keys(services).filter((name) => !oneShot.has(name));
    expect(longRunning.filter((name) => !services[name]!.healthcheck?.test)).toEqual([]);
    const problems = Object.entries(services).flatMap(([name, service]) =>
      dependsOn(service).flatMap(([target, condition]) => {
        if (!services[target]) return [`${name} depends on ${target}, which is not a service`];
        const expected = oneShot.has(target) ? 'service_completed_successfully' : 'service_healthy';
        return condition === expected ? [] : [`${name} waits for ${target} to be ${condition}, not ${expected}`];
      }),
    );
    expect(problems).toEqual([]);
  });

  it('publishes every port on 127.0.0.1 unless BIND_ADDRESS says otherwise', () => {
    const published = Object.entries(rawServices).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => [name, String(typeof port === 'string' ? port : port.host_ip)] as const),
    );
    expect(published.length).toBeGreaterThan(0);
    expect(published.filter(([, port]) => !port.startsWith('${BIND_ADDRESS:-127.0.0.1}:'))).toEqual([]);
  });

  it('holds no secret: passwords, tokens and keys come from the environment', () => {
    const literal = Object.entries(rawServices).flatMap(([name, service]) =>
      Object.entries(Array.isArray(service.environment) ? {} : (service.environment ?? {}))
        .filter(([key]) => /PASSWORD|PWD|TOKEN|SECRET|API_KEY/.test(key))
        .filter(([, value]) => !/^\$\{[A-Z_]+:\?[^}]+\}$/.test(String(value)))
        .map(([key]) => `${name}.${key}`),
    );
    expect(literal).toEqual([]);
  });

  it('mounts files that are in the repository, and Prometheus scrapes the services that serve /metrics', () => {
    const mounts = Object.entries(rawServices).flatMap(([name, service]) =>
      (service.volumes ?? [])
        .map((volume) => (typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '')))
        .filter((source) => source.startsWith('./'))
        .map((source) => [name, source] as const),
    );
    expect(mounts.map(([name]) => name)).toEqual(expect.arrayContaining(['prometheus', 'grafana']));
    expect(mounts.filter(([, source]) => !existsSync(path.join(PROJECT_ROOT, source)))).toEqual([]);

    const scrape = parse(readFileSync(path.join(PROJECT_ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = scrape.scrape_configs.flatMap((job) => job.static_configs.flatMap((config) => config.targets));
    expect(targets.map((target) => target.split(':')[0])).toEqual(['worker', 'receiver']);
    for (const target of targets) expect(services[target.split(':')[0]!]).toBeDefined();
    // The worker's metrics listen beyond its own loopback, or Prometheus in its own container cannot reach them.
    expect((services.worker!.environment as Record<string, unknown>).BRIDGEKEEPER_METRICS_HOST).toBe('0.0.0.0');
  });
});
