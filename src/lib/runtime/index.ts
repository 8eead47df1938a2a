export { configureRuntime, chooseThreads, type RuntimeInfo } from './ort-env';
export { ModelSession, serial, type SessionInfo, type TensorInfo } from './session';
export {
  openPackSession,
  checkPack,
  packGraphs,
  contractFeeds,
  type GraphCheck,
  type GraphRef,
} from './pack-sessions';
