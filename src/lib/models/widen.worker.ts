/**
 * The widener's worker: turning a 1.7 GB fp16 model into fp32 is seconds of CPU work per gigabyte,
 * so it runs here, off the page's thread. The source arrives as a Blob (read in slices); every data
 * file goes back to the page chunk by chunk (transferred, not copied) through the sinks it opens.
 */
import * as Comlink from 'comlink';
import { widenedDataName } from './plan';
import { widenFp16Model } from './widen';

export interface WidenSinkRemote {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface WidenWorkerApi {
  widen(
    source: Blob,
    sourcePath: string,
    host: {
      openData(name: string): Promise<WidenSinkRemote>;
      progress(readBytes: number, totalBytes: number): void;
    },
  ): Promise<{ model: Uint8Array; dataFiles: { name: string; bytes: number }[] }>;
  cancel(): void;
}

let controller: AbortController | null = null;

const api: WidenWorkerApi = {
  async widen(source, sourcePath, host) {
    controller = new AbortController();
    const result = await widenFp16Model(
      {
        size: source.size,
        read: async (offset, length) =>
          new Uint8Array(await source.slice(offset, offset + length).arrayBuffer()),
      },
      {
        dataFileName: (i) => widenedDataName(sourcePath, i),
        openData: async (name) => {
          const sink = await host.openData(name);
          return {
            write: (chunk: Uint8Array) => {
              // Transfer a copy we own: the widener may reuse its buffers.
              const own = chunk.slice();
              return sink.write(Comlink.transfer(own, [own.buffer]));
            },
            close: () => sink.close(),
          };
        },
        onProgress: (read, total) => host.progress(read, total),
        signal: controller.signal,
      },
    );
    return Comlink.transfer({ model: result.model, dataFiles: result.dataFiles }, [
      result.model.buffer as ArrayBuffer,
    ]);
  },
  cancel() {
    controller?.abort();
  },
};

Comlink.expose(api);
