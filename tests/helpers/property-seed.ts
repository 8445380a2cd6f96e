// Property tests run from one fixed seed, so CI gives the same answer on every run of a commit:
// a counterexample found on a random seed (stop 18: seed -815183987) blocked a merge that no one
// could reproduce from the log alone. Exploring new seeds is a deliberate run:
//   DBC_PROPERTY_SEED=random DBC_PROPERTY_SCALE=20 npx vitest run tests/safety tests/core
// and each counterexample becomes a named example or a unit test next to the property.
import fc from 'fast-check'

const chosen = process.env.DBC_PROPERTY_SEED
if (chosen !== 'random') {
  const seed = chosen === undefined || chosen === '' ? 20_261_207 : Number(chosen)
  if (!Number.isInteger(seed)) throw new Error(`DBC_PROPERTY_SEED must be an integer or "random", not ${JSON.stringify(chosen)}`)
  fc.configureGlobal({ seed })
}
