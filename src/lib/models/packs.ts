/**
 * The packs the studio knows: every `models/*-pack.json`, validated. Test packs other than the
 * tiny one (the bench pack) are for scripts, not for the Models view.
 */
import { validatePack, type Pack } from './manifest';

const files = import.meta.glob<unknown>('../../../models/*-pack.json', { eager: true, import: 'default' });

export function knownPacks(): Pack[] {
  return everyPack()
    .filter((p) => !p.test || p.id === 'tiny')
    .sort((a, b) => Number(a.test) - Number(b.test) || a.title.localeCompare(b.title));
}

/** Every manifest, the script-only test packs included (the `unetPack` test hook names the bench pack). */
export function everyPack(): Pack[] {
  return Object.values(files).map((json) => validatePack(json));
}
