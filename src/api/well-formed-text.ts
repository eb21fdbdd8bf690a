// JSON text may spell a lone UTF-16 surrogate ("\ud800"), which is not Unicode text: PostgreSQL's
// json input rejects it and UTF-8 text columns would silently store U+FFFD instead. A request
// body holding one is refused at the edge, before it can fail in the database or be changed.
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether any string in `value`, key or value at any depth, holds a lone surrogate. */
export function hasLoneSurrogate(value: unknown): boolean {
  // Iterative: a parsed body may nest deeper than the call stack allows.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return true;
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        if (LONE_SURROGATE.test(key)) return true;
        pending.push(child);
      }
    }
  }
  return false;
}
