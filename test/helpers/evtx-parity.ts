/**
 * Compares a record Vigil read from an `.evtx` file with python-evtx's conversion of the same record
 * (`../shared/data/windows-attack/evtx-jsonl/`). Known representation differences are normalized
 * here, each one named (docs/evtx.md lists them):
 * - `numbers`: python-evtx's conversion writes EventData integers as text (`"2772"`), Vigil as the
 *   typed value (`2772`), like evtx_dump;
 * - `hex`: python-evtx pads hex integers to 8/16 digits (`0x00000000000003e7`), Windows does not;
 * - `binary`: base64 (python-evtx) vs upper-case hex (Windows, Vigil);
 * - `guid`: braces and case;
 * - `time`: FILETIME/SYSTEMTIME as `2019-04-27 15:57:25.868864` vs ISO `…T…Z`; python-evtx goes through a
 *   double (53 bits hold a FILETIME to 16 ticks), so its microseconds can be up to 3 off;
 * - `string-array`: python-evtx prints a string array as `<string>a</string>\n…` and loses leading
 *   empty strings, Vigil writes a JSON array;
 * - `xmlns`: the conversion dropped namespace declarations on UserData's children, Vigil keeps them;
 * - `bool`: `True`/`False` vs `true`/`false`;
 * - `whitespace`: the conversion trimmed values (`…specified.\r\n` → `…specified.`), Vigil keeps the bytes;
 * - `control-chars`: the conversion dropped control characters XML cannot carry (`\u0094\u0002-` → `\u0094-`).
 */

export type Difference = { readonly path: string; readonly ours: unknown; readonly theirs: unknown };

const HEX = /^0x[0-9a-f]+$/i;
const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;
const TIME = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z?$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function timeMicros(s: string): number | undefined {
  const m = TIME.exec(s);
  if (m === null) return undefined;
  const base = Date.parse(`${m[1]}T${m[2]}Z`);
  const frac = Number((m[3] ?? '0').padEnd(6, '0').slice(0, 6));
  return base * 1000 + frac;
}

/** The non-empty strings of python-evtx's `<string>a</string>\n<string>b</string>\n` form. */
function pythonStringArray(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/<string>([\s\S]*?)<\/string>/g)) if (m[1] !== '') out.push(m[1]!);
  return out;
}

/** The names of the normalizations under which `ours` equals `theirs`, or undefined when they differ. */
export function scalarEqual(ours: unknown, theirs: unknown): string | undefined {
  if (ours === theirs) return 'same';
  if (ours === null || theirs === null) return undefined;
  if (Array.isArray(ours)) {
    if (typeof theirs !== 'string') return undefined;
    const mine = ours.filter((v) => v !== '' && v !== null).map(String);
    const python = pythonStringArray(theirs);
    return mine.length === python.length && mine.every((v, i) => v === python[i])
      ? 'string-array'
      : undefined;
  }
  if (typeof ours === 'number') return String(ours) === String(theirs) ? 'numbers' : undefined;
  if (typeof ours === 'boolean') return String(ours) === String(theirs).toLowerCase() ? 'bool' : undefined;
  if (typeof ours !== 'string') return undefined;
  const t = String(theirs);
  if (typeof theirs === 'string' && ours.trim() === theirs.trim()) return 'whitespace';
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
  const stripped = ours.replace(control, '');
  if (stripped !== ours && stripped === t) return 'control-chars';
  if (HEX.test(ours) && HEX.test(t)) return BigInt(ours) === BigInt(t) ? 'hex' : undefined;
  const g1 = GUID.exec(ours);
  const g2 = GUID.exec(t);
  if (g1 !== null && g2 !== null) return g1[1]!.toLowerCase() === g2[1]!.toLowerCase() ? 'guid' : undefined;
  const t1 = timeMicros(ours);
  const t2 = timeMicros(t);
  if (t1 !== undefined && t2 !== undefined) return Math.abs(t1 - t2) <= 3 ? 'time' : undefined;
  if (/^[0-9A-F]+$/.test(ours) && ours.length % 2 === 0 && BASE64.test(t)) {
    return Buffer.from(t, 'base64').toString('hex').toUpperCase() === ours ? 'binary' : undefined;
  }
  return undefined;
}

/** Every difference between two evtx-to-JSON trees, with its path; `used` counts normalizations. */
export function compareEvents(
  ours: unknown,
  theirs: unknown,
  used: Map<string, number> = new Map(),
  path = '',
): Difference[] {
  const out: Difference[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (path.endsWith('#attributes') && isObj(ours) && theirs === null) {
    if (Object.keys(ours).every((k) => k.startsWith('xmlns'))) {
      used.set('xmlns', (used.get('xmlns') ?? 0) + 1);
      return out;
    }
  }
  if (isObj(ours) && isObj(theirs)) {
    for (const k of new Set([...Object.keys(ours), ...Object.keys(theirs)]))
      out.push(...compareEvents(ours[k] ?? null, theirs[k] ?? null, used, `${path}.${k}`));
    return out;
  }
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    if (ours.length !== theirs.length) return [{ path, ours, theirs }];
    ours.forEach((o, i) => out.push(...compareEvents(o, theirs[i], used, `${path}[${i}]`)));
    return out;
  }
  const how = scalarEqual(ours, theirs);
  if (how === undefined) return [{ path, ours, theirs }];
  used.set(how, (used.get(how) ?? 0) + 1);
  return out;
}
