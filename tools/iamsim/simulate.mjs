// Runs @cloud-copilot/iam-simulate over a batch of cases: a JSON array on
// stdin, a JSON array of results (same order) on stdout, one node process
// for the whole batch.
//
//   node simulate.mjs <dir holding node_modules>  < cases.json
//
// A case: {principal, action, resource, resourceAccount,
//          context: {key: [values]}, identityPolicies: [doc],
//          sessionPolicy: doc|null, resourcePolicy: doc|null}
// A result: {decision: "Allow"|"ExplicitDeny"|"ImplicitDeny"} or
//           {error: "..."} when iam-simulate refuses the input or would
//           silently drop a context key (so the comparison would be moot).
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'

const dir = resolve(process.argv[2] ?? '.')
const require = createRequire(join(dir, 'package.json'))
const { runSimulation, typeForContextKey, isConditionKeyArray } = require('@cloud-copilot/iam-simulate')

const decisions = {
  Allowed: 'Allow',
  ExplicitlyDenied: 'ExplicitDeny',
  ImplicitlyDenied: 'ImplicitDeny'
}

async function readStdin() {
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  return Buffer.concat(chunks).toString('utf8')
}

// contextVariables gives iam-simulate a string for a single-valued key and
// a list for a multivalued one. A key with no value is absent (as iameval
// reads it); a single-valued key with several is an error in the case, not
// something to paper over.
async function contextVariables(context) {
  const out = {}
  for (const [key, values] of Object.entries(context ?? {})) {
    const type = await typeForContextKey(key.toLowerCase())
    if (values.length === 0) {
      continue
    } else if (isConditionKeyArray(type)) {
      out[key] = values
    } else if (values.length === 1) {
      out[key] = values[0]
    } else {
      throw new Error(`context key ${key} is single-valued for iam-simulate but has ${values.length} values`)
    }
  }
  return out
}

async function simulate(c) {
  const simulation = {
    request: {
      principal: c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: c.resourceAccount },
      contextVariables: await contextVariables(c.context)
    },
    identityPolicies: (c.identityPolicies ?? []).map((policy, i) => ({ name: `identity${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: []
  }
  if (c.sessionPolicy) simulation.sessionPolicy = c.sessionPolicy
  if (c.resourcePolicy) simulation.resourcePolicy = c.resourcePolicy
  const res = await runSimulation(simulation, { simulationMode: 'Strict' })
  if (res.resultType === 'error') {
    return { error: `iam-simulate refused the case: ${JSON.stringify(res.errors)}` }
  }
  const ignored = res.resultType === 'single' ? res.result.ignoredContextKeys : res.results.flatMap((r) => r.ignoredContextKeys ?? [])
  if (ignored && ignored.length > 0) {
    return { error: `iam-simulate ignores context keys ${ignored.join(', ')} for ${c.action} on ${c.resource}` }
  }
  const decision = decisions[res.overallResult]
  if (!decision) {
    return { error: `unknown iam-simulate result ${res.overallResult}` }
  }
  return { decision }
}

const cases = JSON.parse(await readStdin())
const results = []
for (const c of cases) {
  try {
    results.push(await simulate(c))
  } catch (e) {
    results.push({ error: String(e?.message ?? e) })
  }
}
process.stdout.write(JSON.stringify(results))
