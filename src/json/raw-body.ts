import { freeBuffer } from '../memory/free-buffer.ts';

// The client's raw request body, kept while its long data URLs travel as verbatim strings
// (src/json/verbatim-strings.ts) and freed the moment nothing can read it any more
// (src/memory/free-buffer.ts). Two kinds of reader hold it: the request, until its response is
// closed, and every upstream write of its bytes, until that call has settled.
//
// Why an upstream call's end is a safe moment: undici reports the end of a call (onComplete,
// onError) either after the upstream read the whole body, or just before it destroys the socket
// in the same synchronous step (an early answer, an abort), so no queued write can read the
// memory afterwards. The upstream pools keep their socket's write buffer below the shortest
// verbatim string (src/providers/upstream/upstream-client.ts), so undici waits for every such
// string to be flushed before it counts the body as written.

export class RawBody {
  private holders = 0;
  /** The request's own hold: released once its response is closed. */
  readonly release: () => void;

  private readonly bytes: Buffer;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
    this.release = this.acquire();
  }

  /** Another reader: its release function, or null when the body was already freed. */
  hold(): (() => void) | null {
    return this.holders === 0 ? null : this.acquire();
  }

  get freed(): boolean {
    return this.holders === 0;
  }

  /** A release function that counts once, however often it is called. */
  private acquire(): () => void {
    this.holders++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.holders === 0) freeBuffer(this.bytes);
    };
  }
}
