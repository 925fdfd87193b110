/**
 * Authentication messages of Linux syslog (sshd, PAM, sudo, su, shadow-utils) → ECS fields.
 *
 * Each program has a table of message rules (`auth-rules.ts`): a literal prefix (checked first, so
 * most lines cost one `startsWith`) and an anchored regex whose capture groups fill named fields.
 *
 * Field names (ECS where ECS has one; the rest follow Filebeat's `system.auth` module):
 * - `source.ip`, `source.port`, `source.domain` (a host name where an address was logged),
 *   `user.name`, `user.id`, `user.effective.name` (su/sudo target), `group.name`, `group.id`,
 *   `process.command_line`, `process.working_directory` (sudo), `event.reason` (sudo refusal,
 *   sshd disconnect reason);
 * - `event.action` (see `ACTION_CATEGORIES` in auth-rules.ts) and `event.outcome` (`success`|`failure`);
 * - `system.auth.ssh.method` (`password`, `publickey`, `keyboard-interactive/pam`, `none`…) and
 *   `system.auth.ssh.event` (`Failed`, `Accepted`, `Invalid`), as Filebeat names them;
 * - `syslog.repeat_count`: N of rsyslog's `message repeated N times: [ … ]` (the inner message is
 *   parsed as if logged once);
 * - sudo's own `KEY=value` pairs under their names (`USER`, `TTY`, `PWD`, `COMMAND`, …), which
 *   SigmaHQ's `service: sudo` rules match (CVE-2019-14287 rule: `USER: '#-*'`).
 *
 * Message shapes are those OpenSSH `auth.c`/`sshd.c`, Linux-PAM `pam_unix`, sudo, util-linux
 * `su` and shadow-utils write; the regexes were checked against Loghub OpenSSH_2k and Linux_2k.
 */
import type { FieldValue } from '../../../detect/sigma/types.js';
import { type MessageRule, NUMERIC_FIELDS, PAM_PAIRS, PAM_RULES, PROGRAM_RULES } from './auth-rules.js';

type Fields = Record<string, FieldValue>;

const REPEATED = /^message repeated (\d+) times: \[ ?(.*)\]$/;
const PAM_PREFIX = /^pam_[\w-]+\([^)]*\): /;
const SUDO_LINE = /^\s*(\S+) : (.*)$/;

/** True when `s` is an IPv4 dotted quad or contains `:` (IPv6); host names are neither. */
function looksLikeIp(s: string): boolean {
  if (s.includes(':')) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 46 && (c < 48 || c > 57)) return false;
  }
  return s.length > 0;
}

function put(out: Fields, field: string, value: string | undefined): void {
  if (value === undefined || value === '') return;
  if (field === 'source.address') {
    out[looksLikeIp(value) ? 'source.ip' : 'source.domain'] = value;
  } else {
    out[field] = NUMERIC_FIELDS.has(field) ? Number(value) : value;
  }
}

/** Reads PAM `key=value` pairs separated by spaces (values may be empty). */
function readPairs(text: string, out: Fields): void {
  let i = 0;
  while (i < text.length) {
    while (text.charCodeAt(i) === 32) i++;
    let end = text.indexOf(' ', i);
    if (end < 0) end = text.length;
    const eq = text.indexOf('=', i);
    if (eq > i && eq < end) {
      const field = PAM_PAIRS.get(text.slice(i, eq));
      if (field !== undefined) put(out, field, text.slice(eq + 1, end));
    }
    i = end + 1;
  }
}

function applyRules(rules: readonly MessageRule[], message: string, out: Fields): boolean {
  for (const rule of rules) {
    if (!message.startsWith(rule.prefix)) continue;
    const m = rule.pattern.exec(message);
    if (m === null) continue;
    for (let g = 0; g < rule.groups.length; g++) {
      const field = rule.groups[g];
      if (field) put(out, field, m[g + 1]);
    }
    if (rule.pairsGroup !== undefined) readPairs(m[rule.pairsGroup] ?? '', out);
    if (rule.constants) for (const k in rule.constants) out[k] = rule.constants[k]!;
    out['event.action'] = rule.action;
    if (rule.outcome) out['event.outcome'] = rule.outcome;
    return true;
  }
  return false;
}

/** A sudo log key: `TTY`, `PWD`, `USER`, `GROUP`, `ENV`, `TSID`… (upper-case letters and `_`). */
function isSudoKey(key: string): boolean {
  if (key === '') return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c !== 95 && (c < 65 || c > 90)) return false;
  }
  return true;
}

/**
 * sudo's command log: `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id`,
 * optionally with a refusal first (`3 incorrect password attempts ; TTY=…`). COMMAND comes last
 * and may itself contain ` ; `.
 */
function parseSudo(message: string, out: Fields): boolean {
  const m = SUDO_LINE.exec(message);
  if (m === null) return false;
  let rest = m[2]!;
  let command: string | undefined;
  const at = rest.indexOf('COMMAND=');
  if (at >= 0) {
    command = rest.slice(at + 8);
    rest = rest.slice(0, at);
  }
  let reason: string | undefined;
  let pairs = command !== undefined;
  for (const part of rest.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    const key = eq > 0 ? p.slice(0, eq) : '';
    if (isSudoKey(key)) {
      out[key] = p.slice(eq + 1);
      pairs = true;
    } else {
      reason ??= p;
    }
  }
  if (!pairs) return false;
  if (command !== undefined) out.COMMAND = command;
  put(out, 'user.name', m[1]);
  put(out, 'user.effective.name', typeof out.USER === 'string' ? out.USER : undefined);
  put(out, 'process.command_line', command);
  put(out, 'process.working_directory', typeof out.PWD === 'string' ? out.PWD : undefined);
  put(out, 'event.reason', reason);
  out['event.action'] = 'sudo_command';
  out['event.outcome'] = reason === undefined ? 'success' : 'failure';
  return true;
}

/**
 * Parses an auth message into `out`.
 * @param program - the program, lower case, without a `(pam_unix)` suffix (`sshd`, `sudo`, `su`…)
 * @param message - the syslog MSG part
 * @param pamTag - true when the tag carried a `(pam_…)` suffix (old Red Hat `sshd(pam_unix)`)
 * @returns true when a rule matched
 */
export function parseAuthMessage(program: string, message: string, pamTag: boolean, out: Fields): boolean {
  if (message.startsWith('message repeated ')) {
    const m = REPEATED.exec(message);
    if (m !== null) {
      put(out, 'syslog.repeat_count', m[1]);
      message = m[2]!;
    }
  }
  if (message.startsWith('pam_')) {
    const m = PAM_PREFIX.exec(message);
    if (m !== null) return applyRules(PAM_RULES, message.slice(m[0].length), out);
  }
  if (program === 'sudo') return parseSudo(message, out);
  const rules = PROGRAM_RULES.get(program);
  if (rules !== undefined) {
    const text = message.startsWith('error: ') ? message.slice(7) : message;
    if (applyRules(rules, text, out)) return true;
  }
  return pamTag ? applyRules(PAM_RULES, message, out) : false;
}
