/**
 * Where the page's main thread spends its time: a V8 CPU profile (Chrome DevTools Protocol), with every
 * sample's function mapped back through the build's source maps to the package or source file it came
 * from. Used by the profile mode only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface CpuProfiler {
  stop(): Promise<CpuProfile>;
}

export async function startCpuProfile(browser: BrowserContext, page: Page): Promise<CpuProfiler> {
  const cdp = await browser.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return {
    async stop() {
      const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
      await cdp.detach();
      return profile;
    },
  };
}

// ------------------------------------------------------------------ source maps

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Per generated line: [generated column, source index, source line] triples, sorted by column. */
function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let source = 0;
  let sourceLine = 0;
  for (const line of mappings.split(';')) {
    const segments: Segment[] = [];
    let column = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = BASE64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0] ?? 0;
      if (values.length > 1) {
        source += values[1] ?? 0;
        sourceLine += values[2] ?? 0;
      }
      segments.push([column, source, sourceLine]);
    }
    lines.push(segments);
  }
  return lines;
}

type Segment = [column: number, source: number, sourceLine: number];

interface LoadedMap {
  /** Owners (package or src/ file) by source index. */
  sources: string[];
  /** Full source paths by source index. */
  files: string[];
  lines: Segment[][];
}

/** A short owner for a source path: the npm package, or the file under src/. */
function owner(source: string): string {
  const nm = source.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = source.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? source);
  }
  const src = source.indexOf('src/');
  return src >= 0 ? source.slice(src) : source;
}

async function loadMap(
  distDir: string,
  url: string,
  cache: Map<string, LoadedMap | null>,
): Promise<LoadedMap | null> {
  if (cache.has(url)) return cache.get(url) ?? null;
  let loaded: LoadedMap | null;
  try {
    const file = path.join(distDir, new URL(url).pathname);
    const map = JSON.parse(await readFile(`${file}.map`, 'utf8')) as { sources: string[]; mappings: string };
    loaded = { sources: map.sources.map(owner), files: map.sources, lines: decodeMappings(map.mappings) };
  } catch {
    loaded = null;
  }
  cache.set(url, loaded);
  return loaded;
}

function lookup(map: LoadedMap, line: number, column: number): { owner: string; where: string } | null {
  const segments = map.lines[line];
  if (!segments?.length) return null;
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((segments[mid]?.[0] ?? 0) <= column) lo = mid;
    else hi = mid - 1;
  }
  const hit = segments[lo];
  if (!hit || hit[0] > column) return null;
  const file = map.files[hit[1]] ?? '?';
  const short = file.includes('node_modules/')
    ? file.slice(file.lastIndexOf('node_modules/') + 13)
    : owner(file);
  return { owner: map.sources[hit[1]] ?? '?', where: `${short}:${hit[2] + 1}` };
}

export interface Attribution {
  /** Sampled ms per owner (package, source file, or a V8 category such as "(garbage collector)"). */
  owners: { owner: string; ms: number }[];
  /** Sampled ms per function (original file and line of the function's start, and its name). */
  functions: { where: string; ms: number }[];
}

/** Where the sampled time went, by owner and by function. */
export async function attribute(profile: CpuProfile, distDir: string): Promise<Attribution> {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i; charge it to the sample that follows.
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i + 1] ?? 0)));
  const cache = new Map<string, LoadedMap | null>();
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  const add = (into: Map<string, number>, key: string, ms: number) =>
    into.set(key, (into.get(key) ?? 0) + ms);
  for (const node of profile.nodes) {
    const us = self.get(node.id);
    if (!us) continue;
    const { url, functionName, lineNumber, columnNumber } = node.callFrame;
    let who: string;
    let where: string;
    if (!url) {
      who = functionName.startsWith('(') ? functionName : '(native)';
      where = functionName || who;
    } else if (!url.startsWith('http')) {
      who = url;
      where = `${url} ${functionName}`;
    } else {
      const map = await loadMap(distDir, url, cache);
      const hit = map && lookup(map, lineNumber, columnNumber);
      who = hit?.owner ?? new URL(url).pathname;
      where = `${hit?.where ?? new URL(url).pathname} ${functionName}`;
    }
    add(owners, who, us / 1000);
    add(functions, where, us / 1000);
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    owners: sorted(owners).map(([owner, ms]) => ({ owner, ms })),
    functions: sorted(functions).map(([where, ms]) => ({ where, ms })),
  };
}
