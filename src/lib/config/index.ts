export { createStudioConfig, type StudioConfig } from './studio-config';
export { readTestHooks, NO_HOOKS, TEST_HOOKS_GLOBAL, TestHooks } from './test-hooks';
