// RSS per worker while `serve --workers 2` carries the ce scenario's load (target < 200 MB per worker).
// RSS is sampled from /proc/<pid>/status every 500 ms; the table shows each worker's peak and final value.
// Options: --duration <s> (default 30) --connections <n> (default 32).
import { ceRun } from './ce.mjs';
import { fmt, table } from '../stats.mjs';

const opt = (args, name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

export async function run({ root, args }) {
  const durationMs = Number(opt(args, 'duration', 30)) * 1000;
  const connections = Number(opt(args, 'connections', 32));
  const r = await ceRun({ root, workers: 2, durationMs, connections });
  const rows = r.rss.map((w, i) => [`worker ${i + 1}${w.died ? ' (**exited during the run**)' : ''}`, fmt(w.max, 0), fmt(w.last, 0), `< 200 MB: **${w.max < 200 ? 'met' : 'missed'}**`]);
  return {
    // Machine-readable figures for bench/compare.mjs: the larger worker's peak.
    figures: { 'peak RSS MB (largest worker)': { value: Math.max(...r.rss.map((w) => w.max)), better: 'lower' }, 'decisions/s': { value: r.rate, better: 'higher' } },
    title: 'memory: RSS per worker under the ce load, serve --workers 2 (issue 9)',
    table: table(['process', 'peak RSS MB', 'final RSS MB', 'target'], rows),
    notes: [
      `Load: as the ce scenario (${connections} keep-alive mTLS connections, authz-interop/grid-wn/emi rotating) for ${durationMs / 1000} s after a 3 s warm-up; ${fmt(r.rate, 0)} decisions/s, p99 ${fmt(r.p99, 0)} ms during the run. The cluster primary (not a worker) is not counted.`,
      `Load average before \`${r.loadBefore}\`, after \`${r.loadAfter}\`.`,
      ...(r.died.length ? [`Workers that exited during the run: ${r.died.join(', ')}; replacements forked: ${r.replacements.join(', ') || 'none'}. Server stderr (tail):\n\n\`\`\`\n${r.stderr.slice(-1500)}\n\`\`\``] : []),
    ].join('\n\n'),
  };
}
