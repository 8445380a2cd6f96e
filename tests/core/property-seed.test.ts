import fc from 'fast-check'
import { expect, it } from 'vitest'

it('property tests run from the fixed seed unless DBC_PROPERTY_SEED says otherwise', () => {
  const chosen = process.env.DBC_PROPERTY_SEED
  const seed = fc.readConfigureGlobal().seed
  if (chosen === 'random') expect(seed).toBeUndefined()
  else expect(seed).toBe(chosen === undefined || chosen === '' ? 20_261_207 : Number(chosen))
})
