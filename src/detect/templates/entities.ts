/**
 * Entity extraction from a mined template: turns the parameters of a message (and `key=value`
 * constants of its template) into ECS fields, using the template's words as cues. Conservative:
 * a value becomes a field only when its shape fits AND a cue names its role; an IP after "from"
 * is `source.ip`, an IP with no cue is left alone. The rules are listed in docs/templates.md
 * (Entity extraction). Field names: Elastic Common Schema 8.x (`source.ip`, `user.name`, …).
 *
 * Pure; no I/O.
 */
import { WILDCARD } from './masking.js';

/** ECS fields found in one message (`source.port`, `destination.port`, `process.pid` are numbers). */
export type Entities = Record<string, string | number>;

type Role = 'source' | 'destination';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^(?=.*:.*:)[0-9a-fA-F:]{2,39}(%\w+)?$/;
const PORT = /^\d{1,5}$/;
const HEX = /^[0-9a-fA-F]+$/;
const USER = /^(?=.*[A-Za-z])[A-Za-z0-9._@\\$-]{1,64}$/;
const HOST = /^(?=.*[A-Za-z])[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*\.?$/;
const URL_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s/$.?#][^\s]*$/;
const UNIX_PATH = /^(\/[^/\s]+){2,}\/?$|^\/[^/\s]+\.[A-Za-z0-9]{1,8}$/;
const WINDOWS_PATH = /^([A-Za-z]:\\|\\\\)[^\s]+$/;

/** Cue words (lowercased, without punctuation) for each role. */
const SOURCE_CUES = new Set([
  'from',
  'src',
  'source',
  'srcip',
  'src_ip',
  'client',
  'rhost',
  'remote',
  'sip',
  'saddr',
]);
const DESTINATION_CUES = new Set([
  'to',
  'dst',
  'dest',
  'destination',
  'dstip',
  'dst_ip',
  'dip',
  'daddr',
  'server',
]);
const SOURCE_PORT_CUES = new Set(['sport', 'spt', 'srcport', 'src_port', 'source_port']);
const DESTINATION_PORT_CUES = new Set(['dport', 'dpt', 'dstport', 'dst_port', 'destination_port']);
const USER_CUES = new Set([
  'user',
  'username',
  'user_name',
  'login',
  'account',
  'ruser',
  'logname',
  'uname',
  'acct',
]);
/** "for"/"by" name a user only in a message about authentication or sessions. */
const WEAK_USER_CUES = new Set(['for', 'by']);
const AUTH_WORDS =
  /(password|passwd|session|login|logon|logged|auth|sudo|\bsu\b|publickey|credential|account)/i;
const HOST_CUES = new Set(['host', 'hostname', 'host_name', 'computer', 'workstation', 'node']);
const PID_CUES = new Set(['pid', 'process', 'processid', 'process_id']);
const PATH_CUES = new Set(['file', 'path', 'filename', 'image', 'directory', 'dir', 'exe']);
const HASH_FIELDS: Readonly<Record<number, string>> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };
const HASH_CUE = /^(hash|hashes|md5|sha1|sha-1|sha256|sha-256|checksum|digest|sha)$/;

/** One value: a parameter (or a constant of the template) and the words around it. */
interface Slot {
  readonly value: string;
  /** The `key` of a `key=<*>` (or `key:<*>`) inside the same token, lowercased; '' if none. */
  readonly key: string;
  /** The previous template word, lowercased, punctuation stripped; '' if none. */
  readonly previous: string;
  /** The next template word, lowercased, punctuation stripped; '' if none. */
  readonly next: string;
  /** True for a constant word of the template (only strong cues apply to it). */
  readonly constant: boolean;
}

/*
 * The trims below scan from both ends instead of using `/^[…]+|[…]+$/g`: an unanchored `[…]+$`
 * backtracks quadratically over a long run of its characters followed by another one (a 20 kB
 * token of dots took 1.5 s; a 64 kB syslog frame would hold the writer for seconds).
 */

/** `a-z`, `0-9`, `_`. */
function isWordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
}

/** `s` without its leading characters in `lead` and its trailing characters in `trail`. */
function trimSets(s: string, lead: (c: number) => boolean, trail: (c: number) => boolean): string {
  let start = 0;
  let end = s.length;
  while (start < end && lead(s.charCodeAt(start))) start++;
  while (end > start && trail(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

const notWord = (c: number): boolean => !isWordCode(c);

function word(token: string): string {
  return trimSets(token.toLowerCase(), notWord, notWord);
}

/** `[A-Za-z_]`. */
function isKeyStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** `[A-Za-z0-9_.-]`. */
function isKeyCode(c: number): boolean {
  return isKeyStart(c) || (c >= 48 && c <= 57) || c === 46 || c === 45;
}

/**
 * The `key` of a piece ending in `key=` or `key:` (the longest run of `[A-Za-z0-9_.-]` before
 * the sign, from its first letter or `_`), lowercased; '' when there is none. Same as
 * `/([A-Za-z_][A-Za-z0-9_.-]*)[=:]$/`, in linear time.
 */
function keyBefore(piece: string): string {
  const last = piece.charCodeAt(piece.length - 1);
  if (last !== 61 && last !== 58) return '';
  let start = piece.length - 1;
  while (start > 0 && isKeyCode(piece.charCodeAt(start - 1))) start--;
  for (let i = start; i < piece.length - 1; i++)
    if (isKeyStart(piece.charCodeAt(i))) return piece.slice(i, -1).toLowerCase();
  return '';
}

/**
 * Pairs each parameter with its context words (template tokens split at `<*>`), and lists the
 * template's constant words with theirs: a low-cardinality column (miner.ts) keeps a user name
 * such as `root` as a constant of its template.
 */
function slots(template: string, parameters: readonly string[]): Slot[] {
  const out: Slot[] = [];
  const tokens = template === '' ? [] : template.split(' ');
  let p = 0;
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    const previousWord = t > 0 ? word(tokens[t - 1]!) : '';
    const nextWord = t + 1 < tokens.length ? word(tokens[t + 1]!) : '';
    if (!token.includes(WILDCARD)) {
      const pair = /^[[("']*([A-Za-z_][A-Za-z0-9_.-]*)=([^\s,;)\]"']+)[,;)\]"']*$/.exec(token);
      if (pair)
        out.push({ value: pair[2]!, key: pair[1]!.toLowerCase(), previous: '', next: '', constant: true });
      else out.push({ value: token, key: '', previous: previousWord, next: nextWord, constant: true });
      continue;
    }
    const pieces = token.split(WILDCARD);
    for (let k = 0; k < pieces.length - 1 && p < parameters.length; k++) {
      const before = pieces[k]!;
      const key = keyBefore(before);
      const atStart = k === 0 && /^[[("'<]*$/.test(before);
      const after = k === pieces.length - 2 && /^[\])"'>,;:.]*$/.test(pieces[k + 1]!);
      out.push({
        value: parameters[p++]!,
        key,
        previous: atStart ? previousWord : '',
        next: after ? nextWord : '',
        constant: false,
      });
    }
  }
  return out;
}

/** Words after "user" that are not names. */
const NOT_NAMES = new Set([
  'unknown',
  'invalid',
  'not',
  'is',
  'was',
  'has',
  'from',
  'for',
  'with',
  'none',
  'null',
  'name',
]);

/** `[`, `(`, `"`, `'`, `<`. */
const OPENING = (c: number): boolean => c === 91 || c === 40 || c === 34 || c === 39 || c === 60;
/** `]`, `)`, `"`, `'`, `>`, `,`, `;`, `.`, `:`. */
const CLOSING = (c: number): boolean =>
  c === 93 || c === 41 || c === 34 || c === 39 || c === 62 || c === 44 || c === 59 || c === 46 || c === 58;

function stripBrackets(v: string): string {
  return trimSets(v, OPENING, CLOSING);
}

/** An IP, with an optional port (`1.2.3.4:22`, `[2001:db8::1]:22`), or undefined. */
function ipAndPort(v: string): { ip: string; port?: number } | undefined {
  const s = stripBrackets(v).replace(/^\//, '');
  if (IPV4.test(s)) return { ip: s };
  const v4 = /^([\d.]+):(\d{1,5})$/.exec(s);
  if (v4 && IPV4.test(v4[1]!)) return { ip: v4[1]!, port: Number(v4[2]) };
  const v6 = /^\[([0-9a-fA-F:]+)\]:(\d{1,5})$/.exec(v);
  if (v6 && IPV6.test(v6[1]!)) return { ip: v6[1]!, port: Number(v6[2]) };
  if (IPV6.test(s) && s.includes('::')) return { ip: s };
  return undefined;
}

function asPort(v: string): number | undefined {
  const s = stripBrackets(v);
  if (!PORT.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/**
 * ECS fields from a message's template and parameters.
 * @param match - `template` with `<*>` and the `parameters` at them, in order (a TemplateMatch)
 * @param message - the original message (used for the authentication cue of "for"/"by")
 * @returns dotted ECS keys: `source.ip`, `destination.ip`, `source.port`, `destination.port`
 *   (numbers), `source.domain`, `user.name`, `host.name`, `file.path`, `url.original`,
 *   `file.hash.md5` / `.sha1` / `.sha256`, `process.pid` (number); the first value wins
 */
export function extractEntities(
  match: { readonly template: string; readonly parameters: readonly string[] },
  message: string,
): Entities {
  const out: Entities = {};
  const set = (field: string, value: string | number): void => {
    if (!(field in out)) out[field] = value;
  };
  const auth = AUTH_WORDS.test(message);
  let lastRole: Role | undefined;
  for (const s of slots(match.template, match.parameters)) {
    const cue = s.key || s.previous;
    const value = stripBrackets(s.value);
    if (value === '') continue;
    if (s.constant) {
      // Constants: only a user or host name with a strong cue ("user root", "for root from").
      const userCue = USER_CUES.has(cue) || (cue === 'for' && s.next === 'from' && auth);
      if (userCue && USER.test(value) && !NOT_NAMES.has(value.toLowerCase())) set('user.name', value);
      else if (s.key !== '' && HOST_CUES.has(cue) && HOST.test(value)) set('host.name', value);
      continue;
    }
    const ip = ipAndPort(s.value);
    if (ip) {
      const role: Role | undefined =
        SOURCE_CUES.has(cue) || (cue === 'by' && auth)
          ? 'source'
          : DESTINATION_CUES.has(cue)
            ? 'destination'
            : undefined;
      if (role) {
        set(`${role}.ip`, ip.ip);
        if (ip.port !== undefined) set(`${role}.port`, ip.port);
        lastRole = role;
      }
      continue;
    }
    if (cue === 'port' && lastRole) {
      const port = asPort(value);
      if (port !== undefined) set(`${lastRole}.port`, port);
      continue;
    }
    if (SOURCE_PORT_CUES.has(cue) || DESTINATION_PORT_CUES.has(cue)) {
      const port = asPort(value);
      if (port !== undefined) set(SOURCE_PORT_CUES.has(cue) ? 'source.port' : 'destination.port', port);
      continue;
    }
    if (URL_RE.test(value)) {
      set('url.original', value);
      continue;
    }
    if (HEX.test(value) && HASH_FIELDS[value.length] && HASH_CUE.test(cue)) {
      set(`file.hash.${HASH_FIELDS[value.length]!}`, value.toLowerCase());
      continue;
    }
    if (PID_CUES.has(cue) && /^\d{1,10}$/.test(value)) {
      set('process.pid', Number(value));
      continue;
    }
    if (UNIX_PATH.test(value) || WINDOWS_PATH.test(value)) {
      if (PATH_CUES.has(cue) || !/^\/\d/.test(value)) set('file.path', value);
      continue;
    }
    if ((USER_CUES.has(cue) || (WEAK_USER_CUES.has(cue) && auth)) && USER.test(value)) {
      set('user.name', value);
      continue;
    }
    if (cue === 'rhost' && HOST.test(value) && value.includes('.')) {
      set('source.domain', value);
      continue;
    }
    if (HOST_CUES.has(cue) && HOST.test(value)) set('host.name', value);
  }
  return out;
}
