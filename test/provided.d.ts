// What test/global-setup.ts provides to the tests (vitest's inject()).
declare module "vitest" {
  interface ProvidedContext {
    /** The loopback S3-API server's origin. */
    s3Endpoint: string;
  }
}

export {};
