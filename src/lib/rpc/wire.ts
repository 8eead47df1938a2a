/**
 * Errors across the worker boundary, as data: comlink carries an Error's name and message only, so
 * both sides install this throw handler, which also carries its `code` (cancelled, device-lost,
 * invalid-input, …). No code rides in a name, and nobody reads a message with a regex.
 */
import * as Comlink from 'comlink';

interface WireError {
  message: string;
  name: string;
  code: string | null;
}

const isError = (v: unknown): v is Error => v instanceof Error;
const codeOf = (e: Error): string | null => {
  const code = (e as unknown as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
};

export function installWireErrors(): void {
  const builtin = Comlink.transferHandlers.get('throw') as Comlink.TransferHandler<unknown, unknown>;
  Comlink.transferHandlers.set('throw', {
    canHandle: (v: unknown): v is unknown => builtin.canHandle(v),
    serialize: (thrown: unknown) => {
      const value = (thrown as { value: unknown }).value;
      const wire: WireError | { plain: unknown } = isError(value)
        ? {
            message: value.message,
            name: value.name,
            code: codeOf(value),
          }
        : { plain: value };
      return [wire, []];
    },
    deserialize: (wire: unknown) => {
      const w = wire as WireError | { plain: unknown };
      if ('plain' in w) throw w.plain;
      throw Object.assign(new Error(w.message), { name: w.name, code: w.code ?? undefined });
    },
  });
}

/** A worker client's error: one of its codes, and the worker's sentence. */
export class WorkerClientError<C extends string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoryLoomError';
    this.code = code;
  }
}

/**
 * The worker's failure as it arrived, as the client's error: its code if it is one of `codes`, else
 * `fallback`; its message, else `silent`.
 */
export function remoteError<C extends string, E extends WorkerClientError<C>>(
  make: new (code: C, message: string, options?: { cause?: unknown }) => E,
  codes: readonly C[],
  fallback: C,
  silent: string,
): (e: unknown) => E {
  const known: readonly string[] = codes;
  return (e) => {
    if (e instanceof make) return e;
    const err = e as { message?: string; code?: string } | null;
    const code = err?.code && known.includes(err.code) ? (err.code as C) : fallback;
    return new make(code, err?.message || silent, { cause: e });
  };
}
