// Creates a team with an Owner, active SSO and SCIM enabled through the admin API; prints
// "<endpointUrl>\t<token>" for the conformance suites. Usage: node ci-enable-team.mjs BASE ADMIN_TOKEN TEAM_ID
const [base, adminToken, teamId] = process.argv.slice(2)
const call = async (method, path, body, actor) => {
  const res = await fetch(`${base}/internal/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(actor ? { 'x-actor-id': actor } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.json()
}
const { ownerAccountId } = await call('PUT', `/teams/${teamId}`, { name: 'Conformance', owner: { email: `owner@${teamId}.example` } })
await call('PUT', `/teams/${teamId}/sso`, { protocol: 'saml' })
const { endpointUrl, token } = await call('POST', `/teams/${teamId}/scim`, undefined, ownerAccountId)
process.stdout.write(`${endpointUrl}\t${token}\n`)
