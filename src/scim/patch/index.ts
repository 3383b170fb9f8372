export { applyPatch } from './apply-patch.js'
export { DEFAULT_MAX_OPERATIONS, parsePatchRequest, type PatchLimits, type PatchOpName, type PatchOperation } from './patch-request.js'
