// What test/servers/global-setup.ts and test/servers/postgres-setup.ts provide to the tests (vitest's inject()).
declare module "vitest" {
  interface ProvidedContext {
    /** The loopback S3-API server's origin. */
    s3Endpoint: string;
    /** Throwaway Postgres databases by purpose (test/servers/postgres-setup.ts); absent when no server answered. */
    postgres?: { contract: string; photo_flow: string };
  }
}

export {};
