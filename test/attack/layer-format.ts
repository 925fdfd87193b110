/**
 * A checker of the ATT&CK Navigator layer file format v4.5, written from the format's text
 * (`../shared/data/specs/attack-navigator/layerformat-v4.5.md`, mitre-attack/attack-navigator
 * `5f3c6ad`), independently of Vigil's own schema (`src/attack/layer-schema.ts`), so a layer Vigil
 * writes is tested against the format and not against itself.
 *
 * It checks what the format's tables state: the required properties, every property's type, and
 * the stated values (domain "enterprise-attack" | "mobile-attack" | "ics-attack"; versions.layer
 * "4.5"; versions.navigator at least "4.9.0"; sorting 0-3; gradient with ≥ 2 colours and
 * maxValue > minValue; layout enumerations; link URLs with a protocol). Unknown properties are
 * not errors (the format does not forbid them).
 */

type Json = unknown;

const DOMAINS = ['enterprise-attack', 'mobile-attack', 'ics-attack'];

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Checker {
  readonly problems: string[] = [];

  private type(path: string, v: Json, type: 'string' | 'number' | 'boolean'): boolean {
    const ok = type === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === type;
    if (!ok) this.problems.push(`${path}: expected ${type}, got ${JSON.stringify(v)}`);
    return ok;
  }

  /** Checks the optional properties present in `o` against their types. */
  private optional(
    path: string,
    o: Record<string, Json>,
    types: Record<string, 'string' | 'number' | 'boolean'>,
  ): void {
    for (const [k, t] of Object.entries(types)) if (k in o) this.type(`${path}.${k}`, o[k], t);
  }

  private required(
    path: string,
    o: Record<string, Json>,
    types: Record<string, 'string' | 'number' | 'boolean'>,
  ): boolean {
    let ok = true;
    for (const [k, t] of Object.entries(types)) {
      if (!(k in o)) {
        this.problems.push(`${path}.${k}: required`);
        ok = false;
      } else ok = this.type(`${path}.${k}`, o[k], t) && ok;
    }
    return ok;
  }

  private array(path: string, v: Json, each: (path: string, item: Json) => void): void {
    if (!Array.isArray(v)) {
      this.problems.push(`${path}: expected an array`);
      return;
    }
    v.forEach((item, i) => each(`${path}[${i}]`, item));
  }

  private object(path: string, v: Json): v is Record<string, Json> {
    if (isObject(v)) return true;
    this.problems.push(`${path}: expected an object`);
    return false;
  }

  private oneOf(path: string, v: Json, values: readonly Json[]): void {
    if (!values.includes(v))
      this.problems.push(
        `${path}: ${JSON.stringify(v)} is not one of ${values.map((x) => JSON.stringify(x)).join(', ')}`,
      );
  }

  /** Metadata objects and Divider objects. */
  private metadata(path: string, v: Json): void {
    this.array(path, v, (p, item) => {
      if (!this.object(p, item)) return;
      if ('divider' in item) this.required(p, item, { divider: 'boolean' });
      else this.required(p, item, { name: 'string', value: 'string' });
    });
  }

  /** Link objects and Divider objects. */
  private links(path: string, v: Json): void {
    this.array(path, v, (p, item) => {
      if (!this.object(p, item)) return;
      if ('divider' in item) this.required(p, item, { divider: 'boolean' });
      else if (
        this.required(p, item, { label: 'string', url: 'string' }) &&
        !/^[a-z][a-z0-9+.-]*:\/\//i.test(String(item.url))
      )
        this.problems.push(`${p}.url: must be prefixed with a protocol identifier`);
    });
  }

  private technique(path: string, t: Json): void {
    if (!this.object(path, t)) return;
    if (
      this.required(path, t, { techniqueID: 'string' }) &&
      !/^T\d{4}(\.\d{3})?$/.test(String(t.techniqueID))
    )
      this.problems.push(`${path}.techniqueID: ${JSON.stringify(t.techniqueID)} is not T#### or T####.###`);
    this.optional(path, t, {
      tactic: 'string',
      comment: 'string',
      enabled: 'boolean',
      score: 'number',
      color: 'string',
      showSubtechniques: 'boolean',
    });
    if ('metadata' in t) this.metadata(`${path}.metadata`, t.metadata);
    if ('links' in t) this.links(`${path}.links`, t.links);
  }

  layer(path: string, l: Json): void {
    if (!this.object(path, l)) return;
    if (this.required(path, l, { name: 'string', domain: 'string' }))
      this.oneOf(`${path}.domain`, l.domain, DOMAINS);
    if ('versions' in l && this.object(`${path}.versions`, l.versions)) {
      const v = l.versions;
      this.optional(`${path}.versions`, v, { attack: 'string' });
      if (this.required(`${path}.versions`, v, { navigator: 'string', layer: 'string' })) {
        this.oneOf(`${path}.versions.layer`, v.layer, ['4.5']);
        const [major = 0, minor = 0] = String(v.navigator).split('.').map(Number);
        if (!(major > 4 || (major === 4 && minor >= 9)))
          this.problems.push(
            `${path}.versions.navigator: ${JSON.stringify(v.navigator)} is not at least "4.9.0"`,
          );
      }
    }
    this.optional(path, l, {
      description: 'string',
      customDataURL: 'string',
      sorting: 'number',
      hideDisabled: 'boolean',
      showTacticRowBackground: 'boolean',
      tacticRowBackground: 'string',
      selectTechniquesAcrossTactics: 'boolean',
      selectSubtechniquesWithParent: 'boolean',
      selectVisibleTechniques: 'boolean',
    });
    if ('sorting' in l) this.oneOf(`${path}.sorting`, l.sorting, [0, 1, 2, 3]);
    if ('filters' in l && this.object(`${path}.filters`, l.filters) && 'platforms' in l.filters)
      this.array(`${path}.filters.platforms`, l.filters.platforms, (p, x) => this.type(p, x, 'string'));
    if ('layout' in l && this.object(`${path}.layout`, l.layout)) {
      const lay = l.layout;
      this.optional(`${path}.layout`, lay, {
        layout: 'string',
        showID: 'boolean',
        showName: 'boolean',
        showAggregateScores: 'boolean',
        countUnscored: 'boolean',
        aggregateFunction: 'string',
        expandedSubtechniques: 'string',
      });
      if ('layout' in lay) this.oneOf(`${path}.layout.layout`, lay.layout, ['side', 'flat', 'mini']);
      if ('aggregateFunction' in lay)
        this.oneOf(`${path}.layout.aggregateFunction`, lay.aggregateFunction, [
          'average',
          'min',
          'max',
          'sum',
        ]);
      if ('expandedSubtechniques' in lay)
        this.oneOf(`${path}.layout.expandedSubtechniques`, lay.expandedSubtechniques, [
          'none',
          'all',
          'annotated',
        ]);
    }
    if ('techniques' in l) this.array(`${path}.techniques`, l.techniques, (p, t) => this.technique(p, t));
    if ('gradient' in l && this.object(`${path}.gradient`, l.gradient)) {
      const g = l.gradient;
      if (
        this.required(`${path}.gradient`, g, { minValue: 'number', maxValue: 'number' }) &&
        !(Number(g.maxValue) > Number(g.minValue))
      )
        this.problems.push(`${path}.gradient.maxValue: must be > minValue`);
      if (!('colors' in g)) this.problems.push(`${path}.gradient.colors: required`);
      else {
        this.array(`${path}.gradient.colors`, g.colors, (p, c) => this.type(p, c, 'string'));
        if (Array.isArray(g.colors) && g.colors.length < 2)
          this.problems.push(`${path}.gradient.colors: at least two values`);
      }
    }
    if ('legendItems' in l)
      this.array(`${path}.legendItems`, l.legendItems, (p, item) => {
        if (this.object(p, item)) this.required(p, item, { label: 'string', color: 'string' });
      });
    if ('metadata' in l) this.metadata(`${path}.metadata`, l.metadata);
    if ('links' in l) this.links(`${path}.links`, l.links);
  }
}

/**
 * Checks a layer file's JSON: one layer, or a list of layers (the format's multi-layer file).
 * @returns the problems found, `path: what` (empty when the value follows the format)
 */
export function checkLayerFormat(value: unknown): string[] {
  const c = new Checker();
  if (Array.isArray(value)) value.forEach((l, i) => c.layer(`$[${i}]`, l));
  else c.layer('$', value);
  return c.problems;
}
