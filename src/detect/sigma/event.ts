/**
 * A plain-object implementation of {@link SigmaEvent}, for library users and tests: fields are
 * looked up by exact name, then case-insensitively (Windows and SigmaHQ disagree on the case of a
 * few names, e.g. `ProcessGUID`/`ProcessGuid`).
 */
import type { EventLogSource, FieldValue, SigmaEvent } from './types.js';

const logsourceCache = new Map<string, EventLogSource>();

/**
 * Builds (and interns) an event logsource.
 * @param product - e.g. `windows`
 * @param services - e.g. `['sysmon']`
 * @param categories - e.g. `['process_creation']`
 */
export function eventLogSource(
  product: string | undefined,
  services: readonly string[] = [],
  categories: readonly string[] = [],
): EventLogSource {
  const key = `${product ?? ''}|${services.join(',')}|${categories.join(',')}`;
  let ls = logsourceCache.get(key);
  if (!ls) {
    ls = Object.freeze({
      product,
      services: Object.freeze([...services]),
      categories: Object.freeze([...categories]),
      key,
    });
    logsourceCache.set(key, ls);
  }
  return ls;
}

/** Looks a field up by exact name, then by case-insensitive name. */
export function lookupField(
  fields: Readonly<Record<string, FieldValue>>,
  name: string,
): FieldValue | undefined {
  const v = fields[name];
  if (v !== undefined || Object.hasOwn(fields, name)) return v;
  const lower = name.toLowerCase();
  for (const key in fields) {
    if (key.length === name.length && key.toLowerCase() === lower) return fields[key];
  }
  return undefined;
}

/** Collects the leaf values of a flat field map (arrays flattened by the matcher). */
export function leafValues(fields: Readonly<Record<string, FieldValue>>): FieldValue[] {
  const out: FieldValue[] = [];
  for (const key in fields) {
    const v = fields[key];
    if (v !== undefined && v !== null) out.push(v);
  }
  return out;
}

/**
 * Wraps a flat field map as a Sigma event.
 * @param fields - Sigma-taxonomy field name → value
 * @param logsource - the event's logsource
 */
export function createEvent(
  fields: Readonly<Record<string, FieldValue>>,
  logsource: EventLogSource,
): SigmaEvent {
  let keywords: FieldValue[] | undefined;
  return {
    logsource,
    get: (name) => lookupField(fields, name),
    keywordValues: () => (keywords ??= leafValues(fields)),
  };
}
