/**
 * Binary XML node tree + substitution values → the evtx-to-JSON shape the engine maps
 * (evtx_dump's JSON output, also what `../shared` converted with python-evtx):
 * - an element with only text → its value (`"EventID": 4624`); with nothing, or an empty string,
 *   → `null` (XML has no empty-string/null distinction: `<Data Name="StartModule" />`; every
 *   evtx-to-JSON converter writes null, and SigmaHQ rules test such fields with both `null` and `''`);
 * - attributes under `#attributes`, text beside them under `#text`
 *   (`"EventID": {"#attributes": {"Qualifiers": 0}, "#text": 600}`);
 * - child elements by name, repeated names as arrays;
 * - `<Data Name="X">v</Data>` → `"X": v` (EventData's named values);
 * - an optional substitution whose value is null drops its attribute; a nested Binary XML value
 *   renders as child elements in place.
 */
import {
  BinXmlError,
  type ContentNode,
  type ElementNode,
  type Fragment,
  isFragment,
  NodeKind,
  type SubstitutionValue,
} from './binxml.js';
import type { EvtxScalar, EvtxValue } from './values.js';

/** A JSON value as rendered: scalars, arrays and objects. */
export type EvtxJson = EvtxScalar | readonly EvtxJson[] | { [key: string]: EvtxJson };
type JsonObject = { [key: string]: EvtxJson };

const MAX_RENDER_DEPTH = 64;
/**
 * Most nodes one record may expand to. Templates can nest (a template instance inside a template),
 * so hostile input could expand exponentially; real records render a few hundred nodes.
 */
export const MAX_RENDER_NODES = 100_000;
/**
 * Most characters of text one record may render. A 64 KiB record holds at most ~32k characters
 * once; a template repeating one substitution thousands of times would render megabytes.
 */
export const MAX_RENDER_CHARS = 1_000_000;
let budget = 0;
let chars = 0;

/** Counts a value's characters against the record's text budget. */
function spend(v: EvtxValue): void {
  chars -= typeof v === 'string' ? v.length : Array.isArray(v) ? v.length * 8 : 8;
  if (chars < 0) throw new BinXmlError(`record renders more than ${MAX_RENDER_CHARS} characters`);
}

function object(): JsonObject {
  return {};
}

/** Sets an own property, `__proto__` included (an element or Data name is data, never a prototype). */
function put(obj: JsonObject, key: string, value: EvtxJson): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/**
 * Renders a record's fragment: `{"Event": {...}}` for a Windows event.
 * Any element or Data name is an ordinary own key (`__proto__` and `constructor` included).
 * @throws BinXmlError when the record expands beyond {@link MAX_RENDER_NODES} nodes or
 *   {@link MAX_RENDER_CHARS} characters
 */
export function renderFragment(fragment: Fragment): JsonObject {
  const out = object();
  const texts: EvtxValue[] = [];
  budget = MAX_RENDER_NODES;
  chars = MAX_RENDER_CHARS;
  collect(fragment.nodes, fragment.values, out, texts, 0);
  return out;
}

function addChild(out: JsonObject, key: string, value: EvtxJson): void {
  if (!Object.hasOwn(out, key)) {
    put(out, key, value);
    return;
  }
  const prev = out[key]!;
  if (Array.isArray(prev) && multi.has(prev)) (prev as EvtxJson[]).push(value);
  else {
    const list: EvtxJson[] = [prev, value];
    multi.add(list);
    put(out, key, list);
  }
}
/** Arrays made by repeated element names (as opposed to array values), so a third repeat appends. */
const multi = new WeakSet<readonly EvtxJson[]>();

/** Walks content: elements go to `out` by name, text and values to `texts`. */
function collect(
  nodes: readonly ContentNode[],
  values: readonly SubstitutionValue[],
  out: JsonObject,
  texts: EvtxValue[],
  depth: number,
): void {
  if (depth > MAX_RENDER_DEPTH) throw new BinXmlError('record nested too deep to render');
  budget -= nodes.length;
  if (budget < 0) throw new BinXmlError(`record expands beyond ${MAX_RENDER_NODES} nodes`);
  for (const node of nodes) {
    switch (node.kind) {
      case NodeKind.Element:
        addElement(node, values, out, depth);
        break;
      case NodeKind.Text:
        spend(node.text);
        texts.push(node.text);
        break;
      case NodeKind.Substitution: {
        const v = values[node.index];
        if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) break;
        if (isFragment(v)) collect(v.nodes, v.values, out, texts, depth + 1);
        else {
          spend(v);
          texts.push(v);
        }
        break;
      }
      case NodeKind.Template:
        collect(node.fragment.nodes, node.fragment.values, out, texts, depth + 1);
        break;
    }
  }
}

function addElement(
  el: ElementNode,
  values: readonly SubstitutionValue[],
  out: JsonObject,
  depth: number,
): void {
  let attrs: JsonObject | undefined;
  let dataName: string | undefined;
  for (const a of el.attrs) {
    const v = attributeValue(a.value, values, depth);
    if (v === undefined) continue;
    if (a.name === 'Name' && el.name === 'Data' && typeof v === 'string') dataName = v;
    put((attrs ??= object()), a.name, v);
  }
  const children = object();
  const texts: EvtxValue[] = [];
  collect(el.children, values, children, texts, depth + 1);
  const text = joinText(texts);
  let hasChildren = false;
  for (const _ in children) {
    hasChildren = true;
    break;
  }
  if (dataName !== undefined && !hasChildren) {
    // <Data Name="X">v</Data> → "X": v; other attributes of a named Data element are dropped.
    addChild(out, dataName, text);
    return;
  }
  if (!hasChildren && attrs === undefined) {
    addChild(out, el.name, text);
    return;
  }
  const obj = object();
  if (attrs !== undefined) obj['#attributes'] = attrs;
  if (hasChildren) for (const k of Object.keys(children)) put(obj, k, children[k]!);
  if (text !== null) obj['#text'] = text;
  addChild(out, el.name, obj);
}

/** An attribute's value; `undefined` when it is only null substitutions (the attribute is left out). */
function attributeValue(
  nodes: readonly ContentNode[],
  values: readonly SubstitutionValue[],
  depth: number,
): EvtxJson | undefined {
  if (nodes.length === 1 && nodes[0]!.kind === NodeKind.Substitution) {
    const v = values[nodes[0]!.index];
    if (v === undefined || v === null) return undefined;
    if (!isFragment(v)) {
      spend(v);
      return v;
    }
  }
  const texts: EvtxValue[] = [];
  const ignored = object();
  collect(nodes, values, ignored, texts, depth + 1);
  if (texts.length === 0) return nodes.length === 0 ? '' : undefined;
  return joinText(texts);
}

/** An element's text: one value keeps its type; several are concatenated; empty text is null. */
function joinText(texts: EvtxValue[]): EvtxJson {
  if (texts.length === 0) return null;
  if (texts.length === 1) return texts[0] === '' ? null : texts[0]!;
  let s = '';
  for (const t of texts) s += Array.isArray(t) ? t.join(',') : String(t);
  return s === '' ? null : s;
}
