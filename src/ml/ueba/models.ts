/**
 * The UEBA models the scorer uses: per entity type, the registry's active version (scored; alerts)
 * and shadow versions (scored and recorded; never alert), each parsed once into an Isolation
 * Forest with its feature encoder (cached by registry version id).
 */
import { IsolationForest } from '../../detect/anomaly/isolation-forest.js';
import { Encoder } from '../../detect/features/table.js';
import type { ModelFile } from '../../detect/model-file.js';
import type { EntityType } from '../../detect/ueba/entities.js';
import { MODEL_INPUT } from '../../detect/ueba/features.js';
import type { ActiveModels, ModelVersion } from '../types.js';

/** Registry name of the UEBA model of an entity type: `ueba-user`, `ueba-host`, `ueba-ip`. */
export function uebaModelName(type: EntityType): string {
  return `ueba-${type}`;
}

/** A live model version ready to score. */
export interface LoadedModel {
  readonly version: ModelVersion;
  readonly forest: IsolationForest;
  readonly encoder: Encoder;
}

export class UebaModels {
  private readonly cache = new Map<number, LoadedModel | null>();

  /**
   * @param registry - the live versions (`ModelRegistry`)
   * @param onInvalid - told once about a version whose file is not a usable isolation forest
   */
  constructor(
    private readonly registry: ActiveModels,
    private readonly onInvalid: (version: ModelVersion, err: Error) => void = () => undefined,
  ) {
    registry.onChange(() => this.prune());
  }

  private load(version: ModelVersion, file: ModelFile): LoadedModel | undefined {
    const hit = this.cache.get(version.id);
    if (hit !== undefined) return hit ?? undefined;
    try {
      if (file.kind !== 'isolation-forest') throw new Error(`a ${file.kind} model cannot score UEBA windows`);
      if (file.params.input !== MODEL_INPUT)
        throw new Error(
          `trained with input scaling ${String(file.params.input)}, not ${MODEL_INPUT}: retrain it`,
        );
      const forest = IsolationForest.fromJSON(file.model);
      const loaded: LoadedModel = { version, forest, encoder: new Encoder(forest.schema) };
      this.cache.set(version.id, loaded);
      return loaded;
    } catch (err) {
      this.cache.set(version.id, null);
      this.onInvalid(version, err as Error);
      return undefined;
    }
  }

  /** The active model of an entity type (undefined: cold start, nothing alerts). */
  active(type: EntityType): LoadedModel | undefined {
    const a = this.registry.active(uebaModelName(type));
    return a ? this.load(a.version, a.file) : undefined;
  }

  /** The shadow models of an entity type. */
  shadows(type: EntityType): LoadedModel[] {
    const out: LoadedModel[] = [];
    for (const s of this.registry.shadows(uebaModelName(type))) {
      const m = this.load(s.version, s.file);
      if (m) out.push(m);
    }
    return out;
  }

  /** Drops cached versions no longer live. */
  private prune(): void {
    const live = new Set<number>();
    for (const type of ['user', 'host', 'ip'] as const) {
      const name = uebaModelName(type);
      const a = this.registry.active(name);
      if (a) live.add(a.version.id);
      for (const s of this.registry.shadows(name)) live.add(s.version.id);
    }
    for (const id of this.cache.keys()) if (!live.has(id)) this.cache.delete(id);
  }
}
