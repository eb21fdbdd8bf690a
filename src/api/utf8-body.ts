// A request body that is not valid UTF-8 is refused (400) rather than decoded with U+FFFD in
// place of the bad bytes, which would store a string the caller never sent. The bytes pass
// through unchanged; the check runs as they stream in, before the JSON parser sees them.
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidInput } from '../errors.ts';

const notUtf8 = () => new InvalidInput('Invalid input: the request body is not valid UTF-8.');

export function utf8Checked<S extends NodeJS.ReadableStream>(payload: S): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const checked = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      try {
        // stream: true keeps a sequence split across chunks for the next one.
        decoder.decode(chunk, { stream: true });
      } catch {
        return done(notUtf8());
      }
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      try {
        decoder.decode();
      } catch {
        return done(notUtf8());
      }
      done();
    },
  });
  payload.on('error', (err) => checked.destroy(err));
  return payload.pipe(checked);
}
