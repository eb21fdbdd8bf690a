// Serialized objects kept between reads while the embedded database's data version stands
// still (src/db/data-version.ts): a show or list that nothing has written to since is answered
// without a query. Authorization is still judged on every request, from the cached owner.
// One cache per resource spec object, so a spec built per request never shares its entries.

/** Entries of one spec; all of them belong to one data version, and a new version drops them. */
class ReadCache<V> {
  #version = -1;
  readonly #entries = new Map<string, V>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, version: number): V | undefined {
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
      return undefined;
    }
    return this.#entries.get(key);
  }

  /** Keeps `value`, read at `version`, unless the data has moved on meanwhile. */
  set(key: string, version: number, value: V): void {
    if (version !== this.#version) return;
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, value);
  }
}

const MAX_ENTRIES = 2_000;
const caches = new WeakMap<object, ReadCache<unknown>>();

/** The cache of `owner` (a resource spec), typed by what the caller keeps in it. */
export function readCacheOf<V>(owner: object): ReadCache<V> {
  let cache = caches.get(owner);
  if (!cache) {
    cache = new ReadCache<unknown>(MAX_ENTRIES);
    caches.set(owner, cache);
  }
  return cache as ReadCache<V>;
}
