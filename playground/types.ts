/** What `scripts/playground.ts` gives the stand-in servers, and gets back. */
export interface PlaygroundOptions {
  host: string;
  /** The page's port; 0 picks a free one. */
  port: number;
  /** Where the Worker will listen; updates go to its webhook. */
  workerUrl: string;
  botToken: string;
  webhookSecret: string;
  falKey: string;
  pageDirectory: string;
  trainingSeconds?: number;
  log: (line: string) => void;
}

export interface Playground {
  pageUrl: string;
  telegramApiRoot: string;
  falOrigin: string;
  close(): Promise<void>;
}
