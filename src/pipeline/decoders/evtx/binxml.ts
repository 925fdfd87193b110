/**
 * Binary XML reader: the token stream of an EVTX record (libevtx, "Windows XML Event Log (EVTX)
 * format", section "Binary XML"; Microsoft's [MS-EVEN6] section 2.2.12 "BinXml") read into a small
 * node tree. Templates are parsed once per chunk and shared by every record that instantiates them;
 * names and template definitions are chunk-relative offsets, written inline at their first use and
 * referenced afterwards.
 *
 * Tokens (low nibble; 0x40 on 0x01/0x05/0x06/0x07/0x08/0x09 is the "more data" flag):
 * 0x00 end of fragment, 0x01 open start element, 0x02 close start element, 0x03 close empty element,
 * 0x04 end element, 0x05 value, 0x06 attribute, 0x07 CDATA section, 0x08 character reference,
 * 0x09 entity reference, 0x0a/0x0b processing instruction target/data, 0x0c template instance,
 * 0x0d normal substitution, 0x0e optional substitution, 0x0f fragment header.
 */
import { type EvtxValue, EvtxValueError, readValue, utf16String, VALUE_TYPE } from './values.js';

/** Thrown for Binary XML that cannot be read; carries the chunk-relative offset when known. */
export class BinXmlError extends Error {
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(offset === undefined ? message : `${message} at chunk offset 0x${offset.toString(16)}`);
    this.name = 'BinXmlError';
    this.offset = offset;
  }
}

export const enum NodeKind {
  Element = 0,
  Text = 1,
  Substitution = 2,
  Template = 3,
}

export interface ElementNode {
  readonly kind: NodeKind.Element;
  readonly name: string;
  readonly attrs: readonly AttributeNode[];
  readonly children: readonly ContentNode[];
}
export interface TextNode {
  readonly kind: NodeKind.Text;
  readonly text: string;
}
export interface SubstitutionNode {
  readonly kind: NodeKind.Substitution;
  readonly index: number;
  readonly optional: boolean;
}
/** A template instance met inside content (rare): rendered in place. */
export interface TemplateNode {
  readonly kind: NodeKind.Template;
  readonly fragment: Fragment;
}
export type ContentNode = ElementNode | TextNode | SubstitutionNode | TemplateNode;
export interface AttributeNode {
  readonly name: string;
  readonly value: readonly ContentNode[];
}

/** A substitution value: a rendered scalar or array, or a nested Binary XML fragment. */
export type SubstitutionValue = EvtxValue | Fragment;

/** Parsed Binary XML: nodes (a template's body or plain elements) and the values they refer to. */
export interface Fragment {
  readonly nodes: readonly ContentNode[];
  readonly values: readonly SubstitutionValue[];
}

/** True for a nested fragment (as opposed to a rendered value). */
export function isFragment(v: SubstitutionValue): v is Fragment {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Template {
  readonly guid: string;
  readonly nodes: readonly ContentNode[];
  /** Chunk offset just past the definition (where a resident definition's record continues). */
  readonly end: number;
}

const MAX_DEPTH = 32;
const MAX_SUBSTITUTIONS = 8192;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const EMPTY: readonly never[] = [];
const IN_PROGRESS: Template = { guid: '', nodes: EMPTY, end: 0 };

/** A template definition that failed to parse: later references fail at once, without re-parsing. */
interface FailedTemplate {
  readonly failed: string;
}

/**
 * Reads the Binary XML of one chunk. Create one per chunk: names and templates are cached by their
 * chunk-relative offset.
 */
export class ChunkBinXml {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly names = new Map<number, string>();
  private readonly templates = new Map<number, Template | FailedTemplate>();

  /** @param bytes the chunk (up to 65,536 bytes; offsets inside are relative to its start) */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * Reads a record's Binary XML in `[start, end)`.
   * @throws BinXmlError on a token or structure that cannot be read
   */
  readRecord(start: number, end: number): Fragment {
    return this.fragment(start, end, 0);
  }

  private u8(o: number, end: number): number {
    if (o >= end) throw new BinXmlError('unexpected end of data', o);
    return this.bytes[o]!;
  }
  private u16(o: number, end: number): number {
    if (o + 2 > end) throw new BinXmlError('unexpected end of data', o);
    return this.view.getUint16(o, true);
  }
  private u32(o: number, end: number): number {
    if (o + 4 > end) throw new BinXmlError('unexpected end of data', o);
    return this.view.getUint32(o, true);
  }

  /** A fragment: optional header, then a template instance (with its values) or elements. */
  private fragment(start: number, end: number, depth: number): Fragment {
    if (depth > MAX_DEPTH) throw new BinXmlError('Binary XML nested too deep', start);
    let pos = start;
    const nodes: ContentNode[] = [];
    while (pos < end) {
      const token = this.bytes[pos]!;
      switch (token & 0x0f) {
        case 0x00:
          return { nodes, values: EMPTY };
        case 0x0f:
          pos += 4;
          break;
        case 0x0c: {
          if (nodes.length > 0) {
            const t = this.templateInstance(pos, end, depth);
            nodes.push({ kind: NodeKind.Template, fragment: t.fragment });
            pos = t.next;
            break;
          }
          return this.templateInstance(pos, end, depth).fragment;
        }
        case 0x01: {
          const e = this.element(pos, end, depth);
          nodes.push(e.node);
          pos = e.next;
          break;
        }
        default:
          throw new BinXmlError(`unexpected token 0x${token.toString(16)} in a fragment`, pos);
      }
    }
    return { nodes, values: EMPTY };
  }

  /** A template instance at `pos` and its substitution array. */
  private templateInstance(pos: number, end: number, depth: number): { fragment: Fragment; next: number } {
    const defOffset = this.u32(pos + 6, end);
    let next = pos + 10;
    let template = this.templates.get(defOffset);
    if (template === IN_PROGRESS) throw new BinXmlError('template refers to itself', pos);
    if (template !== undefined && 'failed' in template)
      throw new BinXmlError(
        `template at 0x${defOffset.toString(16)} is unreadable (${template.failed})`,
        pos,
      );
    if (template === undefined) template = this.template(defOffset, depth);
    if (defOffset >= next) next = Math.max(next, template.end);
    const { values, next: after } = this.substitutions(next, end, depth);
    return { fragment: { nodes: template.nodes, values }, next: after };
  }

  /** A template definition: next offset (4), GUID (16), data size (4), then a fragment. */
  private template(offset: number, depth: number): Template {
    const limit = this.bytes.length;
    if (offset < 512 || offset + 24 > limit)
      throw new BinXmlError('template definition outside the chunk', offset);
    const size = this.u32(offset + 20, limit);
    const bodyEnd = offset + 24 + size;
    if (bodyEnd > limit) throw new BinXmlError('template definition runs past the chunk', offset);
    const g = readValue(this.bytes, this.view, offset + 4, 16, VALUE_TYPE.GUID) as string;
    this.templates.set(offset, IN_PROGRESS);
    try {
      const body = this.fragment(offset + 24, bodyEnd, depth + 1);
      const template: Template = { guid: g, nodes: body.nodes, end: bodyEnd };
      this.templates.set(offset, template);
      return template;
    } catch (e) {
      this.templates.set(offset, { failed: e instanceof Error ? e.message : String(e) });
      throw e;
    }
  }

  /** Substitution array: count (4), descriptors {size (2), type (1), 0 (1)}, values back to back. */
  private substitutions(
    pos: number,
    end: number,
    depth: number,
  ): { values: SubstitutionValue[]; next: number } {
    const count = this.u32(pos, end);
    if (count > MAX_SUBSTITUTIONS || pos + 4 + count * 4 > end)
      throw new BinXmlError(`substitution array of ${count} values does not fit the record`, pos);
    let o = pos + 4 + count * 4;
    const values: SubstitutionValue[] = new Array<SubstitutionValue>(count);
    for (let i = 0; i < count; i++) {
      const d = pos + 4 + i * 4;
      const size = this.view.getUint16(d, true);
      const type = this.bytes[d + 2]!;
      if (o + size > end) throw new BinXmlError(`substitution ${i} (${size} bytes) runs past the record`, o);
      if (type === VALUE_TYPE.BINXML) {
        values[i] = size === 0 ? null : this.fragment(o, o + size, depth + 1);
      } else {
        try {
          values[i] = readValue(this.bytes, this.view, o, size, type);
        } catch (e) {
          if (e instanceof EvtxValueError) throw new BinXmlError(`substitution ${i}: ${e.message}`, o);
          throw e;
        }
      }
      o += size;
    }
    return { values, next: o };
  }

  /** A name structure: next offset (4), hash (2), character count (2), UTF-16LE, NUL (2). */
  private name(offset: number): { name: string; size: number } {
    const cached = this.names.get(offset);
    if (cached !== undefined) return { name: cached, size: 10 + cached.length * 2 };
    const limit = this.bytes.length;
    if (offset + 8 > limit) throw new BinXmlError('name outside the chunk', offset);
    const chars = this.view.getUint16(offset + 6, true);
    if (offset + 8 + chars * 2 > limit) throw new BinXmlError('name runs past the chunk', offset);
    const name = utf16String(this.bytes, offset + 8, chars * 2);
    this.names.set(offset, name);
    return { name, size: 10 + chars * 2 };
  }

  /** A name reference at `pos`: an offset, with the name inline right after it at first use. */
  private nameRef(pos: number, end: number): { name: string; next: number } {
    const offset = this.u32(pos, end);
    const next = pos + 4;
    const { name, size } = this.name(offset);
    return { name, next: offset === next ? next + size : next };
  }

  /**
   * Open start element: token (1), dependency identifier (2), data size (4), name reference,
   * attribute list size (4) when the token has 0x40. Some writers leave the dependency identifier
   * out (libevtx notes it); the layout whose name reference is plausible is taken.
   */
  private element(pos: number, end: number, depth: number): { node: ElementNode; next: number } {
    if (depth > MAX_DEPTH) throw new BinXmlError('elements nested too deep', pos);
    const token = this.bytes[pos]!;
    let namePos = pos + 7;
    if (!this.plausibleName(namePos, end)) {
      if (this.plausibleName(pos + 5, end)) namePos = pos + 5;
    }
    const ref = this.nameRef(namePos, end);
    let p = ref.next;
    if (token & 0x40) p += 4; // attribute list size
    const attrs: AttributeNode[] = [];
    for (;;) {
      const t = this.u8(p, end);
      if ((t & 0x0f) !== 0x06) break;
      const an = this.nameRef(p + 1, end);
      const value = this.attributeValue(an.next, end, depth);
      attrs.push({ name: an.name, value: value.nodes });
      p = value.next;
    }
    const close = this.u8(p, end);
    if (close === 0x03)
      return { node: { kind: NodeKind.Element, name: ref.name, attrs, children: EMPTY }, next: p + 1 };
    if (close !== 0x02)
      throw new BinXmlError(`expected the end of a start tag, found token 0x${close.toString(16)}`, p);
    const children: ContentNode[] = [];
    p++;
    for (;;) {
      const t = this.u8(p, end);
      const low = t & 0x0f;
      if (low === 0x04)
        return { node: { kind: NodeKind.Element, name: ref.name, attrs, children }, next: p + 1 };
      if (low === 0x00) throw new BinXmlError(`element <${ref.name}> not closed`, p);
      if (low === 0x01) {
        const e = this.element(p, end, depth + 1);
        children.push(e.node);
        p = e.next;
      } else if (low === 0x0c) {
        const ti = this.templateInstance(p, end, depth + 1);
        children.push({ kind: NodeKind.Template, fragment: ti.fragment });
        p = ti.next;
      } else if (low === 0x0a) {
        p = this.nameRef(p + 1, end).next; // processing instruction target: not rendered
      } else if (low === 0x0b) {
        p += 3 + this.u16(p + 1, end) * 2; // processing instruction data
      } else {
        const c = this.contentToken(p, end);
        if (c.node !== undefined) children.push(c.node);
        p = c.next;
      }
    }
  }

  private plausibleName(namePos: number, end: number): boolean {
    if (namePos + 4 > end) return false;
    const offset = this.view.getUint32(namePos, true);
    if (offset === namePos + 4) return true;
    if (this.names.has(offset)) return true;
    return false;
  }

  /** Value tokens of an attribute until the next attribute or the end of the start tag. */
  private attributeValue(pos: number, end: number, depth: number): { nodes: ContentNode[]; next: number } {
    const nodes: ContentNode[] = [];
    let p = pos;
    for (;;) {
      const t = this.u8(p, end) & 0x0f;
      if (t === 0x06 || t === 0x02 || t === 0x03) return { nodes, next: p };
      if (t === 0x0c) {
        const ti = this.templateInstance(p, end, depth + 1);
        nodes.push({ kind: NodeKind.Template, fragment: ti.fragment });
        p = ti.next;
        continue;
      }
      const c = this.contentToken(p, end);
      if (c.node !== undefined) nodes.push(c.node);
      p = c.next;
    }
  }

  /** Value, CDATA, character or entity reference, or substitution at `p`. */
  private contentToken(p: number, end: number): { node: ContentNode | undefined; next: number } {
    const t = this.bytes[p]!;
    switch (t & 0x0f) {
      case 0x05: {
        const type = this.u8(p + 1, end);
        if (type === VALUE_TYPE.STRING) {
          const chars = this.u16(p + 2, end);
          const next = p + 4 + chars * 2;
          if (next > end) throw new BinXmlError('value runs past the record', p);
          return { node: { kind: NodeKind.Text, text: utf16String(this.bytes, p + 4, chars * 2) }, next };
        }
        throw new BinXmlError(`value token of type 0x${type.toString(16)}`, p);
      }
      case 0x07: {
        const chars = this.u16(p + 1, end);
        const next = p + 3 + chars * 2;
        if (next > end) throw new BinXmlError('CDATA runs past the record', p);
        return { node: { kind: NodeKind.Text, text: utf16String(this.bytes, p + 3, chars * 2) }, next };
      }
      case 0x08:
        return {
          node: { kind: NodeKind.Text, text: String.fromCharCode(this.u16(p + 1, end)) },
          next: p + 3,
        };
      case 0x09: {
        const ref = this.nameRef(p + 1, end);
        return { node: { kind: NodeKind.Text, text: ENTITIES[ref.name] ?? `&${ref.name};` }, next: ref.next };
      }
      case 0x0d:
      case 0x0e:
        return {
          node: { kind: NodeKind.Substitution, index: this.u16(p + 1, end), optional: (t & 0x0f) === 0x0e },
          next: p + 4,
        };
      default:
        throw new BinXmlError(`unexpected token 0x${t.toString(16)}`, p);
    }
  }
}
