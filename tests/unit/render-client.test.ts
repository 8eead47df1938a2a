/**
 * The render client against a fake renderer behind a real comlink channel: one page at a time,
 * a cancelled running page restarts the worker without failing the pages waiting behind it, error
 * codes cross as data, and terminate leaves no call hanging.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { RenderClient, type RenderJob } from '../../src/lib/rpc/render.client';
import type { SpawnedWorker } from '../../src/lib/rpc/engine.client';
import type { RenderApi } from '../../workers/render-api';

function harness(ms = 30) {
  const log: string[] = [];
  const ports: MessagePort[] = [];
  const factory = (): SpawnedWorker => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const api: RenderApi = {
      async renderPage(job) {
        log.push(`start ${job.dpi}`);
        if (job.dpi === 13)
          throw Object.assign(new Error('The resolution must be between 72 and 600 dpi, got 13.'), {
            code: 'invalid-input',
          });
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${job.dpi}`);
        return new Blob([String(job.dpi)], { type: 'image/png' });
      },
    };
    Comlink.expose(api, port2);
    return {
      endpoint: port1,
      terminate: () => {
        log.push('terminate');
        port1.close();
        port2.close();
      },
    };
  };
  const client = new RenderClient(factory);
  const job = (dpi: number): RenderJob => ({
    page: { index: 0, templateId: 't', width: 10, height: 10, cells: [] },
    pictures: [],
    dpi,
  });
  const close = () => {
    client.dispose();
    for (const p of ports) p.close();
  };
  return { client, job, log, close };
}

describe('RenderClient', () => {
  it('renders one page at a time, in order', async () => {
    const { client, job, log, close } = harness();
    const [a, b] = await Promise.all([client.renderPage(job(100)), client.renderPage(job(200))]);
    expect(await a.text()).toBe('100');
    expect(await b.text()).toBe('200');
    expect(log).toEqual(['start 100', 'end 100', 'start 200', 'end 200']);
    close();
  });

  it('a cancelled running page restarts the worker; the page behind it still renders', async () => {
    const { client, job, log, close } = harness(80);
    const controller = new AbortController();
    const first = client.renderPage(job(100), controller.signal);
    const second = client.renderPage(job(200));
    setTimeout(() => controller.abort(), 20);
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    expect(await (await second).text()).toBe('200');
    expect(client.spawns).toBe(2);
    expect(log).toContain('terminate');
    close();
  });

  it('a waiting page leaves the queue at once when cancelled, and an aborted signal never starts', async () => {
    const { client, job, log, close } = harness();
    const controller = new AbortController();
    const first = client.renderPage(job(100));
    const waiting = client.renderPage(job(200), controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'cancelled' });
    await expect(client.renderPage(job(300), controller.signal)).rejects.toMatchObject({ code: 'cancelled' });
    await first;
    expect(log).toEqual(['start 100', 'end 100']);
    close();
  });

  it("carries the worker's error code and sentence", async () => {
    const { client, job, close } = harness();
    await expect(client.renderPage(job(13))).rejects.toMatchObject({
      code: 'invalid-input',
      message: 'The resolution must be between 72 and 600 dpi, got 13.',
    });
    close();
  });

  it('terminate rejects the running and waiting pages with a sentence', async () => {
    const { client, job, close } = harness(200);
    const a = client.renderPage(job(100));
    const b = client.renderPage(job(200));
    setTimeout(() => client.terminate(), 20);
    await expect(a).rejects.toMatchObject({ code: 'stopped' });
    await expect(b).rejects.toMatchObject({ code: 'stopped' });
    close();
  });
});
