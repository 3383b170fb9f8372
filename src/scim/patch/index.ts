export { applyPatch } from './apply-patch.js'
export { parsePatchRequest, type PatchLimits, type PatchOpName, type PatchOperation } from './patch-request.js'
