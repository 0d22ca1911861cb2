// The scheduler's persisted state (each job's first sighting and last finished run) as one
// document, `schedules`, of the control plane's FileStore in the serve data directory: after a
// restart the scheduler reads it to catch up a missed run once.
import type { FileStore } from '../store/file-store.ts';
import type { JobRecord, ScheduleStore } from './scheduler.ts';

export const SCHEDULES_DOC = 'schedules';

export function fileScheduleStore(store: FileStore): ScheduleStore {
  return {
    load: async () => (await store.read<Record<string, JobRecord>>(SCHEDULES_DOC)) ?? {},
    save: async (id, record) => {
      await store.update<Record<string, JobRecord>>(SCHEDULES_DOC, (current) => ({ ...current, [id]: record }));
    },
  };
}
