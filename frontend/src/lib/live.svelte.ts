// The library's live state, shared by every screen: one /api/events stream.
import { ApiError, type Client, type Snapshot } from './api';
import { watchTrouble } from './status';

export class Live {
  snapshot = $state<Snapshot | null>(null);
  offline = $state('');
  private stop: (() => void) | null = null;

  constructor(private api: Client) {}

  start() {
    this.stop = this.api.events(
      (s) => {
        this.snapshot = s;
        this.offline = '';
      },
      (e: ApiError) => {
        this.offline = e.status === 401 ? 'Signed out: open the link hoard serve printed.' : `Hoard is not answering (${e.message}); retrying…`;
      },
    );
  }

  close() {
    this.stop?.();
  }

  /** Files being worked or about to be (not those waiting for an engine). */
  get busy(): number {
    const q = this.snapshot?.queue;
    return q ? q.pending + q.running : 0;
  }

  /** Why the background watch is not following changes right now ("" when it is, or is off). */
  get watchTrouble(): string {
    return watchTrouble(this.snapshot);
  }

  /** Files that wait for something the user must set up (a transcription engine). */
  get waiting(): number {
    return this.snapshot?.queue?.waiting ?? 0;
  }
}
