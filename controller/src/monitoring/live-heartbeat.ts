// Heartbeats are held in memory and stored only every half grace period: whoever shows a node
// (API, /metrics, the metrics history) overlays the newer in-memory beat on the stored row.
export interface LiveBeat {
  beatAt: number;
  metrics: Record<string, number>;
}

/** Pure: the row with the live heartbeat when that is newer (its metrics, if it carried any). */
export function withLiveHeartbeat<T extends { lastHeartbeat: Date | null; metrics: unknown }>(row: T, live: LiveBeat | undefined): T {
  if (!live || (row.lastHeartbeat && row.lastHeartbeat.getTime() >= live.beatAt)) return row;
  return { ...row, lastHeartbeat: new Date(live.beatAt), metrics: Object.keys(live.metrics).length ? live.metrics : row.metrics };
}
