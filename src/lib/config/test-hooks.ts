/**
 * The typed test hooks: the one door through which an end-to-end test or the bench changes how the
 * studio behaves. A test sets `globalThis.__STORYLOOM_TEST_HOOKS__` before the page loads
 * (Playwright's addInitScript); `main.ts` reads it once, here, and nothing else ever looks. An artist's
 * studio never has it, and a query string changes nothing.
 */
import { z } from '../domain/zod';

const Device = z.enum(['webgpu', 'wasm']);

export const TestHooks = z
  .object({
    /** Offer the test packs (twins that draw noise) in the Models view as if the developer switch were on. */
    testPacks: z.boolean().default(false),
    /**
     * Pack manifests that replace the built-in pack with the same id (the forge's replica of the
     * default pack: same repos, paths and contracts, tiny weights); validated like any manifest.
     */
    packs: z.array(z.unknown()).max(8).default([]),
    /** Make this pack the active one at start (tests that do not walk through an install). */
    activePack: z.string().min(1).optional(),
    /** Test packs whose files our own origin serves (`localRoot`) count as installed without a download. */
    servedTestPacks: z.boolean().default(false),
    /** Draw with this pack's UNet over the active pack (the bench's heavier UNet). */
    unetPack: z.string().min(1).optional(),
    /** Force the drawing backend (WASM even where WebGPU exists). */
    backend: Device.optional(),
    /** Where the judge's models run. */
    judgeDevice: Device.optional(),
    /** Allow the e2e to destroy the engine's GPU device (a driver reset, on purpose). */
    testDeviceLoss: z.boolean().default(false),
    /** Allow the e2e to make the engine worker die on its own (self.close() or an uncaught error). */
    testEngineCrash: z.boolean().default(false),
    /** Skip the judge (the bench times drawing alone). */
    judgeOff: z.boolean().default(false),
    /** Wait this long after every denoising step (the twins are too fast to cancel mid-run otherwise). */
    engineStepDelayMs: z.number().int().min(0).max(60_000).optional(),
    /** Wait this long after every picture a bundle export or import handles (to cancel one mid-way). */
    shareStepDelayMs: z.number().int().min(0).max(60_000).optional(),
    /** Wait this long before each planned panel (the planner twin is too fast to cancel mid-plan otherwise). */
    plannerPanelDelayMs: z.number().int().min(0).max(60_000).optional(),
    /** Let the bench call the planner directly (constrained and unconstrained) through the test controls. */
    benchPlanner: z.boolean().default(false),
  })
  .strict();
export type TestHooks = z.infer<typeof TestHooks>;

export const TEST_HOOKS_GLOBAL = '__STORYLOOM_TEST_HOOKS__';

export const NO_HOOKS: Readonly<TestHooks> = Object.freeze(TestHooks.parse({}));

/** The hooks a test set on `scope`, validated and frozen; none when nothing was set. */
export function readTestHooks(scope: object = globalThis): Readonly<TestHooks> {
  const raw = (scope as Record<string, unknown>)[TEST_HOOKS_GLOBAL];
  if (raw === undefined) return NO_HOOKS;
  const parsed = TestHooks.safeParse(raw);
  if (!parsed.success)
    throw new Error(`The test hooks are not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return Object.freeze(parsed.data);
}
