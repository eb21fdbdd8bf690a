// Text the API takes must come back exactly as it was sent, on both back ends.
// - JSON text may spell a lone UTF-16 surrogate ("\ud800"), which is not Unicode text:
//   PostgreSQL's json input rejects it and UTF-8 text columns would silently store U+FFFD.
// - A value that begins with U+FEFF (a byte order mark) is stored, but the embedded database's
//   driver drops a leading BOM from every text value it returns, so it would be shown without it
//   and a ?name= filter copied from what is shown would not find it.
// A request body holding either is refused at the edge, before it can be stored or changed.
const LONE_SURROGATE = /\p{Cs}/u;
const BOM = '\ufeff';

/** What in `value` (keys and values at any depth) is not text the API keeps as sent; null when nothing. */
export function malformedText(value: unknown): string | null {
  // Iterative: a parsed body may nest deeper than the call stack allows.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return 'text that is not valid Unicode (a lone surrogate)';
      if (v.startsWith(BOM)) return 'a value that begins with U+FEFF (a byte order mark)';
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        if (LONE_SURROGATE.test(key)) return 'text that is not valid Unicode (a lone surrogate)';
        pending.push(child);
      }
    }
  }
  return null;
}
