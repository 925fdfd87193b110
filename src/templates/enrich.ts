/**
 * Which stored events get a log template, and what the template adds to their ECS document.
 *
 * An event is an *unknown line* when the `syslog` text format decoded it (decoder `linux-syslog`)
 * and no program message rule understood its MSG part: `parseAuthMessage` (auth-messages.ts) sets
 * `event.action` whenever one of its rules matches (sshd, PAM, sudo, su, shadow-utils), so a line
 * without `event.action` is one only the syslog header was decoded from. Its MSG (the message
 * without the header, `fields.message`) goes to the miner; empty messages are skipped.
 *
 * Fields added (`vigil.*` is Vigil's namespace; ECS has no template field):
 * - `vigil.template.id` (integer), `vigil.template.text` (the template when the event was mined),
 *   `vigil.template.parameters` (the values at its `<*>`, in order; at most
 *   {@link MAX_PARAMETERS}, each cut to {@link MAX_PARAMETER_CHARS} characters);
 * - the entities `extractEntities` finds (`source.ip`, `user.name`, `destination.port`, …), each
 *   only where the decoder set nothing at that path, listed in `vigil.template.entities`.
 */
import type { Entities, TemplateMatch } from '../detect/templates/index.js';
import type { DecodedEvent } from '../pipeline/decoders/types.js';
import type { NewEvent } from '../store/events.js';
import { MAX_HOST_CHARS } from '../store/templates.js';

/** The decoder id of syslog lines (`src/pipeline/decoders/text/syslog.ts`). */
export const SYSLOG_DECODER = 'linux-syslog';

/** Parameters kept per event (the original line is stored whole anyway). */
export const MAX_PARAMETERS = 64;
/** Characters kept per parameter. */
export const MAX_PARAMETER_CHARS = 1024;

/**
 * The message to mine when the event is an unknown syslog line, else undefined.
 * @returns the syslog MSG part (no header), never empty
 */
export function unknownMessage(event: DecodedEvent): string | undefined {
  if (event.decoder !== SYSLOG_DECODER) return undefined;
  if (event.fields['event.action'] !== undefined) return undefined;
  const message = event.fields.message;
  return typeof message === 'string' && message.trim() !== '' ? message : undefined;
}

/** True when `doc` holds a value at the dotted path. */
function has(doc: Readonly<Record<string, unknown>>, path: string): boolean {
  let node: unknown = doc;
  for (const k of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return false;
    if (!Object.prototype.hasOwnProperty.call(node, k)) return false;
    node = (node as Record<string, unknown>)[k];
  }
  return node !== undefined && node !== null;
}

/**
 * Sets `value` at the dotted path, copying each object on the way (the decoder's cached ECS
 * document is shared and must not change). Returns false, changing nothing, when a non-object
 * value sits on the path (`source` is a string: no `source.ip` under it).
 */
function put(doc: Record<string, unknown>, path: string, value: unknown): boolean {
  const keys = path.split('.');
  let node = doc;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    const next = Object.prototype.hasOwnProperty.call(node, k) ? node[k] : undefined;
    if (next !== undefined && (typeof next !== 'object' || next === null || Array.isArray(next)))
      return false;
    const copy: Record<string, unknown> = next === undefined ? {} : { ...(next as Record<string, unknown>) };
    Object.defineProperty(node, k, { value: copy, enumerable: true, writable: true, configurable: true });
    node = copy;
  }
  Object.defineProperty(node, keys[keys.length - 1]!, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return true;
}

/**
 * The row with the template fields and the entities not already set.
 * @param row - the row as prepared from the decoder (not changed)
 * @returns a new row; its `ecs` shares no changed object with `row.ecs`
 */
export function enrichRow(row: NewEvent, match: TemplateMatch, entities: Entities): NewEvent {
  const ecs: Record<string, unknown> = { ...row.ecs };
  const added: string[] = [];
  for (const field of Object.keys(entities).sort()) {
    if (has(ecs, field)) continue;
    if (put(ecs, field, entities[field])) added.push(field);
  }
  const parameters = match.parameters
    .slice(0, MAX_PARAMETERS)
    .map((p) => (p.length > MAX_PARAMETER_CHARS ? p.slice(0, MAX_PARAMETER_CHARS) : p));
  const template: Record<string, unknown> = { id: match.templateId, text: match.template, parameters };
  if (added.length > 0) template.entities = added;
  put(ecs, 'vigil.template', template);
  return { ...row, ecs };
}

/** The template id `enrichRow` stored in an event's ECS document, if any. */
export function templateIdOf(ecs: Readonly<Record<string, unknown>>): number | undefined {
  const vigil = ecs.vigil;
  if (typeof vigil !== 'object' || vigil === null) return undefined;
  const t = (vigil as Record<string, unknown>).template;
  if (typeof t !== 'object' || t === null) return undefined;
  const id = (t as Record<string, unknown>).id;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : undefined;
}

/** `host.name` of an ECS document cut to {@link MAX_HOST_CHARS} characters, `''` when absent. */
export function hostOf(ecs: Readonly<Record<string, unknown>>): string {
  const host = ecs.host;
  if (typeof host !== 'object' || host === null) return '';
  const name = (host as Record<string, unknown>).name;
  if (typeof name !== 'string') return '';
  // Code points, as PostgreSQL's left() in `rebuildCounts` counts them.
  return name.length <= MAX_HOST_CHARS ? name : [...name].slice(0, MAX_HOST_CHARS).join('');
}
