import { ScimError } from '../../src/scim/protocol/scim-error.js'

/** Runs `run` and returns the ScimError it throws; anything else (or nothing) fails the test. */
export function errorOf(run: () => unknown): ScimError {
  try {
    run()
  } catch (error) {
    if (error instanceof ScimError) return error
    throw error
  }
  throw new Error('expected a ScimError')
}
