/**
 * What makes Streamable HTTP streams resumable: every message sent on a stream is kept under an
 * event id, and a client that lost its connection reconnects with Last-Event-ID to get what it
 * missed. Kept in memory, per stream, bounded: a client that stays away longer than the last
 * EVENTS_PER_STREAM messages of its stream has lost them (resuming then replays what is left).
 */
import type { EventStore } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

export const EVENTS_PER_STREAM = 1000;
/** Streams remembered at once; the oldest are forgotten first. */
export const STREAMS_KEPT = 1000;

export class MemoryEventStore implements EventStore {
  private readonly streams = new Map<string, Array<{ seq: number; message: JSONRPCMessage }>>();
  private seq = 0;

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    let events = this.streams.get(streamId);
    if (!events) {
      events = [];
      this.streams.set(streamId, events);
      if (this.streams.size > STREAMS_KEPT) this.streams.delete(this.streams.keys().next().value as string);
    }
    const seq = ++this.seq;
    events.push({ seq, message });
    if (events.length > EVENTS_PER_STREAM) events.shift();
    return eventId(streamId, seq);
  }

  async getStreamIdForEventId(id: string): Promise<string | undefined> {
    const parsed = parse(id);
    return parsed && this.streams.has(parsed.streamId) ? parsed.streamId : undefined;
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const parsed = parse(lastEventId);
    if (!parsed) return "";
    for (const e of this.streams.get(parsed.streamId) ?? [])
      if (e.seq > parsed.seq) await send(eventId(parsed.streamId, e.seq), e.message);
    return parsed.streamId;
  }
}

function eventId(streamId: string, seq: number): string {
  return `${streamId}_${seq}`;
}

function parse(id: string): { streamId: string; seq: number } | undefined {
  const at = id.lastIndexOf("_");
  const seq = Number(id.slice(at + 1));
  return at > 0 && Number.isSafeInteger(seq) ? { streamId: id.slice(0, at), seq } : undefined;
}
