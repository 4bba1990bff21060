export interface ServedBundle {
  url: string;
  /** From the spawn to the probe's answer. */
  ms: number;
  status: number;
  body: string;
  stop(): Promise<void>;
}
export declare function serveBundle(
  script: string,
  options?: { vars?: Record<string, string>; probe?: string },
): Promise<ServedBundle>;
