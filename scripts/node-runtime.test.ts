import t from 'tap'

/**
 * Names the Node.js that runs the test files: tap spawns each file with the `node` first on PATH, which
 * is how `.ci/run` runs the suite on Node 24 and on the machine's Node. With EXPECT_NODE_MAJOR set (CI
 * sets it per run), any other major fails the run instead of passing on the wrong runtime.
 */
const expected = process.env.EXPECT_NODE_MAJOR
const name = `tests run on node ${process.version}`
if (expected) t.equal(process.versions.node.split('.')[0], expected, `${name} (expected ${expected}.x)`)
else t.pass(name)
