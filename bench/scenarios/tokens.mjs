// Token decisions through the AuthZEN endpoint (issue 20, docs/authzen.md): keep-alive mutual-TLS connections
// posting one Access Evaluation each, a WLCG token minted by scitokens-create with wlcg.groups /atlas, beside an
// x509 AuthZEN row and a SAML2-XACML2 grid-wn row (alice-voms proxy chain) as controls, in the same run. `serve --workers 1` on PostgreSQL.
// The token row needs the token verifier (settings tokens.*): when the probe decision is not a Permit with an
// account, the row says so and is not measured.
// Options: --duration <s> (default 15) --connections <n> (default 16).
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildQuery, charged, cpuMs, postAsPilot, postOnce, requireFrom, safeCpuMs, sleep, startControl, startDevSite, uptime } from '../harness.mjs';
import { fmt, table } from '../stats.mjs';

const ISSUER = 'https://issuer.bench.example';
const AUDIENCE = 'https://ce.example.org';
const TOKEN_RESOURCE = 'https://ce.example.org';
/** Appended to the shipped site.spl: the CE endpoint a token of the /atlas group may use, mapped. */
const TOKEN_POLICY = `
resource "https://ce[.]example[.]org" {
    obligation "http://glite.org/xacml/obligation/local-environment-map" {}
    action ".*" {
        rule permit { oidc-group = "/atlas" }
    }
}
`;
const opt = (args, name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

/** An ES256 key, its JWKS file, and a WLCG token signed with it by scitokens-create (exp = now + 600 s). */
function mintToken(dir) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateFile = join(dir, 'bench.key.pem');
  const publicFile = join(dir, 'bench.pub.pem');
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });
  writeFileSync(publicFile, publicPem);
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...createPublicKey(publicPem).export({ format: 'jwk' }), kid: 'bench', use: 'sig', alg: 'ES256' }] }));
  const token = execFileSync(
    'scitokens-create',
    ['--cred', publicFile, '--key', privateFile, '--keyid', 'bench', '--issuer', ISSUER, '--profile', 'wlcg', '--claim', `aud=${AUDIENCE}`, '--claim', 'sub=bench-user', '--claim', 'wlcg.groups=/atlas', '--claim', 'scope=compute.create'],
    { encoding: 'utf8' },
  ).trim();
  return { token, jwksFile };
}

/** What a probe answer says, in a few words (the load itself only counts HTTP 200s). */
function describe(answer) {
  if (answer.status !== 200) return `HTTP ${answer.status}: ${answer.body.slice(0, 120)}`;
  const a = JSON.parse(answer.body);
  if (a.decision === true) return a.context?.account ? `Permit as ${a.context.account.username}` : 'Permit without an account';
  return `${a.context?.outcome ?? 'Deny'} (${(a.context?.reason_codes ?? []).join(', ') || a.context?.message || 'no reason'})`;
}

export async function run({ root, args }) {
  const durationMs = Number(opt(args, 'duration', 15)) * 1000;
  const connections = Number(opt(args, 'connections', 16));
  const autocannon = requireFrom(root)('node_modules/autocannon');
  let token;
  const site = await startDevSite({
    root,
    prefix: 'gridauthz-bench-tokens-',
    workers: 1,
    prepare: (dir) => {
      const minted = mintToken(dir);
      token = minted.token;
      const policyDir = join(dir, 'policies');
      mkdirSync(policyDir);
      writeFileSync(join(policyDir, 'site.spl'), readFileSync(join(root, 'policies', 'site.spl'), 'utf8') + TOKEN_POLICY);
      // The token settings (docs/configuration.md, tokens.*): this issuer, its key file, the CE's audience.
      return {
        GRIDAUTHZ_TOKENS_AUDIENCES: AUDIENCE,
        GRIDAUTHZ_TOKENS_ISSUERS: JSON.stringify([{ issuer: ISSUER, jwksFile: minted.jwksFile }]),
        GRIDAUTHZ_POLICY_DIR: policyDir,
      };
    },
  });
  const { server, schema, pki } = site;
  let loadBefore;
  const rows = [];
  const notes = [];
  try {
    // The token rule (issuer + group → the dev site's atlas pool, atlas as primary group), written as
    // `gridauthz rule add --issuer … --token-group /atlas --pool atlas --group atlas` would; the server's generation
    // poll picks it up.
    const db = await schema.client();
    try {
      const [rule] = (
        await db.query(
          `INSERT INTO mapping_rule (rule_key, position, subject_kind, pattern, issuer, account_pool_id)
           VALUES ('bench-atlas-tokens', (SELECT coalesce(max(position), -1) + 1 FROM mapping_rule), 'token-group', '/atlas', $1, (SELECT id FROM pool WHERE name = 'atlas'))
           RETURNING id`,
          [ISSUER],
        )
      ).rows;
      await db.query(`INSERT INTO mapping_rule_group (mapping_rule_id, position, unix_group_id) VALUES ($1, 0, (SELECT id FROM unix_group WHERE name = 'atlas'))`, [rule.id]);
    } finally {
      await db.end();
    }
    await sleep(1500);
    loadBefore = uptime();
    const resource = { type: 'wn', id: 'wn042.example.org' };
    const action = { name: 'execute' };
    const { decodeXacmlResponse } = requireFrom(root)('dist/libs/protocols');
    const saml = buildQuery(root, pki, 'grid-wn');
    const cases = [
      { name: 'SAML2-XACML2 grid-wn x509 (control: alice-voms chain)', saml },
      { name: 'AuthZEN x509 (control: alice-voms chain)', body: JSON.stringify({ subject: { type: 'x509', id: pki.payload.identity, properties: { pem_chain: pki.payload.pem } }, action, resource }) },
      { name: 'AuthZEN wlcg-token (wlcg.groups /atlas)', control: true, body: JSON.stringify({ subject: { type: 'wlcg-token', id: 'bench-user', properties: { token } }, action: { name: 'submit' }, resource: { type: 'resource-id', id: TOKEN_RESOURCE } }) },
    ];
    for (const c of cases) {
      let decided;
      let answer;
      if (c.saml) {
        const d = decodeXacmlResponse(await postOnce(server.pdpPort, pki, c.saml), c.saml.expect);
        decided = d.ok ? `${d.value.decision}${d.value.username ? ` as ${d.value.username}` : ''}` : `undecodable (${d.error.code})`;
      } else {
        answer = await postAsPilot(server.pdpPort, pki, { path: '/access/v1/evaluation', headers: { 'content-type': 'application/json' }, body: c.body });
        decided = describe(answer);
      }
      const permitted = decided.startsWith('Permit as ');
      if (!permitted) {
        rows.push([c.name, '—', '—', '—', '—', '—', `not measured: the probe answered ${decided}`]);
        continue;
      }
      const base = {
        url: `https://127.0.0.1:${server.pdpPort}`,
        connections,
        requests: [
          c.saml
            ? { method: 'POST', path: '/', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: c.saml.soapAction }, body: c.saml.body }
            : { method: 'POST', path: '/access/v1/evaluation', headers: { 'content-type': 'application/json' }, body: c.body },
        ],
        tlsOptions: { ca: pki.ca, cert: pki.pilot.cert, key: pki.pilot.key, servername: 'localhost' },
      };
      await autocannon({ ...base, duration: 3 }); // warm-up: lease held, keys loaded, JIT warm
      const pids = server.pids();
      const cpu0 = pids.map(cpuMs);
      const r = await autocannon({ ...base, duration: durationMs / 1000 });
      const serverMs = pids.map(safeCpuMs).reduce((s, v, i) => s + (Number.isFinite(v) ? v - cpu0[i] : 0), 0);
      rows.push([c.name, fmt(r['2xx'] / r.duration, 0), fmt(r.latency.p50, 0), fmt(r.latency.p99, 0), fmt(serverMs / r['2xx'], 2), `${r.non2xx} / ${r.errors + r.timeouts}`, decided]);
      if (c.control) {
        // The control (issue 21), in its own process: bare Fastify with the same TLS options, JSON.parse of the
        // body (AuthZEN's first step), gridauthz's answer bytes sent back; the same load.
        const control = await startControl({ root, pkiDir: pki.dir, workers: 1, answers: [{ query: c.body, answer: answer.body }], dir: site.dir, mode: 'json' });
        try {
          const cbase = { ...base, url: `https://127.0.0.1:${control.port}` };
          const check = await autocannon({ ...cbase, duration: 2 });
          if (check.non2xx > 0 || check['2xx'] === 0) throw new Error(`control answered ${check.non2xx} non-2xx of ${check['2xx'] + check.non2xx}`);
          const { r: cr, ms } = await charged(control.pids(), () => autocannon({ ...cbase, duration: durationMs / 1000 }));
          const rate = r['2xx'] / r.duration;
          const crate = cr['2xx'] / cr.duration;
          rows.push(['control: bare Fastify + JSON.parse, same body and answer', fmt(crate, 0), fmt(cr.latency.p50, 0), fmt(cr.latency.p99, 0), fmt(ms / cr['2xx'], 2), `${cr.non2xx} / ${cr.errors + cr.timeouts}`, '']);
          rows.push([`**${c.name}: gridauthz / control**`, `**${fmt((100 * rate) / crate, 0)} %**`, '', '', `CPU: control ÷ gridauthz = **${fmt((100 * (ms / cr['2xx'])) / (serverMs / r['2xx']), 0)} %**`, '', '']);
        } finally {
          await control.stop();
        }
      }
      notes.push(`${c.name}: body ${(c.saml?.body ?? c.body).length} B.`);
      await sleep(500);
    }
  } finally {
    await site.stop();
  }
  return {
    title: 'tokens: keep-alive AuthZEN decisions, WLCG token vs x509 chain, --workers 1 on PostgreSQL (issue 20)',
    table: table(['subject', 'decisions/s', 'p50 ms', 'p99 ms', 'server CPU ms / decision', 'non-2xx / errors', 'decision'], rows),
    notes: [
      `Load: autocannon in-process, ${connections} keep-alive mutual-TLS connections as the pilot-voms proxy, one row after the other on the same server, each connection posting the row's one message (an Access Evaluation to /access/v1/evaluation, or the grid-wn SAML2-XACML2 query to /) for ${durationMs / 1000} s after a 3 s warm-up; a fresh PostgreSQL schema. The token is ES256, minted once by scitokens-create (issuer ${ISSUER}, aud ${AUDIENCE}, wlcg.groups /atlas), its JWKS given to the server as a file.`,
      ...notes,
      'Control (issue 21): bench/fastify-xmldom-baseline.mjs in json mode in its own process, run right after the token row: Fastify with gridauthz\'s TLS options, the client\'s chain read once per connection, the body parsed with JSON.parse, the bytes gridauthz answered sent back. Its CPU is its own process\' (no database); gridauthz\'s row counts the server process only (as every row of this table).',
      `Box load average before \`${loadBefore}\`, after \`${uptime()}\` (other work shares the 2 cores: figures are lower bounds).`,
    ].join('\n\n'),
  };
}
