/**
 * A Group write's membership event names the Users added and removed, up to MAX_MEMBER_IDS a side; a
 * larger change (a group replaced whole) is counted, with the ids left out, so that no event grows with
 * the group.
 */
import { t } from '../helpers/file-test.js'
import { groupChanges, MAX_MEMBER_IDS, newNotes } from '../../src/provisioning/change-events.js'
import type { ScimGroupRecord } from '../../src/store/records.js'

const group: ScimGroupRecord = {
  id: '0b6a3a52-5b0e-4d5c-9a55-8a1f0e4d2c11',
  displayName: 'Eng',
  externalId: null,
  doc: {},
  version: 2,
  created: new Date(0),
  lastModified: new Date(0),
}
const ids = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`)

t.test('ids up to the cap, a count past it', async (t) => {
  const notes = newNotes()
  notes.groupBefore = group
  notes.groupAfter = group
  notes.membersAdded.push(...ids(MAX_MEMBER_IDS, 'in'))
  notes.membersRemoved.push(...ids(MAX_MEMBER_IDS + 1, 'out'))
  const [event] = groupChanges(notes)
  t.equal(event?.kind, 'group.members_changed')
  t.same(event?.changes, { added: MAX_MEMBER_IDS, removed: MAX_MEMBER_IDS + 1, addedIds: ids(MAX_MEMBER_IDS, 'in'), removedIds: null })
})

t.test('no membership change, no membership event', async (t) => {
  const notes = newNotes()
  notes.groupBefore = group
  notes.groupAfter = { ...group, displayName: 'Engineering' }
  t.same(
    groupChanges(notes).map((e) => e.kind),
    ['group.updated'],
  )
})
