export * from './names';
export * from './db';
export * from './errors';
export { ensureRoom, setRoomProbe, HEADROOM_BYTES, type RoomProbe } from './room';
export * from './migrations';
export * from './characters';
export * from './stories';
export * from './images';
export * from './settings';
export * from './attempts';
export * from './broadcast';
export {
  toStoredCharacter,
  fromStoredCharacter,
  toStoredStory,
  fromStoredStory,
  toStoredPanel,
  fromStoredPanel,
} from './records';
export type { StoryLoomSchema, StoredCharacter, StoredStory, StoredPanel } from './schema';
export * from './judge';
export * from './runs';
export * from './bundles';
export * from './dataset';
