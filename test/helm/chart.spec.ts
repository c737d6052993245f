import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHART,
  compileSchema,
  isObject,
  type Json,
  type JsonObject,
  lookup,
  mergeValues,
  readText,
  readYaml,
  REPO,
  schema,
  schemaAt,
  serverDefault,
  serverEnvNames,
  templateActions,
  templateBlock,
  templates,
  valueLeaves,
  values,
  valuesReferences,
} from './chart-files';

const ciFiles = readdirSync(join(CHART, 'ci')).filter((name) => name.endsWith('.yaml'));
const validate = compileSchema();
const errorsOf = (candidate: Json): string[] => (validate(candidate) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
const withValues = (override: JsonObject): Json => mergeValues(values(), override);

/** The bodies of a template's `{{ if <condition> }}` blocks (up to their own `{{ end }}` or `{{ else }}`), nesting respected. */
function guardedBy(text: string, condition: string): string[] {
  const bodies: string[] = [];
  const open: { guarded: boolean; start: number }[] = [];
  for (const m of text.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)) {
    const action = m[1]!.trim();
    const keyword = /^(if|range|with|define|block|else|end)\b/.exec(action)?.[1];
    if (keyword === undefined) continue;
    if (keyword === 'end' || keyword === 'else') {
      const top = keyword === 'end' ? open.pop() : open.at(-1);
      if (top?.guarded) bodies.push(text.slice(top.start, m.index));
      if (top && keyword === 'else') top.guarded = false;
    } else {
      open.push({ guarded: action === `if ${condition}`, start: m.index + m[0].length });
    }
  }
  return bodies.filter((body) => body !== '');
}

describe('Chart.yaml', () => {
  const chart = readYaml(CHART, 'Chart.yaml') as JsonObject;

  it('is a v2 application chart named gridauthz with a semantic version', () => {
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('gridauthz');
    expect(chart.type).toBe('application');
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  it('deploys the version package.json declares by default (appVersion is the default image tag)', () => {
    const pkg = JSON.parse(readText(REPO, 'package.json')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
  });
});

describe('values.schema.json', () => {
  it('is a draft-07 schema that rejects unknown top-level keys', () => {
    const s = schema();
    expect(s.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(s.additionalProperties).toBe(false);
  });

  it('accepts values.yaml', () => {
    expect(errorsOf(values())).toEqual([]);
  });

  it.each(ciFiles)('accepts ci/%s merged over values.yaml', (file) => {
    expect(errorsOf(withValues(readYaml(CHART, 'ci', file) as JsonObject))).toEqual([]);
  });

  it('has a CVMFS example and a fetch-crl example among the ci files', () => {
    const modes = ciFiles.map((file) => lookup(readYaml(CHART, 'ci', file), ['trust', 'mode']));
    expect(modes).toContain('volume');
    expect(modes).toContain('fetchCrl');
  });

  it.each([
    ['replicaCount as a word', { replicaCount: 'two' }, '/replicaCount'],
    ['zero replicas', { replicaCount: 0 }, '/replicaCount'],
    ['a misspelt top-level key', { replicas: 2 }, 'additional properties'],
    ['a misspelt nested key', { service: { pdp: { typ: 'NodePort' } } }, 'additional properties'],
    ['an unknown trust mode', { trust: { mode: 'cvmfs' } }, '/trust/mode'],
    ['a Service type Kubernetes does not have', { service: { pdp: { type: 'Ingress' } } }, '/service/pdp/type'],
    ['a port out of range', { ports: { pdp: 70000 } }, '/ports/pdp'],
    ['a node port outside the node port range', { service: { pdp: { nodePort: 8443 } } }, '/service/pdp/nodePort'],
    ['a log level gridauthz does not know', { config: { log: { level: 'verbose' } } }, '/config/log/level'],
    ['a config key gridauthz does not know', { config: { log: { levle: 'info' } } }, 'additional properties'],
    ['the database URL in clear in the config', { config: { database: { url: 'postgres://u:secret@db/gridauthz' } } }, 'additional properties'],
    ['a host certificate that is not PEM', { hostCert: { cert: 'MIIB...' } }, '/hostCert/cert'],
    ['a PEPd port out of range', { ports: { pepd: 0 } }, '/ports/pepd'],
    ['pepd.enabled as a word', { pepd: { enabled: 'yes' } }, '/pepd/enabled'],
    ['the PEPd listener under config, where the environment would shadow it', { config: { pepd: { enabled: true } } }, 'additional properties'],
    ['extraEnv setting the PEPd port the chart sets', { extraEnv: [{ name: 'GRIDAUTHZ_PEPD_PORT', value: '9154' }] }, '/extraEnv/0/name'],
    ['an admin CIDR that is not a CIDR', { networkPolicy: { admin: { cidrs: ['everyone'] } } }, '/networkPolicy/admin/cidrs/0'],
    ['an LSC entry with one DN', { trust: { vomsdir: { lsc: { atlas: { 'voms.example.org': ['/DC=org/CN=voms'] } } } } }, '/trust/vomsdir/lsc'],
    ['a policy file not ending in .spl', { policy: { files: { 'site.txt': 'resource ".*" {}' } } }, '/policy/files'],
    ['extraEnv overriding a variable the chart sets', { extraEnv: [{ name: 'GRIDAUTHZ_CA_DIR', value: '/tmp' }] }, '/extraEnv/0/name'],
  ] as const)('rejects %s', (_what, override, expected) => {
    const errors = errorsOf(withValues(override as unknown as JsonObject));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toContain(expected);
  });

  it('admits in config only settings gridauthz knows and the chart does not already set through the environment', () => {
    const s = schema();
    const config = schemaAt(['config'], s);
    if (!isObject(config)) throw new Error('config must be a structured object in the schema');
    const env = serverEnvNames();
    const deployment = templates().get('deployment.yaml')!;
    // Settings nest to any depth (prima.gumsLegacy.enabled): collect the leaves.
    const keys: string[] = [];
    const walk = (node: JsonObject, prefix: string): void => {
      const properties = node.properties as JsonObject | undefined;
      if (node.type !== 'object' || !properties) return void keys.push(prefix);
      for (const [k, v] of Object.entries(properties)) walk(v as JsonObject, prefix === '' ? k : `${prefix}.${k}`);
    };
    walk(config, '');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const names = [...env].filter(([, k]) => k === key).map(([name]) => name);
      expect(names, `config.${key} is not a gridauthz setting`).not.toEqual([]);
      // The environment wins over the file: a key the Deployment also sets would be silently ignored.
      for (const name of names) expect(deployment, `config.${key} is shadowed by ${name}`).not.toMatch(new RegExp(`name: ${name}\\b`));
    }
  });
});

describe('values.yaml defaults', () => {
  const v = values();

  it('runs two or more replicas spread over nodes, with a disruption budget keeping one', () => {
    expect(v.replicaCount).toBeGreaterThanOrEqual(2);
    expect(lookup(v, ['podDisruptionBudget', 'enabled'])).toBe(true);
    expect(lookup(v, ['podDisruptionBudget', 'minAvailable'])).toBe(1);
    expect(templates().get('deployment.yaml')).toMatch(/podAntiAffinity:\s*\n\s*preferredDuringSchedulingIgnoredDuringExecution:[\s\S]*topologyKey: kubernetes\.io\/hostname/);
  });

  it('runs as uid 10001, non-root, read-only, without capabilities or privilege escalation', () => {
    expect(lookup(v, ['podSecurityContext', 'runAsNonRoot'])).toBe(true);
    expect(lookup(v, ['podSecurityContext', 'runAsUser'])).toBe(10001);
    expect(lookup(v, ['securityContext', 'readOnlyRootFilesystem'])).toBe(true);
    expect(lookup(v, ['securityContext', 'allowPrivilegeEscalation'])).toBe(false);
    expect(lookup(v, ['securityContext', 'capabilities', 'drop'])).toEqual(['ALL']);
  });

  it('uses the listener ports gridauthz defaults to', () => {
    expect(lookup(v, ['ports', 'pdp'])).toBe(serverDefault('pdp.port'));
    expect(lookup(v, ['ports', 'management'])).toBe(serverDefault('management.port'));
    expect(lookup(v, ['ports', 'admin'])).toBe(8444);
    // Argus PEPd's port, which worker nodes' c-pep and pepcli configurations name; the listener stays closed by default.
    expect(lookup(v, ['ports', 'pepd'])).toBe(serverDefault('pepd.port'));
    expect(lookup(v, ['ports', 'pepd'])).toBe(8154);
    expect(lookup(v, ['pepd', 'enabled'])).toBe(false);
    expect(lookup(v, ['service', 'pdp', 'port'])).toBe(8443);
  });

  it('keeps the PDP caller address (externalTrafficPolicy Local) and makes the Service type a choice', () => {
    expect(lookup(v, ['service', 'pdp', 'externalTrafficPolicy'])).toBe('Local');
    const types = lookup(schema(), ['properties', 'service', 'properties', 'pdp', 'properties', 'type', 'enum']);
    expect(types).toEqual(['ClusterIP', 'NodePort', 'LoadBalancer']);
  });

  it('holds no secret: the database URL is a Secret reference, certificate and key are empty', () => {
    expect(lookup(v, ['database'])).toEqual({ existingSecret: '', secretKey: 'DATABASE_URL' });
    expect(lookup(v, ['hostCert', 'cert'])).toBe('');
    expect(lookup(v, ['hostCert', 'key'])).toBe('');
    const strings = (node: Json): string[] => (isObject(node) ? Object.values(node).flatMap(strings) : Array.isArray(node) ? node.flatMap(strings) : typeof node === 'string' ? [node] : []);
    expect(strings(v).filter((text) => /postgres(ql)?:\/\/|PRIVATE KEY/.test(text))).toEqual([]);
  });
});

describe('templates', () => {
  const all = templates();
  const s = schema();
  const v = values();

  it('are all there', () => {
    for (const name of [
      '_helpers.tpl',
      'NOTES.txt',
      'deployment.yaml',
      'service-pdp.yaml',
      'service-admin.yaml',
      'job-migrate.yaml',
      'secret-hostcert.yaml',
      'configmap.yaml',
      'policy-configmap.yaml',
      'vomsdir-configmap.yaml',
      'cronjob-fetch-crl.yaml',
      'job-trust-init.yaml',
      'pvc-trust.yaml',
      'pdb.yaml',
      'networkpolicy.yaml',
      'hpa.yaml',
      'serviceaccount.yaml',
    ]) {
      expect(all.has(name), name).toBe(true);
    }
  });

  it.each([...all.keys()])('%s has balanced template actions', (name) => {
    const text = all.get(name)!;
    expect((text.match(/\{\{/g) ?? []).length, 'opening and closing braces').toBe((text.match(/\}\}/g) ?? []).length);
    const open: string[] = [];
    for (const action of templateActions(text)) {
      const keyword = /^(if|range|with|define|block|else|end)\b/.exec(action)?.[1];
      if (keyword === 'end') {
        expect(open.pop(), `an {{ end }} without a block in ${name}`).toBeDefined();
      } else if (keyword === 'else') {
        expect(open.length, `an {{ else }} outside a block in ${name}`).toBeGreaterThan(0);
      } else if (keyword !== undefined) {
        open.push(action);
      }
    }
    expect(open, `blocks left open in ${name}`).toEqual([]);
  });

  it('use only .Values paths that values.yaml defines (or that lie in free-form maps)', () => {
    const missing: string[] = [];
    let count = 0;
    for (const [name, text] of all) {
      for (const path of valuesReferences(text)) {
        count++;
        if (lookup(v, path) !== undefined) continue;
        // A key the schema leaves open (podAnnotations.x, resources.limits) need not be in values.yaml.
        let prefix = path.length - 1;
        while (prefix > 0 && lookup(v, path.slice(0, prefix)) === undefined) prefix--;
        if (schemaAt(path, s) === 'free-form' && prefix > 0) continue;
        missing.push(`${name}: .Values.${path.join('.')}`);
      }
    }
    expect(count).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('use every value values.yaml defines (no dead settings)', () => {
    const used = [...all.values()].flatMap(valuesReferences).map((p) => p.join('.'));
    const unused = valueLeaves(v, s)
      .map((p) => p.join('.'))
      .filter((leaf) => !used.some((ref) => leaf === ref || leaf.startsWith(`${ref}.`)));
    expect(unused).toEqual([]);
  });

  it('set only environment variables gridauthz reads (chart and server cannot drift)', () => {
    const known = serverEnvNames();
    expect(known.size).toBeGreaterThan(10);
    const unknown: string[] = [];
    let count = 0;
    for (const [name, text] of all) {
      for (const match of text.matchAll(/name:\s*((?:GRIDAUTHZ|X509|DATABASE)_[A-Z0-9_]*)/g)) {
        count++;
        if (!known.has(match[1]!)) unknown.push(`${name}: ${match[1]}`);
      }
    }
    expect(count).toBeGreaterThan(5);
    expect(unknown).toEqual([]);
  });

  it('give the server its listeners, files and database through the environment', () => {
    const env = templateBlock(all.get('deployment.yaml')!, 'env') as { name: string; value?: Json; valueFrom?: JsonObject }[];
    const byName = new Map(env.map((e) => [e.name, e]));
    for (const name of [
      'GRIDAUTHZ_PDP_HOST',
      'GRIDAUTHZ_PDP_PORT',
      'GRIDAUTHZ_MANAGEMENT_HOST',
      'GRIDAUTHZ_MANAGEMENT_PORT',
      'GRIDAUTHZ_HOST_CERT',
      'GRIDAUTHZ_HOST_KEY',
      'GRIDAUTHZ_CA_DIR',
      'GRIDAUTHZ_VOMS_DIR',
      'GRIDAUTHZ_POLICY_DIR',
      'DATABASE_URL',
    ]) {
      expect(byName.has(name), name).toBe(true);
    }
    // Loopback (the server's default) is unreachable for the kubelet's probes.
    expect(byName.get('GRIDAUTHZ_MANAGEMENT_HOST')?.value).toBe('0.0.0.0');
    expect(lookup(byName.get('DATABASE_URL')?.valueFrom ?? null, ['secretKeyRef'])).toBeDefined();
  });

  it('refuse in extraEnv every variable (aliases included) of the settings the Deployment sets', () => {
    const known = serverEnvNames();
    const env = templateBlock(all.get('deployment.yaml')!, 'env') as { name: string }[];
    const settings = new Set(env.map((e) => known.get(e.name)).filter((key) => key !== undefined));
    const expected = [...known].filter(([, key]) => settings.has(key)).map(([name]) => name);
    const refused = lookup(s, ['properties', 'extraEnv', 'items', 'properties', 'name', 'not', 'enum']) as string[];
    expect(settings.size).toBeGreaterThan(5);
    expect([...refused].sort()).toEqual(expected.sort());
  });

  it('probe the management port: startup and liveness on /healthz, readiness on /readyz', () => {
    const deployment = all.get('deployment.yaml')!;
    const expected = { startupProbe: '/healthz', livenessProbe: '/healthz', readinessProbe: '/readyz' } as const;
    for (const [probe, path] of Object.entries(expected)) {
      const block = templateBlock(deployment, probe);
      expect(lookup(block, ['httpGet', 'path']), probe).toBe(path);
      expect(lookup(block, ['httpGet', 'port']), probe).toBe('management');
    }
    // The named port and the listener the server opens are the same value.
    expect(deployment).toMatch(/- name: management\s+containerPort: \{\{ \.Values\.ports\.management \}\}/);
    expect(deployment).toMatch(/- name: GRIDAUTHZ_MANAGEMENT_PORT\s+value: \{\{ \.Values\.ports\.management \| quote \}\}/);
    expect(deployment).toMatch(/- name: pdp\s+containerPort: \{\{ \.Values\.ports\.pdp \}\}/);
    expect(deployment).toMatch(/- name: GRIDAUTHZ_PDP_PORT\s+value: \{\{ \.Values\.ports\.pdp \| quote \}\}/);
  });

  it('open the PEPd listener only with pepd.enabled, on ports.pepd, as the admin listener with admin.enabled', () => {
    const deployment = all.get('deployment.yaml')!;
    const env = templateBlock(deployment, 'env') as { name: string; value?: Json }[];
    const byName = new Map(env.map((e) => [e.name, e]));
    for (const name of ['GRIDAUTHZ_PEPD_ENABLED', 'GRIDAUTHZ_PEPD_HOST', 'GRIDAUTHZ_PEPD_PORT']) expect(byName.has(name), name).toBe(true);
    expect(byName.get('GRIDAUTHZ_PEPD_HOST')?.value).toBe('0.0.0.0');
    // The server opens the listener exactly when the value says so; port and listener are the same value.
    expect(deployment).toMatch(/- name: GRIDAUTHZ_PEPD_ENABLED\s+value: \{\{ \.Values\.pepd\.enabled \| quote \}\}/);
    expect(deployment).toMatch(/- name: GRIDAUTHZ_PEPD_PORT\s+value: \{\{ \.Values\.ports\.pepd \| quote \}\}/);
    // The named container port exists only with the listener, as the admin one.
    const guarded = guardedBy(deployment, '.Values.pepd.enabled');
    expect(guarded.some((body) => /- name: pepd\s+containerPort: \{\{ \.Values\.ports\.pepd \}\}/.test(body))).toBe(true);
    expect(deployment.match(/containerPort: \{\{ \.Values\.ports\.pepd \}\}/g)).toHaveLength(1);
    expect(guardedBy(deployment, '.Values.admin.enabled').some((body) => /- name: admin\s+containerPort:/.test(body))).toBe(true);
  });

  it('serve PEPd on the PDP Service, only with pepd.enabled', () => {
    const service = all.get('service-pdp.yaml')!;
    const guarded = guardedBy(service, '.Values.pepd.enabled');
    expect(guarded.some((body) => /- name: pepd\s+port: \{\{ \.Values\.ports\.pepd \}\}\s+targetPort: pepd\s+protocol: TCP/.test(body))).toBe(true);
    expect(service.match(/targetPort: pepd/g)).toHaveLength(1);
    expect(all.get('service-admin.yaml')).not.toMatch(/targetPort: pepd/);
  });

  it('admit PEPd in the NetworkPolicy from the PDP peers, only with pepd.enabled', () => {
    const policy = all.get('networkpolicy.yaml')!;
    const guarded = guardedBy(policy, '.Values.pepd.enabled');
    const rule = guarded.find((body) => /- port: pepd\b/.test(body));
    expect(rule).toBeDefined();
    // No peer list of its own: the callers are the PDP's (worker nodes, CEs).
    expect(rule).toMatch(/\{\{- with \$np\.pdp\.from \}\}\s+from:\s+\{\{- toYaml \. \| nindent 8 \}\}/);
    expect(policy.match(/- port: pepd\b/g)).toHaveLength(1);
  });

  it('run migrations as a pre-install/pre-upgrade hook that depends on nothing the release creates', () => {
    const job = all.get('job-migrate.yaml')!;
    expect(job).toMatch(/helm\.sh\/hook: pre-install,pre-upgrade/);
    expect(job).toMatch(/helm\.sh\/hook-delete-policy: before-hook-creation,hook-succeeded/);
    expect(job).toMatch(/args: \["migrate"\]/);
    expect(job).toMatch(/secretKeyRef:\s+name: \{\{ \.Values\.database\.existingSecret \}\}/);
    // Hooks run before the release's ServiceAccount and ConfigMaps exist on first install.
    expect(job).not.toMatch(/gridauthz\.serviceAccountName|configMap:|persistentVolumeClaim:/);
    expect(job).toMatch(/automountServiceAccountToken: false/);
    expect(all.get('deployment.yaml')).toMatch(/args: \["serve"\]/);
  });

  it('never mount a service account token', () => {
    expect(all.get('deployment.yaml')).toMatch(/automountServiceAccountToken: false/);
    expect(all.get('serviceaccount.yaml')).toMatch(/automountServiceAccountToken: false/);
    expect(all.get('_helpers.tpl')).toMatch(/automountServiceAccountToken: false/);
  });

  it('keep PDP and admin in separate Services', () => {
    expect(all.get('service-pdp.yaml')).toMatch(/targetPort: pdp/);
    expect(all.get('service-pdp.yaml')).not.toMatch(/targetPort: admin/);
    expect(all.get('service-admin.yaml')).toMatch(/targetPort: admin/);
    expect(all.get('service-admin.yaml')).not.toMatch(/targetPort: pdp/);
  });

  it('restrict ingress per port and allow egress to DNS and the database', () => {
    const policy = all.get('networkpolicy.yaml')!;
    for (const port of ['pdp', 'pepd', 'admin', 'management']) expect(policy).toMatch(new RegExp(`- port: ${port}\\b`));
    expect(policy).toMatch(/cidr: \{\{ \. \| quote \}\}/);
    expect(policy).toMatch(/port: 53\s+protocol: UDP/);
    expect(policy).toMatch(/port: \{\{ \$np\.egress\.database\.port \}\}/);
    expect(policy).toMatch(/- Egress/);
  });

  it('read the database URL only from a Secret', () => {
    for (const [name, text] of all) {
      for (const match of text.matchAll(/- name: DATABASE_URL\n(\s+)(\S+)/g)) expect(match[2], name).toBe('valueFrom:');
    }
  });
});

describe('helm/gridauthz/README.md', () => {
  it('documents every value', () => {
    const readme = readText(CHART, 'README.md');
    const rows = readme.split('\n').filter((line) => line.startsWith('| `'));
    const firstCells = rows.map((row) => row.split('|')[1] ?? '');
    const documented = (leaf: string[]): boolean => {
      const full = leaf.join('.');
      if (firstCells.some((cell) => cell.includes(`\`${full}\``))) return true;
      // A row for a whole group (`probes.startup.*`) or a structured value (`resources`) covers what is inside.
      for (let n = leaf.length - 1; n > 0; n--) {
        const prefix = leaf.slice(0, n).join('.');
        if (firstCells.some((cell) => cell.includes(`\`${prefix}.*\``) || cell.includes(`\`${prefix}\``))) return true;
      }
      // A row listing siblings: `parent.a`, `b` names parent.b too.
      const parent = leaf.slice(0, -1).join('.');
      return firstCells.some((cell) => cell.includes(`\`${parent}.`) && cell.includes(`\`${leaf.at(-1)}\``));
    };
    const undocumented = valueLeaves(values(), schema())
      .filter((leaf) => !documented(leaf))
      .map((leaf) => leaf.join('.'));
    expect(undocumented).toEqual([]);
  });
});
